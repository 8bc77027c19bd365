// Forms of the console: submit runs an action; the API's problems land next to fields or in a summary.
import { ApiError } from "../../shared/api.js";
import { t } from "../core.js";
import { clearFieldErrors, h, showFieldErrors } from "../dom.js";

/** A form whose submit runs action(form); problems land next to fields or in the summary. */
export function form(children, action, submitKey) {
  const summary = h("div", { class: "summary", role: "alert", hidden: true });
  const button = h("button", { type: "submit", class: "primary" }, t(submitKey));
  const el = h("form", { novalidate: true }, summary, children, h("div", { class: "actions" }, button));
  el.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFieldErrors(el);
    summary.hidden = true;
    button.disabled = true;
    try {
      await action(el);
    } catch (err) {
      const rest = err instanceof ApiError ? showFieldErrors(el, err) : [];
      if (!(err instanceof ApiError) || !err.errors.length || rest.length) {
        summary.replaceChildren(
          h("h2", {}, t("form.problem")),
          // With field errors the list says it all, translated; `detail` is the server's English.
          ...(rest.length ? [] : [h("p", {}, err instanceof ApiError ? err.detail || err.title : String(err))]),
          ...(rest.length ? [h("ul", {}, rest.map((m) => h("li", {}, m)))] : []),
        );
        summary.hidden = false;
        summary.focus?.();
      }
    } finally {
      button.disabled = false;
    }
  });
  summary.tabIndex = -1;
  return el;
}
