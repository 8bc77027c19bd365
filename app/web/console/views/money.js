// An event's money: booking fees per ticket and per order, the tax (rate, included in the prices
// or added on top, its name on receipts) and whether a refund gives the fees back. Amounts are
// typed in the currency's main unit and sent in its minor unit (ISO 4217 digits from the API).
// A worked example under the form shows what a fan pays for one ticket of each section.
import { announce, api, i18n, link, page, t } from "../core.js";
import { field, h } from "../dom.js";
import { form } from "../parts/forms.js";

const toMain = (cents, digits) => (cents / 10 ** digits).toFixed(digits);
const toMinor = (text, digits) => Math.round(Number(String(text).replace(",", ".")) * 10 ** digits);

// The same rounding as the server (half up per amount), for the example only: the fan's
// hold screen shows the server's own figures.
function taxed(amount, rules) {
  const rate = rules.tax_rate_bp;
  if (!rate) return { gross: amount, tax: 0 };
  if (rules.tax_inclusive) {
    const net = Math.floor((2 * amount * 10000 + 10000 + rate) / (2 * (10000 + rate)));
    return { gross: amount, tax: amount - net };
  }
  const tax = Math.floor((2 * amount * rate + 10000) / 20000);
  return { gross: amount + tax, tax };
}

function example(event, rules) {
  const money = (c) => i18n.money(c, event.currency);
  return h("ul", { class: "plain", id: "money-example" }, event.sections.map((s) => {
    const tickets = taxed(s.price_cents, rules);
    const fee = taxed(rules.fee_per_ticket_cents, rules);
    const orderFee = taxed(rules.fee_per_order_cents, rules);
    return h("li", {}, t("money.example_line", {
      section: s.name,
      price: money(s.price_cents),
      total: money(tickets.gross + fee.gross + orderFee.gross),
      tax: money(tickets.tax + fee.tax + orderFee.tax),
    }));
  }));
}

export default async function money({ params }) {
  const id = params[0];
  const [event, rules] = await Promise.all([api.get(`/events/${id}`), api.get(`/events/${id}/money`)]);
  const digits = rules.minor_units;
  const step = digits ? String(1 / 10 ** digits) : "1";
  const exampleBox = h("div", {}, example(event, rules));

  const read = (el) => {
    const val = (n) => el.querySelector(`[data-field="${n}"]`).value;
    return {
      fee_per_ticket_cents: toMinor(val("fee_per_ticket_cents") || 0, digits),
      fee_per_order_cents: toMinor(val("fee_per_order_cents") || 0, digits),
      tax_rate_bp: Math.round(Number(String(val("tax_rate_bp") || 0).replace(",", ".")) * 100),
      tax_inclusive: el.querySelector("#tax-inclusive").checked,
      tax_label: val("tax_label").trim(),
      refund_fees: el.querySelector("#refund-fees").checked,
    };
  };

  const f = form([
    h("fieldset", {}, h("legend", {}, t("money.fees")),
      field({ label: t("money.fee_per_ticket", { currency: event.currency }), name: "fee_per_ticket_cents", type: "number", value: toMain(rules.fee_per_ticket_cents, digits), attrs: { min: 0, step, inputmode: "decimal" } }),
      field({ label: t("money.fee_per_order", { currency: event.currency }), name: "fee_per_order_cents", type: "number", value: toMain(rules.fee_per_order_cents, digits), attrs: { min: 0, step, inputmode: "decimal" } }),
      h("div", { class: "check" },
        h("input", { type: "checkbox", id: "refund-fees", name: "refund_fees", checked: rules.refund_fees, dataset: { field: "refund_fees" } }),
        h("label", { for: "refund-fees" }, t("money.refund_fees"))),
      h("p", { class: "hint" }, t("money.refund_fees_hint"))),
    h("fieldset", {}, h("legend", {}, t("money.tax")),
      field({ label: t("money.tax_rate"), name: "tax_rate_bp", type: "number", value: String(rules.tax_rate_bp / 100), hint: t("money.tax_rate_hint"), attrs: { min: 0, max: 100, step: "0.01", inputmode: "decimal" } }),
      field({ label: t("money.tax_label"), name: "tax_label", value: rules.tax_label, hint: t("money.tax_label_hint"), attrs: { maxlength: 40 } }),
      h("div", { class: "check" },
        h("input", { type: "radio", id: "tax-inclusive", name: "tax_mode", value: "inclusive", checked: rules.tax_inclusive }),
        h("label", { for: "tax-inclusive" }, t("money.inclusive"))),
      h("div", { class: "check" },
        h("input", { type: "radio", id: "tax-exclusive", name: "tax_mode", value: "exclusive", checked: !rules.tax_inclusive }),
        h("label", { for: "tax-exclusive" }, t("money.exclusive")))),
    h("h2", {}, t("money.example")), exampleBox,
  ], async (el) => {
    const saved = await api.put(`/events/${id}/money`, read(el));
    exampleBox.replaceChildren(example(event, saved));
    announce(t("money.saved"));
    el.querySelector("#money-saved").hidden = false;
  }, "money.save");
  f.append(h("p", { class: "summary ok", id: "money-saved", role: "status", hidden: true }, t("money.saved")));
  f.addEventListener("input", () => {
    f.querySelector("#money-saved").hidden = true;
    const draft = read(f);
    if (Object.values(draft).every((v) => typeof v !== "number" || Number.isFinite(v))) exampleBox.replaceChildren(example(event, draft));
  });

  return {
    nodes: page("money.title", { name: event.name },
      h("p", {}, link(`/events/${id}`, t("reports.back"))),
      h("p", { class: "hint" }, t("money.intro")), f),
  };
}
