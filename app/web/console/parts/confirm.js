// Confirmation before a risky action (role grants, publishing, withdrawing seats): a modal dialog
// that says what will happen, with "cancel" first so Enter on the open dialog does nothing risky.
import { h } from "../dom.js";

let uid = 0;

/**
 * Ask; resolves true when the organizer confirms. `facts` are short lines shown as a list
 * (what is true right now); `testid` marks the confirm button for tests.
 */
export function confirmAction({ title, body, facts = [], confirm, cancel, tone = "danger", testid }) {
  const id = `confirm-title-${++uid}`;
  const dialog = h("dialog", { "aria-labelledby": id, class: "confirm" },
    h("form", { method: "dialog" },
      h("h2", { id }, title),
      body ? h("p", {}, body) : null,
      facts.length ? h("ul", { class: "facts" }, facts.map((f) => h("li", {}, f))) : null,
      h("div", { class: "actions wrap" },
        h("button", { value: "cancel", class: "secondary" }, cancel),
        h("button", { value: "ok", class: tone, dataset: testid ? { testid } : {} }, confirm))));
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "ok");
    });
    dialog.showModal();
  });
}
