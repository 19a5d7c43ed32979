// The visible options of the popup that belongs to a control ``el`` (see widgets.py),
// each marked with data-gh-opt = prefix + n. Runs in the page; returns plain JSON.
(el, prefix) => {
  const clean = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const up = (n) => n.parentElement || (n.parentNode && n.parentNode.host) || null;
  const shown = (o) => {
    const r = o.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    for (let n = o; n && n.nodeType === 1; n = up(n)) {
      const cs = getComputedStyle(n);
      if (cs.display === 'none' || cs.visibility === 'hidden' || n.hidden) return false;
    }
    return true;
  };
  const root = el.getRootNode();
  const byId = (id) => (root.getElementById ? root.getElementById(id) : null) || document.getElementById(id);
  const owner = el.closest('[role=combobox]') || el;
  const ids = [el, owner].flatMap((e) => ((e.getAttribute('aria-controls') || '') + ' ' + (e.getAttribute('aria-owns') || '')).split(/\s+/)).filter(Boolean);
  let boxes = [...new Set(ids.map(byId).filter(Boolean))].filter((b) => b !== el && !b.contains(el) && shown(b));
  if (!boxes.length) {
    // A portal: a visible listbox that is no field of its own.
    const all = [...document.querySelectorAll('[role=listbox]')];
    if (root !== document) all.push(...root.querySelectorAll('[role=listbox]'));
    boxes = all.filter((b) => shown(b) && !b.hasAttribute('data-gh-id') && !b.contains(el));
  }
  if (!boxes.length) {
    // No ARIA: a popup-looking element beside the field (within the part of the page
    // that holds no other control), or a positioned one at the end of the body; never
    // one holding controls or links (a navigation menu).
    const POPUP = /(dropdown|suggest|autocomplete|auto-complete|typeahead|listbox|results|menu|popup|popover)/i;
    const hint = (e) => (typeof e.className === 'string' ? e.className : '') + ' ' + (e.id || '') + ' ' +
      (e.getAttribute('data-automation-id') || '');
    const CONTROLS = 'input:not([type=hidden]), select, textarea, button, [role=combobox], [role=button], a[href]:not([href="#"])';
    const fits = (e) => !e.contains(el) && POPUP.test(hint(e)) && !e.querySelector(CONTROLS) && !e.matches(CONTROLS) && shown(e);
    const others = (node) => [...node.querySelectorAll(CONTROLS)].filter((c) => c !== el && !c.contains(el) && shown(c)).length;
    let node = el.parentElement;
    for (let i = 0; i < 4 && node && node !== document.body && !boxes.length; i++, node = node.parentElement) {
      if (others(node) > 0) break;
      boxes = [...node.querySelectorAll('*')].filter(fits);
    }
    if (!boxes.length && document.body) {
      boxes = [...document.body.children].filter((e) => fits(e) && ['absolute', 'fixed'].includes(getComputedStyle(e).position));
    }
    boxes = boxes.filter((b) => !boxes.some((o) => o !== b && o.contains(b)));
  }
  // Options with no listbox around them (older react-select): any on screen that are
  // not part of a field of their own.
  const loose = boxes.length ? [] : [...document.querySelectorAll('[role=option]'), ...(root !== document ? root.querySelectorAll('[role=option]') : [])]
    .filter((o) => !o.closest('[data-gh-id]') && shown(o));
  const STATUS = /^(loading|searching|no (results|options|matches|items|locations?)|nothing found|no .{0,20} found|type (to|at least)|start typing|begin typing|please enter|enter \d|\d+ results? available)/i;
  const LOADING = /^(loading|searching)/i;
  const leaves = (box) => [...box.querySelectorAll('*')].filter((e) => clean(e.textContent) && ![...e.children].some((c) => clean(c.textContent)));
  let notice = false, loading = false;
  const items = [];
  for (const box of boxes) {
    let found = [...box.querySelectorAll('[role=option]')];
    if (!found.length) found = [...box.querySelectorAll('li')];
    if (!found.length) found = leaves(box);
    items.push(...found);
    for (const e of leaves(box)) {
      if (!shown(e)) continue;
      const t = clean(e.textContent);
      if (STATUS.test(t)) { notice = true; if (LOADING.test(t)) loading = true; }
    }
    if (box.getAttribute('aria-busy') === 'true') loading = true;
  }
  items.push(...loose);
  const out = [];
  let n = 0;
  for (const o of items) {
    if (!shown(o)) continue;
    const text = clean(o.textContent);
    if (!text || o.getAttribute('aria-disabled') === 'true' || STATUS.test(text)) {
      if (text) { notice = true; if (LOADING.test(text)) loading = true; }
      continue;
    }
    const id = prefix + (n++);
    o.setAttribute('data-gh-opt', id);
    // An option that opens a further level (Workday's "Job Board ›").
    const branch = /[›>»]\s*$/.test(text) || o.getAttribute('aria-haspopup') === 'true' || o.hasAttribute('aria-expanded');
    out.push({ gh_opt: id, text: clean(text.replace(/\s*[›»]\s*$/, '')), value: o.getAttribute('data-value') || '', branch,
               selected: o.getAttribute('aria-selected') === 'true' });
  }
  return { options: out, busy: loading, notice, open: boxes.length > 0 || loose.length > 0 };
}
