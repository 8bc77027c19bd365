// Order search by email or order id across the organizer's events, paged, with CSV and JSON export.
import { api, i18n, isAdmin, link, navigate, page, profile, t } from "../core.js";
import { cards, field, h, saveBlob } from "../dom.js";
import { orderStatus } from "../parts/tags.js";

const PAGE = 50;

export default async function orders({ query }) {
  const q = query.get("q") || "";
  const eventId = query.get("event") || "";
  const cursor = query.get("cursor") || "";
  const me = profile();
  const { items: events } = await api.get("/events");
  const mine = events.filter((e) => isAdmin() || e.organizer_id === me.user_id);
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  if (eventId) params.set("event_id", eventId);
  if (cursor) params.set("cursor", cursor);
  params.set("limit", String(PAGE));
  const { items, next_cursor: nextCursor } = await api.get(`/manage/orders?${params}`);
  const here = (extra = {}) => {
    const p = new URLSearchParams();
    if (q) p.set("q", q);
    if (eventId) p.set("event", eventId);
    for (const [k, v] of Object.entries(extra)) p.set(k, v);
    return `/orders${p.size ? `?${p}` : ""}`;
  };

  const select = h("select", {},
    h("option", { value: "" }, t("orders.all_events")),
    mine.map((e) => h("option", { value: e.event_id, selected: e.event_id === eventId }, e.name)));
  const search = h("form", { role: "search", class: "search" },
    field({ label: t("orders.query"), name: "q", type: "search", value: q, hint: t("orders.query_hint") }),
    field({ label: t("orders.event"), name: "event", control: select }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("orders.search"))));
  search.addEventListener("submit", (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    const value = search.elements.q.value.trim();
    if (value) next.set("q", value);
    if (select.value) next.set("event", select.value);
    navigate(`/orders${next.size ? `?${next}` : ""}`);
  });

  const exportBox = eventId
    ? h("div", { class: "actions wrap" },
        h("button", { type: "button", class: "secondary", onclick: async () => {
          saveBlob(new Blob([await api.get(`/events/${eventId}/orders?format=csv`)], { type: "text/csv" }), `orders-${eventId}.csv`);
        } }, t("live.export_csv")),
        h("button", { type: "button", class: "secondary", onclick: async () => {
          const body = await api.get(`/events/${eventId}/orders?format=json`);
          saveBlob(new Blob([JSON.stringify(body, null, 2)], { type: "application/json" }), `orders-${eventId}.json`);
        } }, t("live.export_json")))
    : h("p", { class: "hint" }, t("orders.export_hint"));

  const table = items.length
    ? cards(h("table", { class: "list" },
        h("caption", { class: "sr-only" }, t("orders.results")),
        h("thead", {}, h("tr", {},
          ...["order", "email", "event", "status", "seats", "amount", "created"].map((k) =>
            h("th", { scope: "col", class: k === "amount" || k === "seats" ? "num" : "" }, t(`orders.${k}`))))),
        h("tbody", {}, items.map((o) => h("tr", { dataset: { orderId: o.order_id } },
          h("th", { scope: "row" }, link(`/orders/${o.order_id}`, o.order_id.slice(0, 8), { "aria-label": t("orders.open", { id: o.order_id }) })),
          h("td", {}, o.email),
          h("td", {}, o.event_name),
          h("td", {}, orderStatus(o.status)),
          h("td", { class: "num" }, `${o.quantity} × ${o.section}`),
          h("td", { class: "num" }, i18n.money(o.amount_cents, o.currency)),
          h("td", {}, new Date(o.created_at).toLocaleString(i18n.lang)))))))
    : h("p", { class: "empty" }, t(cursor ? "paging.none" : q ? "orders.none_found" : "orders.none"));
  const pager = h("nav", { class: "pager", "aria-label": t("paging.label") },
    cursor ? link(here(), t("paging.first"), { class: "button secondary" }) : null,
    nextCursor ? link(here({ cursor: nextCursor }), t("paging.older_orders"), { class: "button secondary", rel: "next" }) : null);
  return { nodes: page("orders.title", {}, search, exportBox, h("h2", {}, t("orders.results")), table, pager) };
}
