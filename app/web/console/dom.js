// DOM helpers of the console: element builder (shared), field errors from problem JSON, downloads.
import { h } from "../shared/dom.js";

export { h };

let uid = 0;
/** A labelled input with a hint and an error slot, wired with aria-describedby. */
export function field({ label, name, type = "text", value = "", hint, attrs = {}, control }) {
  const id = `f-${name.replace(/[^\w-]/g, "_")}-${++uid}`;
  const errId = `${id}-err`;
  const hintId = hint ? `${id}-hint` : null;
  const input =
    control ||
    h("input", { id, name, type, value, ...attrs, "aria-describedby": [hintId, errId].filter(Boolean).join(" ") });
  if (control) {
    input.id = id;
    input.name = name;
    input.setAttribute("aria-describedby", [hintId, errId].filter(Boolean).join(" "));
  }
  input.dataset.field = name;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    h("p", { class: "error", id: errId, dataset: { errorFor: name }, hidden: true }),
    input,
  );
}

/** Normalize an API error field ("$.sections[0].price_cents", "body.name") to a form name. */
export function fieldName(apiField) {
  return String(apiField || "").replace(/^\$\./, "").replace(/^(body|data)\./, "");
}

let errorText = (e) => e.message;
/** How a field error reads (app.js passes the translation by rule, see I18n.fieldError). */
export function useErrorText(fn) {
  errorText = fn;
}

/**
 * Show every one of a problem's errors[] next to its field inside form (several on one field
 * are all shown); returns the messages that found no field (shown in the form's summary by the
 * caller).
 */
export function showFieldErrors(form, err) {
  clearFieldErrors(form);
  const unplaced = [];
  for (const e of err.errors || []) {
    const name = fieldName(e.field);
    const slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    const input = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    const text = errorText(e);
    if (slot && input) {
      slot.textContent = slot.textContent ? `${slot.textContent} ${text}` : text;
      slot.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.closest(".field")?.classList.add("has-error");
    } else {
      unplaced.push(name && name !== "body" ? `${name}: ${text}` : text);
    }
  }
  const first = form.querySelector("[aria-invalid=true]");
  if (first) first.focus();
  return unplaced;
}

export function clearFieldErrors(form) {
  for (const slot of form.querySelectorAll("[data-error-for]")) {
    slot.hidden = true;
    slot.textContent = "";
  }
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll(".has-error")) el.classList.remove("has-error");
}

/** Save a Blob as a file (the console's CSV and JSON exports). */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Label every cell of a list table with its column's heading (data-label), for the rows there
 * now and those added later, so that a phone shows each row as a card (CSS: table.cards).
 */
export function cards(table) {
  const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  const label = (tr) => {
    [...tr.children].forEach((cell, i) => {
      if (heads[i] && !cell.dataset.label) cell.dataset.label = heads[i];
    });
  };
  for (const body of table.tBodies) {
    for (const tr of body.rows) label(tr);
    new MutationObserver((changes) => {
      for (const change of changes) for (const node of change.addedNodes) if (node.nodeName === "TR") label(node);
    }).observe(body, { childList: true });
  }
  table.classList.add("cards");
  return table;
}
