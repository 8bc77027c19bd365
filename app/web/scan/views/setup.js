// Before the doors open: pick the check-in list and name this gate, then download what the
// device needs to check tickets offline (keys, tickets, rotation secrets).
import {
  ApiError, api, deviceId, h, navigate, notice, problemText, requireSignIn, saveSetup, screen,
  setupOf, t,
} from "../context.js";
import { Door } from "../door.js";

async function lists(eventId) {
  try {
    return (await api.get(`/events/${eventId}/checkin-lists`)).lists;
  } catch (err) {
    // Door staff may not read the organizer's list overview: the default list is theirs.
    if (err instanceof ApiError && (err.status === 403 || err.status === 404)) return null;
    throw err;
  }
}

export default async function setup(main, { params: [eventId] }) {
  if (!requireSignIn()) return;
  const saved = setupOf(eventId);
  screen(main, t("setup.title"), h("p", { class: "muted" }, t("common.loading")));
  let choices;
  try {
    choices = await lists(eventId);
  } catch (err) {
    if (saved) {
      navigate(`/events/${eventId}/scan`, { replace: true });
      return;
    }
    screen(main, t("setup.title"), notice("bad", problemText(err)));
    return;
  }
  const problem = h("div", { class: "notice bad", role: "alert", hidden: true, tabindex: "-1" });
  const gate = h("input", {
    id: "f-gate", name: "gate", required: true, autocomplete: "off", maxlength: "40",
    value: saved?.gate || "", "aria-describedby": "f-gate-hint",
  });
  const listField = choices && choices.length > 1
    ? h("fieldset", {}, h("legend", {}, t("setup.list")),
      choices.map((l, i) => h("label", { class: "choice" },
        h("input", {
          type: "radio", name: "list", value: l.list_id,
          checked: saved ? saved.list_id === l.list_id : i === 0,
          dataset: { name: l.name },
        }),
        h("span", {}, h("strong", {}, l.name), h("br"),
          h("span", { class: "muted" }, [
            l.sections?.length ? l.sections.join(", ") : t("setup.all_sections"),
            l.reentry ? ` · ${t("setup.reentry")}` : "",
          ].join(""))))))
    : null;
  const button = h("button", { type: "submit", class: "btn" }, t("setup.start"));
  const form = h("form", { novalidate: true }, problem, listField,
    h("div", { class: "field" }, h("label", { for: "f-gate" }, t("setup.gate")),
      h("p", { class: "hint", id: "f-gate-hint" }, t("setup.gate_hint")), gate),
    button);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    problem.hidden = true;
    const name = gate.value.trim();
    if (!name) {
      problem.textContent = t("setup.gate_missing");
      problem.hidden = false;
      gate.focus();
      return;
    }
    const picked = form.querySelector("input[name=list]:checked");
    const listId = picked?.value || (choices?.length === 1 ? choices[0].list_id : null);
    button.disabled = true;
    button.textContent = t("setup.downloading");
    try {
      const door = new Door({ api, eventId, listId, gate: name, device: deviceId() });
      const data = await door.download();
      const chosen = choices?.find((l) => l.list_id === (listId || data.list?.list_id));
      saveSetup(eventId, {
        list_id: listId, list_name: data.list?.name || "", list_default: Boolean(chosen?.default ?? !listId), gate: name,
      });
      navigate(`/events/${eventId}/scan`);
    } catch (err) {
      problem.textContent = problemText(err);
      problem.hidden = false;
      problem.focus();
      button.disabled = false;
      button.textContent = t("setup.start");
    }
  });
  screen(main, t("setup.title"), h("p", { class: "muted" }, t("setup.intro")), form);
}
