// One ticket: its code while valid, its state, and the moves the event's rules allow now:
// transfer to a friend, sell at face value (the waiting list gets it first), cancel the order.
import { announce, api, h, i18n, problemText, requireSignIn, screen, t } from "../core.js";
import { liveTicket } from "../ticket.js";
import { seatWords } from "../parts/seat_words.js";
import { getEvent, money, notice, ticketState, when } from "../parts/common.js";

export default async function ticketPage(main, { params: [id] }) {
  if (!requireSignIn()) return;
  const body = h("div", { id: "ticket", dataset: { status: "loading" } });
  screen(main, t("ticket.title"), body);

  let live = null;
  async function load() {
    let ticket;
    let event;
    try {
      ticket = (await api.get("/me/tickets")).tickets.find((x) => x.ticket_id === id);
      if (!ticket) throw { code: "not_found" };
      event = await getEvent(ticket.event_id);
    } catch (err) {
      body.replaceChildren(notice("bad", problemText(err)));
      return;
    }
    body.dataset.status = ticket.status;
    const head = h("div", { class: "card" },
      h("p", {}, h("strong", {}, event.name), h("br"), event.venue, h("br"),
        h("time", { datetime: event.starts_at }, when(event.starts_at, event.timezone))),
      h("p", { class: "row" }, h("span", {}, t("tickets.line", { seq: ticket.seq, section: ticket.type_name ? `${ticket.section_name} · ${ticket.type_name}` : ticket.section_name })),
        h("span", { class: `badge ${ticket.status}` }, ticketState(ticket))),
      ticket.seat ? h("p", { class: "seat-line", id: "ticket-seat" }, seatWords(ticket.seat)) : null,
      ticket.attendee_name ? h("p", { class: "attendee-name", id: "ticket-name" }, t("attendees.name_line", { name: ticket.attendee_name })) : null);
    const parts = [head, ...(await stateParts(ticket, event, load))];
    live?.stop();
    live = null;
    if (ticket.status === "valid" || ticket.status === "pending_transfer") {
      // The live code, as at the door: it rotates every 15 s (a screenshot does not get in).
      const label = t("tickets.line", { seq: ticket.seq, section: ticket.type_name ? `${ticket.section_name} · ${ticket.type_name}` : ticket.section_name });
      live = liveTicket(ticket, {
        label,
        seat: ticket.seat ? seatWords(ticket.seat) : null,
        codeText: t("order.code_text"),
        changes: (n) => t("tickets.changes", { count: n, n: i18n.number(n) }),
      });
      parts.push(h("ol", { class: "list tickets" }, live.el));
      if (ticket.status === "valid") parts.push(...(await moveParts(ticket, event, load)));
    }
    parts.push(h("p", {}, h("a", { href: "/tickets" }, t("ticket.back"))));
    body.replaceChildren(...parts);
  }
  await load();
  return () => live?.stop();
}

/** What a ticket that is not simply valid says about itself, with its one way back. */
async function stateParts(ticket, event, reload) {
  if (ticket.status === "pending_transfer") {
    const back = action("secondary", t("ticket.take_back"), async () => {
      await api.delete(`/transfers/${ticket.transfer.transfer_id}`);
      announce(t("ticket.taken_back"));
    }, reload);
    return [notice("warn", t("ticket.pending", { email: ticket.transfer.to_email })), back];
  }
  if (ticket.status === "listed") {
    const listing = await api.get(`/resale/${ticket.listing.listing_id}`);
    const withdraw = action("secondary", t("ticket.withdraw"), async () => {
      await api.delete(`/resale/${listing.listing_id}`);
      announce(t("ticket.withdrawn"));
    }, reload);
    const payout = money(listing.payout_cents, listing.currency);
    // A reserved seat is resold as that seat: say which one is back on the map.
    const text = listing.seat
      ? t("ticket.listed_seat", { seat: seatWords(listing.seat), payout })
      : t("ticket.listed", { payout });
    return [h("div", { id: "resale-listed" }, notice("warn", text)), withdraw];
  }
  if (ticket.status === "transferred") return [notice("ok", t("ticket.transferred"))];
  if (ticket.listing?.state === "sold") {
    const listing = await api.get(`/resale/${ticket.listing.listing_id}`);
    return [notice("ok", t("ticket.sold", { payout: money(listing.payout_cents, listing.currency) }))];
  }
  if (ticket.status === "void") return [notice("warn", t("ticket.void"))];
  return [];
}

/** The moves the rules allow now, each behind one clear step. */
async function moveParts(ticket, event, reload) {
  const parts = [];
  if (ticket.allowed.includes("transfer")) {
    const input = h("input", { id: "transfer-email", type: "email", name: "email", required: true, autocomplete: "off" });
    const error = h("p", { class: "error", id: "transfer-error", hidden: true });
    const send = h("button", { type: "submit", class: "btn" }, t("ticket.transfer_submit"));
    const field = h("div", { class: "field" },
      h("label", { for: "transfer-email" }, t("ticket.transfer_email")), input, error);
    const form = h("form", { class: "card", id: "transfer-form", novalidate: true },
      h("h2", {}, t("ticket.transfer_title")), h("p", { class: "muted" }, t("ticket.transfer_help")),
      field, send);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      send.disabled = true;
      error.hidden = true;
      try {
        await api.post(`/tickets/${ticket.ticket_id}/transfer`, { email: input.value.trim() });
        announce(t("ticket.sent"));
        await reload();
      } catch (err) {
        error.hidden = false;
        error.textContent = problemText(err);
        field.classList.add("invalid");
        input.setAttribute("aria-describedby", "transfer-error");
        input.setAttribute("aria-invalid", "true");
        send.disabled = false;
      }
    });
    parts.push(form);
  }
  if (ticket.allowed.includes("resale")) {
    const rules = await api.get(`/events/${ticket.event_id}/move-rules`);
    const order = await api.get(`/orders/${ticket.order_id}`);
    const face = ticket.face_value_cents || Math.floor(order.amount_cents / order.quantity);
    const payout = face - Math.min(rules.resale_fee_cents, face);
    const amounts = { price: money(face, order.currency), payout: money(payout, order.currency) };
    parts.push(h("div", { class: "card", id: "resale-card" },
      h("h2", {}, t("ticket.sell_title")),
      h("p", { class: "muted" }, ticket.seat
        ? t("ticket.sell_help_seat", { seat: seatWords(ticket.seat), ...amounts })
        : t("ticket.sell_help", amounts)),
      action("primary", t("ticket.sell_submit"), async () => {
        await api.post(`/tickets/${ticket.ticket_id}/resale`);
        announce(t("ticket.listed_now"));
      }, reload)));
  }
  if (ticket.allowed.includes("cancel")) {
    const order = await api.get(`/orders/${ticket.order_id}`);
    parts.push(h("div", { class: "card", id: "cancel-card" },
      h("h2", {}, t("ticket.cancel_title")),
      h("p", { class: "muted" }, t("ticket.cancel_help", { count: order.tickets.length, amount: money(order.amount_cents, order.currency) })),
      action("danger", t("ticket.cancel_submit"), async () => {
        await api.post(`/orders/${ticket.order_id}/cancel`);
        announce(t("ticket.cancelled"));
      }, reload)));
  }
  if (!parts.length) parts.push(h("p", { class: "muted" }, t("ticket.no_moves")));
  return parts;
}

/** A button that asks once more, then runs `run`; errors show next to it. */
function action(kind, label, run, reload) {
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const button = h("button", { type: "button", class: kind === "primary" ? "btn" : `btn ${kind}` }, label);
  let armed = false;
  button.addEventListener("click", async () => {
    if (!armed) {
      armed = true;
      button.textContent = t("ticket.confirm", { action: label });
      return;
    }
    button.disabled = true;
    error.hidden = true;
    try {
      await run();
      await reload();
    } catch (err) {
      error.hidden = false;
      error.textContent = problemText(err);
      button.disabled = false;
    }
  });
  return h("div", { class: "action" }, button, error);
}
