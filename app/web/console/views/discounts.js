// Discount codes of one event: create (percent or amount off, uses, section or phase scope),
// the list with uses taken so far (holds and sales, live from the hold script's count), and
// disable. Works at 360 px.
import { ApiError } from "../../shared/api.js";
import { announce, api, i18n, link, page, problemText, t } from "../core.js";
import { clearFieldErrors, field, h, showFieldErrors } from "../dom.js";

export default async function discounts({ params }) {
  const id = params[0];
  const event = await api.get(`/events/${id}`);
  const phases = (await api.get(`/events/${id}/phases`).catch(() => ({ items: [] }))).items || [];
  const message = h("div", { class: "summary", role: "alert", hidden: true, tabindex: "-1" });
  const listBox = h("ul", { class: "discount-list", id: "discounts" });
  const money = (cents) => i18n.money(cents, event.currency);
  // Minor-unit digits of the event's currency (0 for JPY, 2 for EUR), as Intl knows them.
  const digits = new Intl.NumberFormat("en", { style: "currency", currency: event.currency }).resolvedOptions().maximumFractionDigits;

  function fail(err) {
    message.replaceChildren(h("p", {}, problemText(err)));
    message.hidden = false;
    message.focus();
  }

  function rule(d) {
    const off = d.percent_off != null ? t("discounts.percent_off", { n: d.percent_off }) : t("discounts.amount_off", { amount: money(d.amount_off_cents) });
    const phase = d.phase_id ? phases.find((p) => p.phase_id === d.phase_id)?.name || d.phase_id : null;
    const scope = [d.section ? t("discounts.only_section", { section: d.section }) : null, phase ? t("discounts.only_phase", { phase }) : null].filter(Boolean);
    return [off, ...(scope.length ? scope : [t("discounts.everywhere")])].join(" · ");
  }

  function card(d) {
    const left = Math.max(0, d.max_uses - d.used);
    return h("li", { class: "discount-card", dataset: { code: d.code, disabled: String(d.disabled) } },
      h("h3", {}, h("code", {}, d.code), " ",
        h("span", { class: `tag tag-${d.disabled ? "ended" : left ? "on_sale" : "paused"}` },
          t(d.disabled ? "discounts.state.disabled" : left ? "discounts.state.active" : "discounts.state.used_up"))),
      h("p", {}, rule(d)),
      h("p", { class: "uses", dataset: { used: String(d.used) } },
        t("discounts.uses", { used: i18n.number(d.used), max: i18n.number(d.max_uses) })),
      d.disabled ? null : h("div", { class: "actions tight" }, h("button", { type: "button", class: "link danger", onclick: async () => {
        try {
          await api.post(`/events/${id}/discounts/${d.discount_id}/disable`, {});
          message.hidden = true;
          announce(t("discounts.did_disable", { code: d.code }));
          await drawList();
        } catch (err) {
          fail(err);
        }
      } }, t("discounts.disable"))));
  }

  async function drawList() {
    const { items } = await api.get(`/events/${id}/discounts`);
    listBox.replaceChildren(...(items.length ? items.map(card) : [h("li", { class: "empty" }, t("discounts.none"))]));
  }

  const kind = h("select", {},
    h("option", { value: "percent" }, t("discounts.kind.percent")),
    h("option", { value: "amount" }, t("discounts.kind.amount")));
  const section = h("select", {}, h("option", { value: "" }, t("discounts.any_section")),
    event.sections.map((s) => h("option", { value: s.code }, `${s.code} · ${s.name}`)));
  const phase = h("select", {}, h("option", { value: "" }, t("discounts.any_phase")),
    phases.map((p) => h("option", { value: p.phase_id }, p.name)));
  const form = h("form", { novalidate: true, id: "new-discount" },
    field({ label: t("discounts.code"), name: "code", hint: t("discounts.code_hint"), attrs: { required: true, maxlength: 32, autocapitalize: "characters", autocomplete: "off" } }),
    field({ label: t("discounts.kind_label"), name: "kind", control: kind }),
    field({ label: t("discounts.value"), name: "value", type: "number", hint: t("discounts.value_hint", { currency: event.currency }), attrs: { required: true, min: 1, step: "any" } }),
    field({ label: t("discounts.max_uses"), name: "max_uses", type: "number", value: "100", attrs: { required: true, min: 1 } }),
    field({ label: t("discounts.section"), name: "section", control: section }),
    phases.length ? field({ label: t("discounts.phase"), name: "phase_id", control: phase }) : null,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("discounts.create"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const val = (n) => form.querySelector(`[data-field="${n}"]`)?.value?.trim() ?? "";
    const code = val("code").toUpperCase();
    const value = Number(val("value"));
    const body = { code, max_uses: Number(val("max_uses")) };
    if (kind.value === "percent") body.percent_off = value;
    else body.amount_off_cents = Math.round(value * 10 ** digits);
    if (section.value) body.section = section.value;
    if (phases.length && phase.value) body.phase_id = phase.value;
    if (!code) {
      showFieldErrors(form, { errors: [{ field: "code", message: t("discounts.code_missing") }] });
      return;
    }
    try {
      await api.post(`/events/${id}/discounts`, body, { idempotent: true });
      message.hidden = true;
      announce(t("discounts.did_create", { code }));
      form.querySelector('[data-field="code"]').value = "";
      await drawList();
    } catch (err) {
      if (err instanceof ApiError && err.errors.length) {
        // The value field stands for percent_off and amount_off_cents alike.
        const errors = err.errors.map((f) => (/percent_off|amount_off_cents/.test(f.field) ? { ...f, field: "value" } : f));
        const rest = showFieldErrors(form, { ...err, errors });
        if (rest.length) fail(err);
      } else fail(err);
    }
  });

  await drawList();
  return {
    nodes: page("discounts.title", { name: event.name },
      h("p", {}, link(`/events/${id}`, t("discounts.back"))),
      h("p", { class: "hint" }, t("discounts.intro")),
      message,
      listBox,
      h("h2", {}, t("discounts.new")), form),
  };
}
