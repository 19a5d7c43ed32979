// Finds the form controls of one frame (including open shadow roots, nested), tags each
// with data-gh-id and describes it: kind, labels from every source, options, state,
// errors. Runs in the page; returns plain JSON. Keep it free of page-visible globals.
//
// Besides native inputs it understands ARIA widgets: comboboxes (typeaheads, also an
// input with aria-autocomplete / aria-haspopup=listbox), switches, listboxes, radio
// groups of non-input elements (role=radio buttons), role=checkbox elements, and
// toggle button groups (buttons with aria-pressed: two or more in a group are one
// single-choice field, a lone one is a switch). Also: buttons that open a listbox popup
// (aria-haspopup=listbox: a dropdown, described as a combobox whose options are read by
// opening it); text inputs that show suggestions without any ARIA role (a popup element
// beside them: described as a combobox, ``typeahead_hint``); plain Yes/No buttons backed
// by a hidden input (a choice field; the hidden input is left out); month / day / year
// inputs of one date (one field of kind date with its ``parts``). Every field carries the
// heading of the section it sits in (``section``).
(args) => {
  const prefix = args.prefix;
  const clean = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const CONTROL = 'input, select, textarea, [role=combobox], [role=switch], [role=listbox], [role=radio], [role=checkbox], ' +
    'button[aria-pressed], [role=button][aria-pressed], button[aria-haspopup=listbox], [role=button][aria-haspopup=listbox]';
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
      // Text nobody sees: a closed dropdown's "No results" row, an upload's status.
      if (n.hidden || (n.style && n.style.display === 'none')) return;
      if (n.isConnected && tag !== 'SLOT') { const cs = getComputedStyle(n); if (cs.display === 'none' || cs.visibility === 'hidden') return; }
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
  // aria-labelledby without the parts inside the element: a dropdown button labelled by
  // "state-label state-value" names its current choice too, which is no part of the
  // question (unless the element names only itself).
  function labelledBy(el) {
    const nodes = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean)
      .map((id) => byId(el, id)).filter(Boolean);
    const outside = nodes.filter((node) => node !== el && !el.contains(node));
    return clean((outside.length ? outside : nodes).map(textOf).join(' '));
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
        // ("or" between a drop zone and its button says nothing.)
        if (!hasControl(prev)) { const t = textOf(prev); if (t && !/^(or|and|[*:·|-])$/i.test(t)) return t.slice(0, 200); }
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
    const lb = labelledBy(el); if (lb) found.push(lb);
    const al = clean(el.getAttribute('aria-label')); if (al) found.push(al);
    // A web component often carries the label on its host element (or an outer one).
    for (let root = el.getRootNode(); !found.length && root instanceof ShadowRoot; root = root.host.getRootNode()) {
      const hl = clean(root.host.getAttribute('label') || root.host.getAttribute('aria-label'));
      if (hl) found.push(hl);
    }
    return found;
  }
  // What a dropdown button or a combobox shows when nothing is chosen.
  const PLACEHOLDER = /^(-+\s*)?((select|choose|pick)\b.{0,20}|please (select|choose)\b.{0,20}|make a selection.{0,5}|none selected|search\W*)$/i;
  function shownValue(text) { const t = clean(text); return t && !PLACEHOLDER.test(t) && !/^-+$/.test(t) ? t : ''; }
  // The lowest element holding every one of ``els`` (they share a root).
  function commonAncestor(els) {
    let node = els[0];
    while (node && !els.every((e) => node.contains(e))) node = node.parentElement;
    return node;
  }
  // The heading of the section a control sits in: the last h1-h6 (or role=heading) before
  // it in the document, for context ("Voluntary Self-Identification of Disability").
  let headings = null;
  function sectionOf(el) {
    if (el.getRootNode() !== document) return '';
    if (headings === null) headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6, [role=heading]')].filter((h) => !styleHidden(h));
    let found = '';
    for (const h of headings) {
      if (h.contains(el)) continue;
      if (h.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) found = h; else break;
    }
    return found ? textOf(found).slice(0, 200) : '';
  }
  // A text input that shows suggestions without saying so in ARIA: a popup-looking
  // element beside it (inside the part of the page that holds only this control), a
  // class that names an autocomplete, or a "Search" / "Start typing" placeholder.
  const POPUP = /(dropdown|suggest|autocomplete|auto-complete|typeahead|listbox|results|menu)/i;
  const hintOf = (e) => (typeof e.className === 'string' ? e.className : '') + ' ' + (e.id || '') + ' ' +
    (e.getAttribute('data-automation-id') || '') + ' ' + (e.getAttribute('data-qa') || '');
  function visibleControls(node) {
    return [...node.querySelectorAll(CONTROL)].filter((c) => !(c.tagName === 'INPUT' && c.type === 'hidden') && !styleHidden(c) && onScreen(c)).length;
  }
  function typeaheadHint(el) {
    // A date box with a calendar beside it is no typeahead.
    const own = hintOf(el) + ' ' + (el.getAttribute('name') || '') + ' ' + (el.getAttribute('placeholder') || '');
    if (/(^|[^a-z])(date|datepicker|calendar)([^a-z]|$)|\b(mm|dd|yyyy)\b/i.test(own)) return false;
    if (/(autocomplete|typeahead|autosuggest)/i.test(hintOf(el))) return true;
    const ph = clean(el.getAttribute('placeholder'));
    if (/^(search|start typing|type to search|begin typing|type to filter)\b/i.test(ph)) return true;
    let node = el.parentElement;
    for (let i = 0; i < 3 && node && node !== document.body && node.tagName !== 'FORM'; i++, node = node.parentElement) {
      if (visibleControls(node) > 1) break;
      for (const e of node.querySelectorAll('*')) {
        if (e === el || e.contains(el) || e.matches(CONTROL) || e.tagName === 'LABEL') continue;
        if (POPUP.test(hintOf(e))) return true;
      }
    }
    return false;
  }
  // Month / day / year boxes of one date (Workday's spin buttons, three-box dates).
  function datePart(el) {
    const words = clean([el.getAttribute('aria-label'), el.getAttribute('placeholder'), ...(el.labels ? [...el.labels].map(textOf) : [])].join(' ')).toLowerCase();
    if (/^(month|mm)( mm)?$/.test(words)) return 'month';
    if (/^(day|dd)( dd)?$/.test(words)) return 'day';
    if (/^(year|yyyy|yy)( yyyy| yy)?$/.test(words)) return 'year';
    return '';
  }
  function dateGroupOf(el) {
    const group = el.closest('[role=group], fieldset') || el.parentElement;
    if (!group) return null;
    const parts = [...group.querySelectorAll('input')].filter((i) => datePart(i));
    return parts.length >= 2 && parts.some((i) => datePart(i) !== 'day') ? group : null;
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
  // A required marker at the end of a label ("Email *", "Phone ✱", "City (required)")
  // makes the field required; other than a plain "*" (which the question drops on its
  // own), it is no part of the question.
  const MARK = /\s*(\*|✱|✳|＊|\(required\))\s*$/i;
  const OTHER_MARK = /\s*(✱|✳|＊|\(required\))\s*$/i;
  const unmark = (t) => { let s = t; while (s && OTHER_MARK.test(s)) s = s.replace(OTHER_MARK, ''); return s; };
  // A placeholder that only says to type tells nothing about the answer.
  const EMPTY_HINT = /^(type here|start typing|begin typing|type your answer|enter (your )?answer|your answer|write here|enter text)\W*$/i;
  function finish(el, d, target, mine) {
    if (!d.labels.length) d.nearby = nearbyText(target || el, mine);
    d.section = sectionOf(target || el);
    const question = d.labels[0] || d.group_label || d.nearby || '';
    const e = errorsOf(target || el, mine || 1, question); d.invalid = e.invalid; d.errors = e.texts;
    if (!d.required && MARK.test(question)) d.required = true;
    d.labels = d.labels.map(unmark).filter(Boolean);
    d.group_label = unmark(d.group_label); d.nearby = unmark(d.nearby);
    if (EMPTY_HINT.test(d.placeholder)) d.placeholder = '';
    out.push(d);
  }
  const ariaState = (el) => {
    const v = el.getAttribute('aria-checked') ?? el.getAttribute('aria-pressed') ?? el.getAttribute('aria-selected');
    if (v !== null) return v === 'true' || v === 'mixed';
    // A toggle button without ARIA state shows it by a class (Ashby's "_active").
    return /(^|[\s_-])(active|selected|checked|pressed)($|[\s_-])/i.test(typeof el.className === 'string' ? el.className : '');
  };

  // Plain buttons that are the choices of one question (Yes / No), backed by a hidden
  // input that holds the answer: the buttons are the field (a click on "No" is what
  // records No), the hidden input is left out. Found before the walk, by parent element.
  const toggleOf = new Map();  // button -> its group (the parent element)
  const backingOf = new Map(); // group -> the hidden input behind it
  const claimed = new Set();   // hidden inputs that belong to a group of buttons
  function findToggleGroups(root) {
    const seen = new Set();
    for (const b of root.querySelectorAll('button, [role=button]')) {
      const group = b.parentElement;
      if (!group || seen.has(group)) continue;
      seen.add(group);
      const kids = [...group.children];
      const buttons = kids.filter((k) => k.matches('button, [role=button]'));
      if (buttons.length < 2 || buttons.length > 6 || buttons.length !== kids.length) continue;
      if (group.closest('[role=toolbar], [role=menubar], [role=tablist]')) continue;
      if (buttons.some((k) => k.hasAttribute('aria-pressed') || k.hasAttribute('aria-haspopup') || k.matches('[role=radio], [role=checkbox], [role=switch]') ||
          (k.tagName === 'BUTTON' && (k.getAttribute('type') || 'submit').toLowerCase() !== 'button'))) continue;
      const texts = buttons.map((k) => clean(k.innerText || k.textContent));
      if (texts.some((t) => !t || t.length > 40)) continue;
      // The hidden input behind the buttons, within the field's own container.
      let backing = null;
      let node = group.parentElement;
      for (let depth = 0; depth < 2 && node && !backing; depth++, node = node.parentElement) {
        if (visibleControls(node) > 0) break;
        backing = [...node.querySelectorAll('input')].find((input) => ['checkbox', 'radio', 'hidden', 'text'].includes((input.type || '').toLowerCase()) &&
          (input.type === 'hidden' || styleHidden(input) || !onScreen(input))) || null;
      }
      const yesNo = texts.every((t) => /^(yes|no)\b/i.test(t));
      if (!backing && !yesNo) continue;
      for (const k of buttons) toggleOf.set(k, group);
      if (backing) { backingOf.set(group, backing); claimed.add(backing); }
    }
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) findToggleGroups(el.shadowRoot);
  }
  const ownText = (el) => clean(el.getAttribute('aria-label') || el.innerText || el.textContent).slice(0, 200);

  // Groups are keyed by their root (document or shadow root) and name, so radios named
  // "answer" in two web components are two questions.
  const roots = new Map();
  const rootKey = (el) => { const r = el.getRootNode(); if (!roots.has(r)) roots.set(r, roots.size); return roots.get(r); };
  const radioGroups = new Map();
  const checkGroups = new Map();
  const ariaGroups = new Map();
  const dateGroups = new Map();

  // A group of non-input choices: role=radio elements or aria-pressed buttons.
  function collectAriaChoice(el, group) {
    let g = ariaGroups.get(group);
    if (!g) {
      g = base(el, 'radio');
      g.options = []; g.labels = [];
      const backing = backingOf.get(group);
      g.name = group.getAttribute('name') || group.getAttribute('data-name') || (backing && backing.name) || g.name;
      g.id_attr = group.id || (backing && backing.id) || g.id_attr;
      g.group_label = groupLabel(el) || byIds(group, 'aria-labelledby') || clean(group.getAttribute('aria-label')) ||
        (backing ? labelsOf(backing)[0] || '' : '');
      if (backing && (backing.required || backing.getAttribute('aria-required') === 'true')) g.required = true;
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
          let box = el.closest('fieldset, [role=radiogroup], [role=group]');
          if (!box && el.name) {
            // No fieldset: the question is the text before the block holding all the
            // radios of the group (Lever's cards: a div beside a list of radios).
            const scope = el.form || el.getRootNode();
            const all = [...scope.querySelectorAll(`input[type=radio][name="${CSS.escape(el.name)}"]`)];
            if (all.length > 1) box = commonAncestor(all);
          }
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
        if (claimed.has(el)) return;  // the hidden state of a group of buttons
        const group = el.closest('fieldset, [role=group]');
        const scope = el.form || group || el.getRootNode();
        const same = el.name ? [...scope.querySelectorAll(`input[type=checkbox][name="${CSS.escape(el.name)}"]`)] : [];
        // Unnamed boxes under one legend, none required on its own: one question whose
        // answers are the boxes (Workday's "check one of the boxes below").
        const unnamed = !el.name && group && group.tagName === 'FIELDSET' && group.querySelector('legend') &&
          [...group.querySelectorAll('input[type=checkbox]')].filter((c) => !c.name && !c.required && c.getAttribute('aria-required') !== 'true').length > 1 &&
          !el.required && el.getAttribute('aria-required') !== 'true';
        if (same.length > 1 || unnamed) {
          const key = unnamed ? group : rootKey(el) + ':' + el.name;
          let g = checkGroups.get(key);
          if (!g) {
            g = base(el, 'checkbox_group'); g.options = []; g.labels = []; checkGroups.set(key, g);
            if (!group || same.length > 1 && !group.contains(same[same.length - 1])) {
              const box = commonAncestor(same);
              if (!g.group_label && box) g.group_label = nearbyText(box, controlCount(box, 1000));
              finish(el, g, box || el, box ? controlCount(box, 1000) : 1);
            } else finish(el, g);
          }
          el.setAttribute('data-gh-id', prefix + 'o' + (n++));
          g.options.push({ gh_id: el.getAttribute('data-gh-id'), text: labelsOf(el)[0] || el.value, value: el.value, checked: el.checked });
          return;
        }
        const d = base(el, 'checkbox'); d.checked = el.checked; d.value = el.value; finish(el, d); return;
      }
      if (['text', 'tel', 'number', ''].includes(type) && role !== 'combobox' && datePart(el)) {
        const box = dateGroupOf(el);
        if (box) {
          let g = dateGroups.get(box);
          if (!g) {
            g = base(el, 'date'); g.parts = []; g.input_type = '';
            const own = byIds(box, 'aria-labelledby') || clean(box.getAttribute('aria-label')) ||
              (box.tagName === 'FIELDSET' && box.querySelector('legend') ? textOf(box.querySelector('legend')) : '');
            const mine = controlCount(box, 1000);
            g.labels = own ? [own] : [];
            g.group_label = box.parentElement ? groupLabel(box.parentElement) : '';
            g.id_attr = box.id || g.id_attr;
            dateGroups.set(box, g);
            finish(el, g, box, mine);
          }
          el.setAttribute('data-gh-id', prefix + 'p' + (n++));
          g.parts.push({ gh_id: el.getAttribute('data-gh-id'), part: datePart(el), value: el.value, size: Number(el.getAttribute('maxlength')) || 0 });
          g.value = g.parts.every((p) => p.value) ? g.parts.map((p) => p.value).join('/') : '';
          if (el.required || el.getAttribute('aria-required') === 'true') g.required = true;
          return;
        }
      }
      const aria = role === 'combobox' || !!el.closest('[role=combobox]') ||
        ['list', 'both'].includes((el.getAttribute('aria-autocomplete') || '').toLowerCase()) ||
        (el.getAttribute('aria-haspopup') || '').toLowerCase() === 'listbox';
      const hinted = !aria && role !== 'switch' && ['text', 'search', ''].includes(type) && typeaheadHint(el);
      const typeahead = aria || hinted;
      const kind = typeahead ? 'combobox' : role === 'switch' ? 'switch' : (type === 'date' ? 'date' : 'text');
      const d = base(el, kind); d.value = el.value; d.checked = !!el.checked;
      if (hinted) d.typeahead_hint = true;
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
    if (role === 'combobox' || (el.getAttribute('aria-haspopup') || '').toLowerCase() === 'listbox') {
      // ARIA 1.1 pattern: the combobox wraps the text input, which is the field.
      if (el.querySelector('input:not([type=hidden])')) return;
      // A dropdown button shows its choice as its text ("Select One" when none).
      const d = base(el, 'combobox'); d.value = shownValue(el.value || el.innerText || el.textContent);
      d.popup_button = true;
      // Its own popup list sits next to it: the two are one field, whose messages live
      // in the container around both.
      const widget = parentOf(el);
      const lists = widget ? [...widget.querySelectorAll('[role=listbox]')].filter((l) => !l.contains(el)).length : 0;
      finish(el, d, el, 1 + lists); return;
    }
    if (role === 'switch') { const d = base(el, 'switch'); d.checked = el.getAttribute('aria-checked') === 'true'; finish(el, d); return; }
    if (role === 'radio') { collectAriaChoice(el, el.closest('[role=radiogroup]') || parentOf(el)); return; }
    if (role === 'checkbox') {
      const d = base(el, 'checkbox'); d.checked = ariaState(el); d.value = ownText(el);
      if (!d.labels.length) { const t = ownText(el); if (t) d.labels = [t]; }
      finish(el, d); return;
    }
    if (toggleOf.has(el)) { collectAriaChoice(el, toggleOf.get(el)); return; }
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
      // So is the popup of a dropdown left open, floating at the end of the body.
      for (let node = el; node && node !== document.body; node = node.parentElement) {
        if (node.parentElement === document.body && ['absolute', 'fixed'].includes(getComputedStyle(node).position)) return;
      }
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
      if (el.matches(CONTROL) || toggleOf.has(el)) collect(el);
    }
  }
  findToggleGroups(document);
  walk(document);
  return out;
}
