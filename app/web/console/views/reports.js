// An event's reports: the funnel (fans per step, drop-off), sales and revenue over time with the
// totals reconciled against Stripe, occupancy per section and the check-in curve; each table can
// be downloaded as CSV. Works at 360 px (tables become cards).
import { api, i18n, link, page, t } from "../core.js";
import { cards, h, saveBlob } from "../dom.js";

const pct = (share) => (share === null || share === undefined ? "—" : new Intl.NumberFormat(i18n.lang, { style: "percent", maximumFractionDigits: 1 }).format(share));

function when(iso, width) {
  const opts = width === "day" ? { dateStyle: "medium" } : { dateStyle: "short", timeStyle: "short" };
  return new Intl.DateTimeFormat(i18n.lang, opts).format(new Date(iso));
}

function table(caption, columns, rows) {
  return cards(h("table", { class: "list" },
    h("caption", { class: "sr-only" }, caption),
    h("thead", {}, h("tr", {}, columns.map(([key, num]) => h("th", { scope: "col", class: num ? "num" : "" }, t(`reports.${key}`))))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c, i) => h(i === 0 ? "th" : "td", i === 0 ? { scope: "row" } : { class: columns[i][1] ? "num" : "" }, c)))))));
}

function download(id, kind) {
  return h("button", { type: "button", class: "secondary", dataset: { report: kind }, onclick: async () => {
    saveBlob(new Blob([await api.get(`/events/${id}/reports/${kind}?format=csv`)], { type: "text/csv" }), `${kind}-${id}.csv`);
  } }, t("reports.csv"));
}

export default async function reports({ params }) {
  const id = params[0];
  const [event, funnel, sales, occupancy, revenue] = await Promise.all([
    api.get(`/events/${id}`),
    api.get(`/events/${id}/reports/funnel?format=json`),
    api.get(`/events/${id}/reports/sales?format=json`),
    api.get(`/events/${id}/reports/occupancy?format=json`),
    api.get(`/events/${id}/reports/revenue?format=json`),
  ]);
  const n = (v) => i18n.number(v ?? 0);
  const money = (cents) => i18n.money(cents, sales.currency);
  const totals = sales.totals;

  const funnelTable = table(t("reports.funnel"), [["step"], ["fans", true], ["drop_off", true]],
    funnel.steps.map((s) => [t(`reports.step_${s.step}`), n(s.fans), pct(s.drop_off)]));

  const salesTable = sales.buckets.length
    ? table(t("reports.sales"), [["period"], ["tickets", true], ["gross", true], ["refunded", true], ["net", true]],
      sales.buckets.map((b) => [when(b.start, b.width), n(b.tickets), money(b.gross_cents), money(b.refunded_cents), money(b.net_cents)]))
    : h("p", { class: "empty" }, t("reports.no_sales"));

  const reconciled = h("div", { class: totals.reconciled ? "summary ok" : "summary", dataset: { testid: "reconciled" } },
    h("p", {}, totals.reconciled ? t("reports.reconciled") : t("reports.not_reconciled", { amount: money(totals.difference_cents) })),
    h("dl", { class: "pairs" },
      h("dt", {}, t("reports.net_total")), h("dd", { dataset: { testid: "net" } }, money(totals.net_cents)),
      h("dt", {}, t("reports.captured")), h("dd", {}, money(totals.captured_cents)),
      h("dt", {}, t("reports.uncaptured")), h("dd", {}, money(totals.uncaptured_cents)),
      h("dt", {}, t("reports.stripe_refunded")), h("dd", {}, money(totals.stripe_refunded_cents))),
    h("p", { class: "hint" }, t("reports.fees_hint")));

  const rev = revenue.totals;
  const revenueTable = revenue.sections.length
    ? table(t("reports.revenue"), [["section"], ["tickets", true], ["ticket_sales", true], ["fees", true], ["tax", true], ["refunded", true], ["net", true]],
      [...revenue.sections.map((s) => [event.sections.find((x) => x.code === s.section)?.name || s.section, n(s.tickets), money(s.tickets_cents), money(s.fees_cents), money(s.tax_cents), money(s.refunded_cents), money(s.net_cents)]),
        [t("reports.total"), n(rev.tickets), money(rev.tickets_cents), money(rev.fees_cents), money(rev.tax_cents), money(rev.refunded_cents), money(rev.net_cents)]])
    : h("p", { class: "empty" }, t("reports.no_sales"));
  revenueTable.id = "revenue-table";
  const revenueCheck = h("div", { class: rev.reconciled ? "summary ok" : "summary", dataset: { testid: "revenue-reconciled" } },
    h("p", {}, rev.reconciled ? t("reports.revenue_reconciled", { amount: money(rev.captured_cents - rev.stripe_refunded_cents) }) : t("reports.not_reconciled", { amount: money(rev.difference_cents) })),
    h("p", { class: "hint" }, t("reports.revenue_hint")));

  const occupancyTable = table(t("reports.occupancy"), [["section"], ["capacity", true], ["sold", true], ["checked_in", true]],
    occupancy.sections.map((s) => [s.name, n(s.capacity), `${n(s.sold)} (${pct(s.sold_share)})`, `${n(s.checked_in)} (${pct(s.checked_in_share)})`]));

  const curve = occupancy.checkins.length
    ? table(t("reports.checkins"), [["minute"], ["admitted", true], ["cumulative", true]],
      occupancy.checkins.map((p) => [when(p.minute, "minute"), n(p.admitted), n(p.cumulative)]))
    : h("p", { class: "empty" }, t("reports.no_checkins"));

  return {
    nodes: page("reports.title", { name: event.name },
      h("p", {}, link(`/events/${id}`, t("reports.back"))),
      h("h2", {}, t("reports.funnel")), h("p", { class: "hint" }, t("reports.funnel_hint")), funnelTable, download(id, "funnel"),
      h("h2", {}, t("reports.sales")), reconciled, salesTable, download(id, "sales"),
      h("h2", {}, t("reports.revenue")), revenueCheck, revenueTable, download(id, "revenue"),
      h("h2", {}, t("reports.occupancy")), occupancyTable, download(id, "occupancy"),
      h("h3", {}, t("reports.checkins")), curve),
  };
}
