// What a hold costs before paying: tickets, booking fees, tax (inside the prices or on top)
// and the total the card is charged, as GET /holds/{id}/price answers.
import { h, i18n, t } from "../core.js";
import { money } from "./common.js";

function percent(bp) {
  return new Intl.NumberFormat(i18n.lang, { style: "percent", maximumFractionDigits: 2 }).format(bp / 10000);
}

function row(label, amount, attrs = {}) {
  return h("p", { class: "row", ...attrs }, h("span", {}, label), h("span", {}, amount));
}

export function priceCard(price, sectionName) {
  const cur = price.currency;
  // A line of a ticket type is labelled 'SECTION · type name': the section's name, then the type.
  const labelOf = (line) => {
    const [, ...type] = line.label.split(" · ");
    return type.length ? `${sectionName || line.label.split(" · ")[0]} · ${type.join(" · ")}` : sectionName || line.label;
  };
  const rows = price.lines.map((line) =>
    row(t("price.tickets", { count: line.quantity, section: labelOf(line) }),
      money(line.tickets_cents, cur)));
  if (price.fees_cents) rows.push(row(t("price.fees"), money(price.fees_cents, cur), { id: "price-fees" }));
  if (price.tax_rate_bp) {
    const name = price.tax_label || t("price.tax");
    const rate = percent(price.tax_rate_bp);
    rows.push(price.tax_inclusive
      ? row(t("price.tax_included", { tax: name, rate }), money(price.tax_cents, cur), { id: "price-tax", class: "row muted" })
      : row(`${name} ${rate}`, money(price.tax_cents, cur), { id: "price-tax" }));
  }
  const total = h("p", { class: "row total" }, h("strong", {}, t("price.total")),
    h("strong", { id: "price-total" }, money(price.total_cents, cur)));
  const note = price.fees_cents && !price.refund_fees
    ? h("p", { class: "hint", id: "price-fee-rule" }, t("price.fees_kept")) : null;
  return h("section", { class: "card", id: "price", "aria-label": t("price.title") }, ...rows, total, note);
}
