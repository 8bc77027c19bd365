// One order: buyer, tickets, payment; refund behind a confirmation dialog.
import { announce, api, i18n, link, page, t, problemText } from "../core.js";
import { h } from "../dom.js";
import { orderStatus } from "../parts/tags.js";

export default async function order({ params }) {
  const id = params[0];
  let o = await api.get(`/orders/${id}`);
  const hit = (await api.get(`/manage/orders?q=${encodeURIComponent(id)}`)).items[0];
  const statusBox = h("dd", { dataset: { testid: "order-status" } }, orderStatus(o.status));
  const feedback = h("div", { role: "status" });
  const ticketsBox = h("div");
  const drawTickets = () =>
    ticketsBox.replaceChildren(
      o.tickets.length
        ? h("ul", { class: "tickets" }, o.tickets.map((tk) => h("li", {}, `${tk.section}${tk.type_name ? ` · ${tk.type_name}` : ""} · `, h("code", { class: "wrap" }, tk.ticket_id), tk.attendee_name ? [" · ", h("span", { class: "attendee" }, tk.attendee_name)] : null, tk.voided ? [" ", h("span", { class: "tag tag-refunded" }, t(tk.status === "transferred" ? "order.transferred" : "order.voided"))] : null)))
        : h("p", { class: "muted" }, t("order.no_tickets")),
    );
  drawTickets();

  const reason = h("textarea", { id: "refund-reason", rows: 3, maxlength: 500 });
  const keep = h("input", { type: "checkbox", id: "refund-return", checked: true });
  const dialog = h("dialog", { "aria-labelledby": "refund-title", class: "confirm" },
    h("form", { method: "dialog" },
      h("h2", { id: "refund-title" }, t("order.refund_confirm_title")),
      h("p", {}, t("order.refund_confirm_body", { amount: i18n.money(o.amount_cents, o.currency), n: o.quantity })),
      h("div", { class: "field" }, h("label", { for: "refund-reason" }, t("order.refund_reason")), reason),
      h("div", { class: "check" }, keep, h("label", { for: "refund-return" }, t("order.refund_return"))),
      h("div", { class: "actions" },
        h("button", { value: "cancel", class: "secondary" }, t("order.cancel")),
        h("button", { value: "refund", class: "danger", dataset: { testid: "confirm-refund" } }, t("order.refund_do")))));
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue !== "refund") return;
    try {
      o = await api.post(`/orders/${id}/refund`, { reason: reason.value.trim() || null, return_seats: keep.checked }, { idempotent: true });
      feedback.textContent = t("order.refund_requested");
      announce(t("order.refund_requested"));
      // The refund runs in a worker: follow it for a little while.
      for (let i = 0; i < 20 && o.status === "confirmed"; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        o = await api.get(`/orders/${id}`);
      }
      statusBox.replaceChildren(orderStatus(o.status));
      drawTickets();
      if (o.status === "refunded") {
        feedback.textContent = t("order.refunded");
        refundButton.remove();
      }
    } catch (err) {
      feedback.textContent = problemText(err);
    }
  });
  const refundButton = o.status === "confirmed"
    ? h("button", { type: "button", class: "danger", onclick: () => dialog.showModal() }, t("order.refund"))
    : null;

  return {
    nodes: page("order.title", { id: id.slice(0, 8) },
      h("dl", { class: "pairs" },
        h("dt", {}, t("order.id")), h("dd", {}, h("code", {}, o.order_id)),
        h("dt", {}, t("orders.status")), statusBox,
        h("dt", {}, t("orders.email")), h("dd", {}, hit?.email || "—"),
        h("dt", {}, t("orders.event")), h("dd", {}, link(`/events/${o.event_id}`, hit?.event_name || o.event_id)),
        h("dt", {}, t("orders.seats")), h("dd", {}, `${o.quantity} × ${o.section}`),
        h("dt", {}, t("orders.amount")), h("dd", {}, i18n.money(o.amount_cents, o.currency)),
        h("dt", {}, t("orders.created")), h("dd", {}, new Date(o.created_at).toLocaleString(i18n.lang)),
        h("dt", {}, t("order.payment")), h("dd", {}, h("code", {}, o.payment_intent_id || "—")),
        o.cancel_reason ? [h("dt", {}, t("order.cancel_reason")), h("dd", {}, o.cancel_reason)] : null),
      h("h2", {}, t("order.tickets")),
      ticketsBox,
      h("div", { class: "actions" }, refundButton, link("/orders", t("order.back"), { class: "button secondary" })),
      feedback,
      dialog),
  };
}
