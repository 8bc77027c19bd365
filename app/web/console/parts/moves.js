// The event's ticket-move rules (cancel, transfer, resale) and the moves fans made.
import { ApiError } from "../../shared/api.js";
import { announce, api, i18n, t, problemText } from "../core.js";
import { clearFieldErrors, field, h, showFieldErrors } from "../dom.js";

const HOUR = 3600;

export function movesPanel(event) {
  const box = h("section", { "aria-labelledby": "h-moves", class: "moves", id: "moves" },
    h("h2", { id: "h-moves" }, t("moves.title")), h("p", {}, t("moves.loading")));
  load(box, event).catch((err) => box.replaceChildren(h("p", { class: "error" }, problemText(err))));
  return box;
}

async function load(box, event) {
  const [rules, moves] = await Promise.all([
    api.get(`/events/${event.event_id}/move-rules`),
    api.get(`/events/${event.event_id}/moves`),
  ]);
  box.replaceChildren(h("h2", { id: "h-moves" }, t("moves.title")), rulesForm(event, rules), movesTable(moves.items, event));
}

function check(name, checked, label) {
  const id = `f-${name}`;
  return h("div", { class: "check" }, h("input", { type: "checkbox", id, name, checked, dataset: { field: name } }),
    h("label", { for: id }, label));
}

function hours(name, seconds, label, hint) {
  return field({ label, name, type: "number", value: String(seconds / HOUR), hint,
    attrs: { min: "0", step: "0.25", inputmode: "decimal", class: "short" } });
}

function rulesForm(event, rules) {
  const status = h("p", { role: "status", class: "hint" });
  const form = h("form", { id: "move-rules", novalidate: true },
    h("fieldset", {}, h("legend", {}, t("moves.cancel")),
      check("cancel_enabled", rules.cancel_enabled, t("moves.cancel_enabled")),
      hours("cancel_until_s", rules.cancel_until_s, t("moves.cancel_until"), t("moves.hours_hint"))),
    h("fieldset", {}, h("legend", {}, t("moves.transfer")),
      check("transfer_enabled", rules.transfer_enabled, t("moves.transfer_enabled")),
      field({ label: t("moves.transfer_max"), name: "transfer_max_per_ticket", type: "number",
        value: String(rules.transfer_max_per_ticket), attrs: { min: "1", max: "100", class: "short" } }),
      hours("transfer_cutoff_s", rules.transfer_cutoff_s, t("moves.transfer_cutoff"), t("moves.hours_hint"))),
    h("fieldset", {}, h("legend", {}, t("moves.resale")),
      check("resale_enabled", rules.resale_enabled, t("moves.resale_enabled")),
      field({ label: t("moves.resale_fee", { currency: event.currency }), name: "resale_fee", type: "number",
        value: String(rules.resale_fee_cents / 100), hint: t("moves.resale_fee_hint"),
        attrs: { min: "0", step: "0.01", inputmode: "decimal", class: "short" } })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("moves.save"))), status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const v = (name) => form.elements[name];
    const body = {
      cancel_enabled: v("cancel_enabled").checked,
      cancel_until_s: Math.round(Number(v("cancel_until_s").value) * HOUR),
      transfer_enabled: v("transfer_enabled").checked,
      transfer_max_per_ticket: Math.round(Number(v("transfer_max_per_ticket").value)),
      transfer_cutoff_s: Math.round(Number(v("transfer_cutoff_s").value) * HOUR),
      resale_enabled: v("resale_enabled").checked,
      resale_fee_cents: Math.round(Number(v("resale_fee").value) * 100),
    };
    try {
      await api.request(`/events/${event.event_id}/move-rules`, { method: "PUT", body });
      status.textContent = t("moves.saved");
      announce(t("moves.saved"));
    } catch (err) {
      if (err instanceof ApiError && err.errors.length) showFieldErrors(form, err);
      status.textContent = problemText(err);
    }
  });
  return form;
}

function movesTable(items, event) {
  if (!items.length) return h("p", { class: "hint" }, t("moves.none"));
  const when = (iso) => (iso ? i18n.dateTime(iso, event.timezone) : "");
  return h("table", { class: "list", id: "moves-table" },
    h("caption", { class: "sr-only" }, t("moves.log")),
    h("thead", {}, h("tr", {}, ["kind", "state", "from", "to", "amount", "at"].map((k) => h("th", { scope: "col" }, t(`moves.col_${k}`))))),
    h("tbody", {}, items.map((m) => h("tr", { dataset: { kind: m.kind, state: m.state } },
      h("td", {}, t(`moves.kind_${m.kind}`)),
      h("td", {}, h("span", { class: `tag tag-${m.state}` }, t(`moves.state_${m.state}`)),
        m.payout_state && m.payout_state !== "none" ? [" ", h("span", { class: "tag" }, t(`moves.payout_${m.payout_state}`))] : null),
      h("td", { class: "wrap" }, m.from_email),
      h("td", { class: "wrap" }, m.to_email || ""),
      h("td", {}, m.amount_cents == null ? "" : i18n.money(m.amount_cents, event.currency)),
      h("td", {}, when(m.created_at))))));
}
