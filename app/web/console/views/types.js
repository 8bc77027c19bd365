// Ticket types of one event, section by section: create (price, quota, per-order limit, sale
// window, companion type), the list with what each has held and sold, edit and delete. A
// section with no types sells at its own price. Works at 360 px.
import { ApiError } from "../../shared/api.js";
import { announce, api, i18n, link, page, problemText, t } from "../core.js";
import { clearFieldErrors, field, h, showFieldErrors } from "../dom.js";
import { isoToZoned, zonedToIso } from "../zoned.js";

export default async function types({ params }) {
  const id = params[0];
  const event = await api.get(`/events/${id}`);
  const tz = event.timezone;
  const message = h("div", { class: "summary", role: "alert", hidden: true, tabindex: "-1" });
  const listBox = h("div", { id: "types" });
  const money = (cents) => i18n.money(cents, event.currency);
  const digits = new Intl.NumberFormat("en", { style: "currency", currency: event.currency }).resolvedOptions().maximumFractionDigits;
  const at = (iso) => new Intl.DateTimeFormat(i18n.lang, { dateStyle: "medium", timeStyle: "short", timeZone: tz }).format(new Date(iso));
  // Only general-admission sections take types (a seated one prices by seat category).
  const sections = event.sections.filter((s) => !s.seated);
  let editing = null; // the type being edited, or null for a new one
  let current = [];

  function fail(err) {
    message.replaceChildren(h("p", {}, problemText(err)));
    message.hidden = false;
    message.focus();
  }

  function facts(ty) {
    const out = [t("types.price_is", { price: money(ty.price_cents) }), t("types.quota_is", { n: i18n.number(ty.quota) })];
    if (ty.max_per_order) out.push(t("types.limit_is", { n: ty.max_per_order }));
    if (ty.companion) out.push(t("types.needs", { type: ty.companion }));
    if (ty.opens_at) out.push(t("types.opens", { when: at(ty.opens_at) }));
    if (ty.closes_at) out.push(t("types.closes", { when: at(ty.closes_at) }));
    return out.join(" · ");
  }

  function card(ty) {
    return h("li", { class: "discount-card type-card", dataset: { type: ty.code, section: ty.section } },
      h("h3", {}, ty.name, " ", h("code", {}, ty.code), " ",
        h("span", { class: `tag tag-${ty.state === "on_sale" ? "on_sale" : ty.state === "sold_out" ? "paused" : "ended"}` }, t(`types.state.${ty.state}`))),
      h("p", {}, facts(ty)),
      h("p", { class: "uses", dataset: { sold: String(ty.sold ?? 0), held: String(ty.held ?? 0) } },
        t("types.counts", { sold: i18n.number(ty.sold ?? 0), held: i18n.number(ty.held ?? 0), available: i18n.number(ty.available) })),
      h("div", { class: "actions tight" },
        h("button", { type: "button", class: "link", onclick: () => edit(ty) }, t("types.edit")),
        h("button", { type: "button", class: "link danger", onclick: async () => {
          try {
            await api.delete(`/events/${id}/sections/${ty.section}/types/${ty.code}`);
            message.hidden = true;
            announce(t("types.did_delete", { type: ty.code }));
            await drawList();
          } catch (err) {
            fail(err);
          }
        } }, t("types.delete"))));
  }

  async function drawList() {
    const { items } = await api.get(`/events/${id}/types`);
    current = items;
    listBox.replaceChildren(...sections.map((s) => {
      const mine = items.filter((ty) => ty.section === s.code);
      return h("section", { class: "type-section", dataset: { section: s.code } },
        h("h2", {}, t("types.section", { code: s.code, name: s.name })),
        h("p", { class: "hint" }, mine.length ? t("types.capacity", { n: i18n.number(s.capacity) }) : t("types.none", { price: money(s.price_cents) })),
        mine.length ? h("ul", { class: "discount-list" }, mine.map(card)) : null);
    }));
    companionOptions();
  }

  const section = h("select", {}, sections.map((s) => h("option", { value: s.code }, `${s.code} · ${s.name}`)));
  const companion = h("select", {});
  function companionOptions() {
    const keep = companion.value;
    const code = (form.querySelector('[data-field="code"]')?.value || "").toUpperCase();
    companion.replaceChildren(h("option", { value: "" }, t("types.no_companion")),
      ...current.filter((ty) => ty.section === section.value && ty.code !== code).map((ty) => h("option", { value: ty.code }, `${ty.code} · ${ty.name}`)));
    companion.value = keep;
  }
  section.addEventListener("change", companionOptions);
  const title = h("h2", { id: "type-form-title" }, t("types.new"));
  const submit = h("button", { type: "submit", class: "primary" }, t("types.create"));
  const cancel = h("button", { type: "button", class: "secondary", hidden: true, onclick: () => reset() }, t("types.cancel"));
  const form = h("form", { novalidate: true, id: "type-form" },
    field({ label: t("types.section_label"), name: "section", control: section }),
    field({ label: t("types.code"), name: "code", hint: t("types.code_hint"), attrs: { required: true, maxlength: 32, autocapitalize: "characters", autocomplete: "off" } }),
    field({ label: t("types.name"), name: "name", attrs: { required: true, maxlength: 80 } }),
    field({ label: t("types.price"), name: "price_cents", type: "number", hint: t("types.price_hint", { currency: event.currency }), attrs: { required: true, min: 0, step: "any", inputmode: "decimal" } }),
    field({ label: t("types.quota"), name: "quota", type: "number", hint: t("types.quota_hint"), attrs: { required: true, min: 0 } }),
    field({ label: t("types.max_per_order"), name: "max_per_order", type: "number", hint: t("types.max_per_order_hint", { n: event.max_per_order }), attrs: { min: 0, max: 100 } }),
    field({ label: t("types.companion"), name: "companion", control: companion, hint: t("types.companion_hint") }),
    field({ label: t("types.opens_at"), name: "opens_at", type: "datetime-local", hint: t("types.window_hint", { tz }) }),
    field({ label: t("types.closes_at"), name: "closes_at", type: "datetime-local", hint: t("types.window_hint", { tz }) }),
    h("div", { class: "actions" }, submit, cancel));
  const input = (n) => form.querySelector(`[data-field="${n}"]`);
  input("code").addEventListener("change", companionOptions);

  function reset() {
    editing = null;
    form.reset();
    input("code").readOnly = false;
    section.disabled = false;
    title.textContent = t("types.new");
    submit.textContent = t("types.create");
    cancel.hidden = true;
    clearFieldErrors(form);
    companionOptions();
  }

  function edit(ty) {
    editing = ty;
    section.value = ty.section;
    section.disabled = true;
    input("code").value = ty.code;
    input("code").readOnly = true;
    input("name").value = ty.name;
    input("price_cents").value = String(ty.price_cents / 10 ** digits);
    input("quota").value = String(ty.quota);
    input("max_per_order").value = ty.max_per_order ? String(ty.max_per_order) : "";
    companionOptions();
    companion.value = ty.companion || "";
    input("opens_at").value = ty.opens_at ? isoToZoned(ty.opens_at, tz) : "";
    input("closes_at").value = ty.closes_at ? isoToZoned(ty.closes_at, tz) : "";
    title.textContent = t("types.editing", { type: ty.code });
    submit.textContent = t("types.save");
    cancel.hidden = false;
    form.scrollIntoView({ block: "start" });
    input("name").focus();
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const val = (n) => input(n)?.value?.trim() ?? "";
    const code = val("code").toUpperCase();
    const missing = [["code", code], ["name", val("name")], ["price_cents", val("price_cents")], ["quota", val("quota")]]
      .filter(([, v]) => !v).map(([f]) => ({ field: f, message: t("types.missing") }));
    if (missing.length) {
      showFieldErrors(form, { errors: missing });
      return;
    }
    const body = {
      code,
      name: val("name"),
      price_cents: Math.round(Number(val("price_cents")) * 10 ** digits),
      quota: Number(val("quota")),
      max_per_order: Number(val("max_per_order") || 0),
    };
    if (companion.value) body.companion = companion.value;
    if (val("opens_at")) body.opens_at = zonedToIso(val("opens_at"), tz);
    if (val("closes_at")) body.closes_at = zonedToIso(val("closes_at"), tz);
    const where = editing ? editing.section : section.value;
    try {
      if (editing) await api.put(`/events/${id}/sections/${where}/types/${editing.code}`, body);
      else await api.post(`/events/${id}/sections/${where}/types`, body, { idempotent: true });
      message.hidden = true;
      announce(t(editing ? "types.did_save" : "types.did_create", { type: code }));
      reset();
      await drawList();
    } catch (err) {
      if (err instanceof ApiError && err.errors.length) {
        const rest = showFieldErrors(form, err);
        if (rest.length) fail(err);
      } else fail(err);
    }
  });

  await drawList();
  return {
    nodes: page("types.title", { name: event.name },
      h("p", {}, link(`/events/${id}`, t("types.back"))),
      h("p", { class: "hint" }, t("types.intro")),
      message,
      listBox,
      sections.length ? [title, form] : h("p", {}, t("types.no_sections"))),
  };
}
