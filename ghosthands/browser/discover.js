// Finds the form controls of one frame (including open shadow roots, nested), tags each
// with data-gh-id and describes it: kind, labels from every source, options, state,
// errors. Runs in the page; returns plain JSON. Keep it free of page-visible globals.
//
// Besides native inputs it understands ARIA widgets: comboboxes (typeaheads, also an
// input with aria-autocomplete / aria-haspopup=listbox), switches, listboxes, radio
// groups of non-input elements (role=radio buttons), role=checkbox elements, and
// toggle button groups (buttons with aria-pressed: two or more in a group are one
// single-choice field, a lone one is a switch).
(args) => {
  const prefix = args.prefix;
  const clean = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const CONTROL = 'input, select, textarea, [role=combobox], [role=switch], [role=listbox], [role=radio], [role=checkbox], ' +
    'button[aria-pressed], [role=button][aria-pressed]';
  const SKIP_TYPES = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
  const ERROR_LIKE = '.error, .errors, .invalid-feedback, .field-error, .error-message, .text-danger, [role=alert], ' +
    '[aria-live=assertive], [class*="error" i], [class*="invalid" i], [id*="error" i], [data-error], [data-testid*="error" i], ' +
    '[data-automation-id*="error" i], [data-qa*="error" i]';
  const out = [];
  let n = 0;

  // The parent across shadow boundaries: a shadow root's top element goes to its host.
  function parentOf(node) {
    if (node.parentElement) return node.parentElement;
    const root = node.parentNode;
    return root && root.host ? root.host : null;
  }
  function styleHidden(el) {
    for (let node = el; node && node.nodeType === 1; node = parentOf(node)) {
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
  // Slots contribute what is assigned to them (a label slotted into a web component).
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
      if (tag === 'SLOT') {
        const assigned = n.assignedNodes({ flatten: true });
        for (const c of (assigned.length ? assigned : n.childNodes)) walk(c);
        return;
      }
      for (const c of n.childNodes) walk(c);
    };
    walk(node);
    return clean(s);
  }
  function byId(el, id) {
    const root = el.getRootNode();
    return (root.getElementById ? root.getElementById(id) : null) || document.getElementById(id);
  }
  function byIds(el, attr) {
    const ids = (el.getAttribute(attr) || '').split(/\s+/).filter(Boolean);
    return clean(ids.map((id) => textOf(byId(el, id))).join(' '));
  }
  // How many controls a node holds, looking into open shadow roots too (stops early).
  function controlCount(node, limit) {
    let count = node.matches && node.matches(CONTROL) ? 1 : 0;
    const visit = (root) => {
      count += root.querySelectorAll(CONTROL).length;
      if (count > limit) return;
      for (const e of root.querySelectorAll('*')) {
        if (e.shadowRoot) { visit(e.shadowRoot); if (count > limit) return; }
      }
    };
    if (node.shadowRoot) visit(node.shadowRoot);
    visit(node);
    return count;
  }
  function hasControl(node) { return node.nodeType === 1 && controlCount(node, 0) > 0; }
  // Text right before the control: a preceding sibling, or an ancestor's preceding
  // sibling (crossing out of shadow roots), while the ancestor holds only this control.
  function nearbyText(el, own) {
    let node = el;
    const mine = own || 1;
    for (let depth = 0; depth < 4 && node; depth++) {
      let prev = node.previousElementSibling;
      while (prev) {
        if (!hasControl(prev)) { const t = textOf(prev); if (t) return t.slice(0, 200); }
        else break;
        prev = prev.previousElementSibling;
      }
      if (prev) break;
      node = parentOf(node);
      if (node && controlCount(node, mine) > mine) break;
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
    // A web component often carries the label on its host element (or an outer one).
    for (let root = el.getRootNode(); !found.length && root instanceof ShadowRoot; root = root.host.getRootNode()) {
      const hl = clean(root.host.getAttribute('label') || root.host.getAttribute('aria-label'));
      if (hl) found.push(hl);
    }
    return found;
  }
  // Where a field's own messages live: its largest ancestor holding no other control.
  function ownContainer(el, mine) {
    let node = el;
    for (let i = 0; i < 6; i++) {
      const p = parentOf(node);
      if (!p || p === document.body || p === document.documentElement || p.tagName === 'FORM') break;
      if (controlCount(p, mine) > mine) break;
      node = p;
    }
    return node;
  }
  function errorText(e) {
    if (!e || e.tagName === 'LABEL' || e.tagName === 'LEGEND' || hasControl(e) || !visible(e)) return '';
    return clean(e.textContent).slice(0, 300);
  }
  // Visible validation messages of ``el`` (a control, or a group's element) and whether
  // the page marks it invalid. Native :invalid counts once we typed into the field or
  // the browser flagged it while blocking a submit (data-gh-flagged, see forms.py).
  function errorsOf(el, mine, question) {
    const texts = [];
    const add = (t) => { if (t && t !== question && !texts.includes(t)) texts.push(t); };
    for (const id of (el.getAttribute('aria-errormessage') || '').split(/\s+/).filter(Boolean)) add(errorText(byId(el, id)));
    for (const id of (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean)) {
      const d = byId(el, id);
      if (d && (d.getAttribute('role') === 'alert' || /error|invalid/i.test(d.id + ' ' + d.className))) add(errorText(d));
    }
    const container = ownContainer(el, mine);
    const scopes = [container];
    if (container.shadowRoot) scopes.push(container.shadowRoot);
    for (const scope of scopes) for (const e of scope.querySelectorAll(ERROR_LIKE)) {
      const t = errorText(e);
      // The innermost element with text only (not its wrapper too).
      if (t && ![...e.querySelectorAll(ERROR_LIKE)].some((c) => errorText(c))) add(t);
    }
    const sib = el.nextElementSibling;
    if (sib && /error|invalid/i.test(sib.className + ' ' + sib.id)) add(errorText(sib));
    const flagged = el.dataset && (el.dataset.ghTouched === '1' || el.dataset.ghFlagged === '1');
    const invalid = el.getAttribute('aria-invalid') === 'true' ||
      /(^|\s)(is-invalid|invalid|has-error)(\s|$)/.test(typeof el.className === 'string' ? el.className : '') ||
      (el.matches && el.matches(':invalid') && flagged);
    if (invalid && !texts.length && el.validationMessage) texts.push(el.validationMessage);
    return { invalid: invalid || texts.length > 0, texts };
  }
  // Which shadow roots a control sits in (hosts by name/id/position), so two web
  // components that both contain an <input id="input"> stay two fields.
  function scopeOf(el) {
    const parts = [];
    for (let root = el.getRootNode(); root instanceof ShadowRoot; root = root.host.getRootNode()) {
      const host = root.host;
      let tag = host.tagName.toLowerCase();
      const name = host.getAttribute('name') || host.id;
      if (name) tag += '#' + name;
      else {
        const same = [...(host.getRootNode().querySelectorAll(host.tagName))];
        tag += '@' + same.indexOf(host);
      }
      parts.unshift(tag);
    }
    return parts.join('/');
  }
  function hostName(el) {
    for (let root = el.getRootNode(); root instanceof ShadowRoot; root = root.host.getRootNode()) {
      const name = root.host.getAttribute('name');
      if (name) return name;
    }
    return '';
  }
  function base(el, kind) {
    const id = prefix + (n++);
    el.setAttribute('data-gh-id', id);
    const required = !!(el.required || el.getAttribute('aria-required') === 'true' || el.hasAttribute('data-required'));
    return {
      gh_id: id, kind, tag: el.tagName.toLowerCase(), input_type: (el.getAttribute('type') || '').toLowerCase(),
      name: el.getAttribute('name') || hostName(el),
      id_attr: el.id || '', autocomplete: (el.getAttribute('autocomplete') || '').toLowerCase(),
      labels: labelsOf(el), placeholder: clean(el.getAttribute('placeholder')), title: clean(el.getAttribute('title')),
      nearby: '', group_label: groupLabel(el), required, disabled: !!(el.disabled || el.getAttribute('aria-disabled') === 'true'),
      readonly: !!el.readOnly, value: '', checked: false, options: [], accept: el.getAttribute('accept') || '',
      multiple: !!el.multiple, pattern: el.getAttribute('pattern') || '', in_shadow: el.getRootNode() instanceof ShadowRoot,
      errors: [], invalid: false, describedby: byIds(el, 'aria-describedby'), scope: scopeOf(el),
    };
  }
  function finish(el, d, target, mine) {
    if (!d.labels.length) d.nearby = nearbyText(target || el, mine);
    const question = d.labels[0] || d.group_label || d.nearby || '';
    const e = errorsOf(target || el, mine || 1, question); d.invalid = e.invalid; d.errors = e.texts;
    if (!d.required && /\*\s*$/.test(question)) d.required = true;
    out.push(d);
  }
  const ariaState = (el) => {
    const v = el.getAttribute('aria-checked') ?? el.getAttribute('aria-pressed') ?? el.getAttribute('aria-selected');
    return v === 'true' || v === 'mixed';
  };
  const ownText = (el) => clean(el.getAttribute('aria-label') || el.innerText || el.textContent).slice(0, 200);

  // Groups are keyed by their root (document or shadow root) and name, so radios named
  // "answer" in two web components are two questions.
  const roots = new Map();
  const rootKey = (el) => { const r = el.getRootNode(); if (!roots.has(r)) roots.set(r, roots.size); return roots.get(r); };
  const radioGroups = new Map();
  const checkGroups = new Map();
  const ariaGroups = new Map();

  // A group of non-input choices: role=radio elements or aria-pressed buttons.
  function collectAriaChoice(el, group) {
    let g = ariaGroups.get(group);
    if (!g) {
      g = base(el, 'radio');
      g.options = []; g.labels = [];
      g.name = group.getAttribute('name') || group.getAttribute('data-name') || g.name;
      g.id_attr = group.id || g.id_attr;
      g.group_label = groupLabel(el) || byIds(group, 'aria-labelledby') || clean(group.getAttribute('aria-label'));
      if (group.getAttribute('aria-required') === 'true') g.required = true;
      g.disabled = group.getAttribute('aria-disabled') === 'true' || !!group.disabled;
      const mine = controlCount(group, 1000);
      if (!g.group_label) g.group_label = nearbyText(group, mine);
      ariaGroups.set(group, g);
      finish(el, g, group, mine);
    }
    el.setAttribute('data-gh-id', prefix + 'o' + (n++));
    const checked = ariaState(el);
    g.options.push({ gh_id: el.getAttribute('data-gh-id'), text: labelsOf(el)[0] || ownText(el),
                     value: el.getAttribute('data-value') || el.getAttribute('value') || '', checked, aria: true });
    if (checked) { g.checked = true; g.value = ownText(el); }
  }

  function collect(el) {
    const tag = el.tagName;
    const role = el.getAttribute('role');
    if (tag === 'INPUT') {
      const type = (el.getAttribute('type') || 'text').toLowerCase();
      if (SKIP_TYPES.has(type)) return;
      if (type === 'file') {
        // File inputs are often hidden behind a styled button: judge by their container.
        const parent = parentOf(el) || el;
        if (styleHidden(parent) && !(el.labels && [...el.labels].some(visible))) return;
        const d = base(el, 'file'); finish(el, d); return;
      }
      const vis = visible(el) || (el.labels && [...el.labels].some(visible));
      if (!vis) return;
      if (type === 'radio') {
        const key = rootKey(el) + ':' + (el.form ? 'f' : 'd') + ':' + (el.name || el.id);
        let g = radioGroups.get(key);
        if (!g) {
          g = base(el, 'radio'); g.options = [];
          g.labels = []; radioGroups.set(key, g);
          const box = el.closest('fieldset, [role=radiogroup], [role=group]');
          finish(el, g, box || el, box ? controlCount(box, 1000) : 1);
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
        const scope = el.form || group || el.getRootNode();
        const same = el.name ? scope.querySelectorAll(`input[type=checkbox][name="${CSS.escape(el.name)}"]`).length : 0;
        if (group && same > 1) {
          const key = rootKey(el) + ':' + el.name;
          let g = checkGroups.get(key);
          if (!g) { g = base(el, 'checkbox_group'); g.options = []; g.labels = []; checkGroups.set(key, g); finish(el, g); }
          el.setAttribute('data-gh-id', prefix + 'o' + (n++));
          g.options.push({ gh_id: el.getAttribute('data-gh-id'), text: labelsOf(el)[0] || el.value, value: el.value, checked: el.checked });
          return;
        }
        const d = base(el, 'checkbox'); d.checked = el.checked; d.value = el.value; finish(el, d); return;
      }
      const typeahead = role === 'combobox' || !!el.closest('[role=combobox]') ||
        ['list', 'both'].includes((el.getAttribute('aria-autocomplete') || '').toLowerCase()) ||
        (el.getAttribute('aria-haspopup') || '').toLowerCase() === 'listbox';
      const kind = typeahead ? 'combobox' : role === 'switch' ? 'switch' : (type === 'date' ? 'date' : 'text');
      const d = base(el, kind); d.value = el.value; d.checked = !!el.checked;
      if (role === 'switch') d.checked = el.checked || el.getAttribute('aria-checked') === 'true';
      if (typeahead && !d.labels.length) {
        const box = el.closest('[role=combobox]');
        if (box && box !== el) d.labels = labelsOf(box);
      }
      finish(el, d); return;
    }
    if (!visible(el)) return;
    if (tag === 'TEXTAREA') { const d = base(el, 'textarea'); d.value = el.value; finish(el, d); return; }
    if (tag === 'SELECT') {
      const d = base(el, el.multiple ? 'multiselect' : 'select');
      d.options = [...el.options].map((o) => ({ text: clean(o.textContent), value: o.value, checked: o.selected, disabled: o.disabled }));
      d.value = el.value; finish(el, d); return;
    }
    if (role === 'combobox') {
      // ARIA 1.1 pattern: the combobox wraps the text input, which is the field.
      if (el.querySelector('input:not([type=hidden])')) return;
      const d = base(el, 'combobox'); d.value = clean(el.value || el.textContent); finish(el, d); return;
    }
    if (role === 'switch') { const d = base(el, 'switch'); d.checked = el.getAttribute('aria-checked') === 'true'; finish(el, d); return; }
    if (role === 'radio') { collectAriaChoice(el, el.closest('[role=radiogroup]') || parentOf(el)); return; }
    if (role === 'checkbox') {
      const d = base(el, 'checkbox'); d.checked = ariaState(el); d.value = ownText(el);
      if (!d.labels.length) { const t = ownText(el); if (t) d.labels = [t]; }
      finish(el, d); return;
    }
    if (el.hasAttribute('aria-pressed')) {
      if (el.closest('[role=toolbar], [role=menubar]')) return;  // an editor's Bold/Italic buttons
      const group = el.closest('[role=group], [role=radiogroup], fieldset') || parentOf(el);
      if (group && group.querySelectorAll('[aria-pressed]').length > 1) { collectAriaChoice(el, group); return; }
      const d = base(el, 'switch'); d.checked = ariaState(el); finish(el, d); return;
    }
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
