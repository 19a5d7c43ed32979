// Finds the form controls of one frame (including open shadow roots), tags each with
// data-gh-id and describes it: kind, labels from every source, options, state, errors.
// Runs in the page; returns plain JSON. Keep it free of page-visible globals.
(args) => {
  const prefix = args.prefix;
  const clean = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const CONTROL = 'input, select, textarea, [role=combobox], [role=switch], [role=listbox], [role=radiogroup] [role=radio], [role=checkbox]';
  const SKIP_TYPES = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
  const out = [];
  let n = 0;

  function styleHidden(el) {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement || (node.getRootNode() && node.getRootNode().host)) {
      const cs = getComputedStyle(node);
      if (cs.display === 'none' || cs.visibility === 'hidden' || cs.visibility === 'collapse') return true;
      if (node.hidden || node.getAttribute('aria-hidden') === 'true') return true;
    }
    return false;
  }
  function onScreen(el) {
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;
    const x = r.left + window.scrollX, y = r.top + window.scrollY;
    return x + r.width > 0 && y + r.height > 0;
  }
  function visible(el) { return !styleHidden(el) && onScreen(el); }

  // Text of a node without the text of controls inside it (a label wrapping a select).
  function textOf(node) {
    if (!node) return '';
    let s = '';
    const walk = (n) => {
      if (n.nodeType === 3) { s += n.nodeValue + ' '; return; }
      if (n.nodeType !== 1) return;
      const tag = n.tagName;
      if (tag === 'SELECT' || tag === 'TEXTAREA' || tag === 'INPUT' || tag === 'SCRIPT' || tag === 'STYLE' ||
          tag === 'OPTION' || tag === 'BUTTON') return;
      if (n.getAttribute('role') === 'listbox' || n.classList.contains('error')) return;
      for (const c of n.childNodes) walk(c);
    };
    walk(node);
    return clean(s);
  }
  function byIds(el, attr) {
    const ids = (el.getAttribute(attr) || '').split(/\s+/).filter(Boolean);
    const root = el.getRootNode();
    return clean(ids.map((id) => textOf((root.getElementById ? root.getElementById(id) : null) || document.getElementById(id))).join(' '));
  }
  function hasControl(node) { return node.nodeType === 1 && (node.matches(CONTROL) || node.querySelector(CONTROL)); }
  // Text right before the control: a preceding sibling, or the parent's preceding sibling.
  function nearbyText(el) {
    let node = el;
    for (let depth = 0; depth < 3 && node; depth++) {
      let prev = node.previousElementSibling;
      while (prev) {
        if (!hasControl(prev)) { const t = textOf(prev); if (t) return t.slice(0, 200); }
        else break;
        prev = prev.previousElementSibling;
      }
      if (prev) break;
      node = node.parentElement;
      if (node && node.querySelectorAll(CONTROL).length > 1) break;
    }
    return '';
  }
  function groupLabel(el) {
    const group = el.closest('fieldset, [role=radiogroup], [role=group]');
    if (!group) return '';
    if (group.tagName === 'FIELDSET') {
      const legend = group.querySelector('legend');
      if (legend) return textOf(legend);
    }
    return byIds(group, 'aria-labelledby') || clean(group.getAttribute('aria-label')) || '';
  }
  function labelsOf(el) {
    const found = [];
    if (el.labels) for (const l of el.labels) { const t = textOf(l); if (t) found.push(t); }
    const lb = byIds(el, 'aria-labelledby'); if (lb) found.push(lb);
    const al = clean(el.getAttribute('aria-label')); if (al) found.push(al);
    const root = el.getRootNode();
    if (root instanceof ShadowRoot && !found.length) {
      const host = root.host;
      const hl = clean(host.getAttribute('label') || host.getAttribute('aria-label'));
      if (hl) found.push(hl);
    }
    return found;
  }
  function errorsOf(el) {
    const texts = [];
    const em = byIds(el, 'aria-errormessage'); if (em) texts.push(em);
    const container = el.closest('.field, .form-group, .row, fieldset, label') || el.parentElement;
    if (container) {
      for (const e of container.querySelectorAll('.error, .invalid-feedback, [role=alert], .field-error')) {
        const t = clean(e.textContent); if (t && !texts.includes(t)) texts.push(t);
      }
    }
    let sib = el.nextElementSibling;
    if (sib && /error|invalid/i.test(sib.className + ' ' + sib.id)) { const t = clean(sib.textContent); if (t && !texts.includes(t)) texts.push(t); }
    const invalid = el.getAttribute('aria-invalid') === 'true' || (el.matches && el.matches(':invalid') && el.dataset.ghTouched === '1');
    if (invalid && !texts.length && el.validationMessage) texts.push(el.validationMessage);
    return { invalid: invalid || texts.length > 0, texts };
  }
  function base(el, kind) {
    const id = prefix + (n++);
    el.setAttribute('data-gh-id', id);
    const required = !!(el.required || el.getAttribute('aria-required') === 'true' || el.hasAttribute('data-required'));
    return {
      gh_id: id, kind, tag: el.tagName.toLowerCase(), input_type: (el.getAttribute('type') || '').toLowerCase(),
      name: el.getAttribute('name') || (el.getRootNode() instanceof ShadowRoot ? el.getRootNode().host.getAttribute('name') || '' : ''),
      id_attr: el.id || '', autocomplete: (el.getAttribute('autocomplete') || '').toLowerCase(),
      labels: labelsOf(el), placeholder: clean(el.getAttribute('placeholder')), title: clean(el.getAttribute('title')),
      nearby: '', group_label: groupLabel(el), required, disabled: !!(el.disabled || el.getAttribute('aria-disabled') === 'true'),
      readonly: !!el.readOnly, value: '', checked: false, options: [], accept: el.getAttribute('accept') || '',
      multiple: !!el.multiple, pattern: el.getAttribute('pattern') || '', in_shadow: el.getRootNode() instanceof ShadowRoot,
      errors: [], invalid: false, describedby: byIds(el, 'aria-describedby'),
    };
  }
  function finish(el, d) {
    if (!d.labels.length) d.nearby = nearbyText(el);
    const e = errorsOf(el); d.invalid = e.invalid; d.errors = e.texts;
    if (!d.required && /\*\s*$/.test(d.labels[0] || d.group_label || d.nearby || '')) d.required = true;
    out.push(d);
  }
  const radioGroups = new Map();
  const checkGroups = new Map();

  function collect(el) {
    const tag = el.tagName;
    const role = el.getAttribute('role');
    if (tag === 'INPUT') {
      const type = (el.getAttribute('type') || 'text').toLowerCase();
      if (SKIP_TYPES.has(type)) return;
      if (type === 'file') {
        // File inputs are often hidden behind a styled button: judge by their container.
        if (styleHidden(el.parentElement || el) && !(el.labels && [...el.labels].some(visible))) return;
        const d = base(el, 'file'); finish(el, d); return;
      }
      const vis = visible(el) || (el.labels && [...el.labels].some(visible));
      if (!vis) return;
      if (type === 'radio') {
        const key = (el.form ? 'f' : 'd') + ':' + (el.name || el.id);
        let g = radioGroups.get(key);
        if (!g) {
          g = base(el, 'radio'); g.options = [];
          g.labels = []; radioGroups.set(key, g); finish(el, g);
        }
        el.setAttribute('data-gh-id', prefix + 'o' + (n++));
        const lbl = labelsOf(el)[0] || nearbyText(el) || el.value;
        g.options.push({ gh_id: el.getAttribute('data-gh-id'), text: lbl, value: el.value, checked: el.checked });
        if (el.required) g.required = true;
        if (el.checked) { g.checked = true; g.value = el.value; }
        return;
      }
      if (type === 'checkbox' && role !== 'switch') {
        const group = el.closest('fieldset, [role=group]');
        const same = el.name && el.form ? el.form.querySelectorAll(`input[type=checkbox][name="${CSS.escape(el.name)}"]`).length : 0;
        if (group && same > 1) {
          const key = el.name;
          let g = checkGroups.get(key);
          if (!g) { g = base(el, 'checkbox_group'); g.options = []; g.labels = []; checkGroups.set(key, g); finish(el, g); }
          el.setAttribute('data-gh-id', prefix + 'o' + (n++));
          g.options.push({ gh_id: el.getAttribute('data-gh-id'), text: labelsOf(el)[0] || el.value, value: el.value, checked: el.checked });
          return;
        }
        const d = base(el, 'checkbox'); d.checked = el.checked; d.value = el.value; finish(el, d); return;
      }
      const kind = role === 'combobox' ? 'combobox' : role === 'switch' ? 'switch' : (type === 'date' ? 'date' : 'text');
      const d = base(el, kind); d.value = el.value; d.checked = !!el.checked;
      if (role === 'switch') d.checked = el.checked || el.getAttribute('aria-checked') === 'true';
      finish(el, d); return;
    }
    if (!visible(el)) return;
    if (tag === 'TEXTAREA') { const d = base(el, 'textarea'); d.value = el.value; finish(el, d); return; }
    if (tag === 'SELECT') {
      const d = base(el, el.multiple ? 'multiselect' : 'select');
      d.options = [...el.options].map((o) => ({ text: clean(o.textContent), value: o.value, checked: o.selected, disabled: o.disabled }));
      d.value = el.value; finish(el, d); return;
    }
    if (role === 'combobox') { const d = base(el, 'combobox'); d.value = clean(el.value || el.textContent); finish(el, d); return; }
    if (role === 'switch') { const d = base(el, 'switch'); d.checked = el.getAttribute('aria-checked') === 'true'; finish(el, d); return; }
    if (role === 'listbox') {
      // A listbox that belongs to a combobox is handled through the combobox.
      const id = el.id;
      const root = el.getRootNode();
      if (id && root.querySelector && root.querySelector(`[aria-controls~="${CSS.escape(id)}"], [aria-owns~="${CSS.escape(id)}"]`)) return;
      const d = base(el, 'listbox');
      d.options = [...el.querySelectorAll('[role=option]')].map((o) => {
        if (!o.getAttribute('data-gh-id')) o.setAttribute('data-gh-id', prefix + 'o' + (n++));
        return { gh_id: o.getAttribute('data-gh-id'), text: clean(o.textContent), value: o.getAttribute('data-value') || '', checked: o.getAttribute('aria-selected') === 'true' };
      });
      finish(el, d); return;
    }
  }
  function walk(root) {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot);
      if (el.matches(CONTROL)) collect(el);
    }
  }
  walk(document);
  return out;
}
