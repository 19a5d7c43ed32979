// Runs in the page (ghosthands/llm/observe.py loads it). Defines describe(el) and
// collect(maxElements, maxText). Elements inside a button or link are folded into it;
// file, checkbox and radio inputs count as visible when their label is (sites often
// hide the input behind a styled label).
const norm = (s) => (s || "").replace(/\s+/g, " ").trim();
const quote = (s) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, " ");
const unique = (sel) => { try { return document.querySelectorAll(sel).length === 1; } catch (e) { return false; } };
const generated = (s) => /\d{3,}|[0-9a-f]{8,}|[:]/i.test(s);
const shown = (el) => {
  const r = el.getBoundingClientRect();
  if (r.width <= 0 || r.height <= 0) return false;
  const st = getComputedStyle(el);
  return st.visibility !== "hidden" && st.display !== "none";
};
const labelOf = (el) => {
  const aria = el.getAttribute("aria-label");
  if (aria) return norm(aria);
  const by = el.getAttribute("aria-labelledby");
  if (by) {
    const t = by.split(/\s+/).map((id) => document.getElementById(id)).filter(Boolean)
      .map((e) => e.innerText).join(" ");
    if (norm(t)) return norm(t);
  }
  if (el.labels && el.labels.length) {
    const t = Array.from(el.labels).map((l) => l.innerText).join(" ");
    if (norm(t)) return norm(t);
  }
  const tag = el.tagName.toLowerCase();
  if (tag === "input" && ["submit", "button", "reset"].includes(el.type)) return norm(el.value);
  if (!["input", "select", "textarea"].includes(tag)) {
    const t = norm(el.innerText || el.textContent);
    if (t) return t;
    const img = el.querySelector("img[alt]");
    if (img) return norm(img.getAttribute("alt"));
  }
  return norm(el.getAttribute("placeholder") || el.getAttribute("title") || "");
};
const selectorFor = (el) => {
  const tag = el.tagName.toLowerCase();
  if (el.id && !generated(el.id) && unique("#" + CSS.escape(el.id))) return "#" + CSS.escape(el.id);
  for (const attr of ["data-testid", "data-test", "data-qa", "data-cy"]) {
    const v = el.getAttribute(attr);
    if (v) { const s = `${tag}[${attr}="${quote(v)}"]`; if (unique(s)) return s; }
  }
  const name = el.getAttribute("name");
  if (name) {
    let s = `${tag}[name="${quote(name)}"]`;
    if ((el.type === "radio" || el.type === "checkbox") && el.getAttribute("value") !== null)
      s += `[value="${quote(el.getAttribute("value"))}"]`;
    if (unique(s)) return s;
  }
  const aria = el.getAttribute("aria-label");
  if (aria) { const s = `${tag}[aria-label="${quote(aria)}"]`; if (unique(s)) return s; }
  const text = norm(el.innerText);
  if (text && text.length <= 60 && !["input", "select", "textarea"].includes(tag)) {
    const same = Array.from(document.querySelectorAll(tag)).filter((e) => norm(e.innerText) === text);
    if (same.length === 1) return `${tag}:text-is("${quote(text)}")`;
  }
  const parts = [];
  let cur = el;
  while (cur && cur.nodeType === 1 && cur !== document.body) {
    if (cur !== el && cur.id && !generated(cur.id) && unique("#" + CSS.escape(cur.id))) {
      parts.unshift("#" + CSS.escape(cur.id));
      return parts.join(" > ");
    }
    let i = 1, sib = cur;
    while ((sib = sib.previousElementSibling)) if (sib.tagName === cur.tagName) i++;
    parts.unshift(`${cur.tagName.toLowerCase()}:nth-of-type(${i})`);
    cur = cur.parentElement;
  }
  parts.unshift("body");
  return parts.join(" > ");
};
const describe = (el) => {
  const tag = el.tagName.toLowerCase();
  const d = { tag, label: labelOf(el).slice(0, 100) };
  const role = el.getAttribute("role"); if (role) d.role = role;
  if (tag === "input") d.type = (el.getAttribute("type") || "text").toLowerCase();
  if (el.getAttribute("name")) d.name = el.getAttribute("name");
  if (tag === "select") {
    d.options = Array.from(el.options).slice(0, 25).map((o) => norm(o.label || o.text));
    d.value = el.selectedIndex >= 0 ? norm(el.options[el.selectedIndex].label) : "";
  } else if (tag === "textarea" || (tag === "input" && !["checkbox", "radio", "submit", "button", "reset", "file", "image"].includes(d.type))) {
    d.value = d.type === "password" ? (el.value ? "(filled)" : "") : String(el.value).slice(0, 200);
  } else if (tag === "input" && d.type === "file") {
    d.value = el.files && el.files.length ? Array.from(el.files).map((f) => f.name).join(", ") : "";
  }
  const editable = el.isContentEditable || d.role === "combobox" || d.role === "textbox";
  if (editable && !["input", "textarea", "select"].includes(tag)) d.value = norm(el.innerText).slice(0, 200);
  if (tag === "input" && (d.type === "checkbox" || d.type === "radio")) d.checked = el.checked;
  const ac = el.getAttribute("aria-checked"); if (ac !== null) d.checked = ac === "true";
  const ae = el.getAttribute("aria-expanded"); if (ae !== null) d.expanded = ae === "true";
  const as = el.getAttribute("aria-selected"); if (as === "true") d.selected = true;
  if (el.disabled || el.getAttribute("aria-disabled") === "true") d.disabled = true;
  if (el.required || el.getAttribute("aria-required") === "true") d.required = true;
  if (tag === "a" && el.getAttribute("href")) d.href = el.getAttribute("href").slice(0, 80);
  return d;
};
const collect = (maxElements, maxText) => {
  const QUERY = "a[href], button, input, select, textarea, summary, [role=button], [role=link], " +
    "[role=checkbox], [role=radio], [role=combobox], [role=option], [role=menuitem], [role=tab], " +
    "[role=switch], [role=textbox], [contenteditable=''], [contenteditable=true], [onclick]";
  const out = [];
  let more = 0;
  for (const el of document.querySelectorAll(QUERY)) {
    const tag = el.tagName.toLowerCase();
    if (tag === "input" && el.type === "hidden") continue;
    if (el.parentElement && el.parentElement.closest("button, a[href], [role=button], [role=option]")) continue;
    const labelled = tag === "input" && ["file", "checkbox", "radio"].includes(el.type) &&
      el.labels && Array.from(el.labels).some(shown);
    if (!shown(el) && !labelled && !(tag === "input" && el.type === "file")) continue;
    if (out.length >= maxElements) { more++; continue; }
    const d = describe(el);
    d.selector = selectorFor(el);
    out.push(d);
  }
  // Page text keeps its line breaks (they carry structure); runs of blanks collapse.
  const raw = document.body ? document.body.innerText : "";
  const text = raw.replace(/[ \t\u00a0]+/g, " ").replace(/\s*\n\s*/g, "\n").trim().slice(0, maxText);
  return { url: location.href, title: document.title, elements: out, more, text,
           width: window.innerWidth, height: window.innerHeight };
};
