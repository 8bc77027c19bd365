// The fan's orders, newest first.
import { api, h, requireSignIn, screen, t, problemText } from "../core.js";
import { getEvent, money, notice, when } from "../parts/common.js";

export default async function orders(main) {
  if (!requireSignIn()) return;
  screen(main, t("orders.title"), h("p", {}, h("span", { class: "spinner" }), " ", t("common.loading")));
  let items;
  try {
    items = (await api.get("/orders")).items;
  } catch (err) {
    screen(main, t("orders.title"), notice("bad", problemText(err)));
    return;
  }
  const rows = await Promise.all(items.map(async (o) => {
    const event = await getEvent(o.event_id).catch(() => null);
    return h("li", {}, h("a", { class: "card", href: `/orders/${o.order_id}` },
      h("strong", {}, event?.name || o.event_id), h("br"),
      h("span", {}, t("orders.line", { count: o.tickets.length, status: t(`order.status.${o.status}`) })), h("br"),
      h("span", { class: "muted" }, when(o.created_at, event?.timezone || "UTC", "medium"), " · ", money(o.amount_cents, o.currency))));
  }));
  screen(main, t("orders.title"), rows.length ? h("ul", { class: "list" }, rows) : h("p", {}, t("orders.none"), " ", h("a", { href: "/" }, t("common.other_events"))));
}
