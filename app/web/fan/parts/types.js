// The ticket type picker of a section sold by type: one stepper per type with its price and
// its state (on sale, sold out, not on sale yet, sale ended), the companion rule said next to
// the type that needs it, and the total. The hold script decides; this only helps to ask.
import { h, i18n, t } from "../core.js";
import { money } from "./common.js";

/** The event's ticket types ({currency, items}), or none when they cannot be read. */
export async function loadTypes(api, eventId) {
  return api.get(`/events/${eventId}/types`).catch(() => ({ items: [] }));
}

/**
 * A picker for `types` (the section's, in order) within `max` tickets in all; `onChange` is
 * called with the count after every step. Returns {el, lines(), count(), total()}.
 */
export function typePicker({ types, currency, timeZone, max, onChange = () => {} }) {
  const counts = new Map(types.map((ty) => [ty.code, 0]));
  const count = () => [...counts.values()].reduce((a, b) => a + b, 0);
  const total = () => types.reduce((sum, ty) => sum + ty.price_cents * counts.get(ty.code), 0);
  const names = new Map(types.map((ty) => [ty.code, ty.name]));
  const rows = [];

  function limitOf(ty) {
    return Math.max(0, Math.min(ty.available, ty.max_per_order || max));
  }

  function refresh() {
    for (const row of rows) row.update();
    onChange(count());
  }

  for (const ty of types) {
    const open = ty.state === "on_sale";
    const qty = h("output", { id: `qty-${ty.code}`, "aria-live": "polite" }, "0");
    const labelId = `type-${ty.code}`;
    const minus = h("button", { type: "button", "aria-label": t("types.fewer", { type: ty.name }),
      onclick: () => { counts.set(ty.code, Math.max(0, counts.get(ty.code) - 1)); refresh(); } }, "−");
    const plus = h("button", { type: "button", "aria-label": t("types.more", { type: ty.name }),
      onclick: () => { counts.set(ty.code, counts.get(ty.code) + 1); refresh(); } }, "+");
    const state = open ? null : h("span", { class: `tag tag-${ty.state}` }, t(`types.state.${ty.state}`,
      { when: ty.opens_at ? i18n.dateTime(ty.opens_at, timeZone, { dateStyle: "medium", timeStyle: "short" }) : "" }));
    const notes = [
      ty.companion ? t("types.needs", { type: names.get(ty.companion) || ty.companion }) : null,
      open && ty.max_per_order ? t("types.limit", { count: ty.max_per_order }) : null,
      open && ty.available > 0 && ty.available <= 10 ? t("types.few_left", { count: ty.available }) : null,
    ].filter(Boolean);
    const row = h("div", { class: "type-row", dataset: { type: ty.code, state: ty.state } },
      h("div", { class: "type-head" },
        h("span", { id: labelId }, h("strong", {}, ty.name)),
        h("strong", { class: "type-price" }, money(ty.price_cents, currency))),
      notes.length ? h("p", { class: "hint" }, notes.join(" · ")) : null,
      open
        ? h("div", { class: "stepper", role: "group", "aria-labelledby": labelId }, minus, qty, plus)
        : state);
    row.update = () => {
      const n = counts.get(ty.code);
      qty.textContent = String(n);
      minus.disabled = n <= 0;
      plus.disabled = n >= limitOf(ty) || count() >= max;
    };
    rows.push(row);
  }
  const el = h("fieldset", { class: "type-picker", id: "type-picker" },
    h("legend", {}, t("types.legend")), rows);
  refresh();
  return {
    el,
    count,
    total,
    lines: () => types.filter((ty) => counts.get(ty.code) > 0).map((ty) => ({ type: ty.code, quantity: counts.get(ty.code) })),
  };
}
