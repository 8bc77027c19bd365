// One order: waits for the payment to be confirmed, then shows each ticket as a QR code.
import { announce, api, h, i18n, problemText, requireSignIn, screen, t } from "../core.js";
import { seatWords } from "../parts/seat_words.js";
import { getEvent, money, notice, when } from "../parts/common.js";

const POLL_MS = [500, 500, 1000, 1000, 2000, 3000, 5000];

// The receipt is a PDF behind the fan's sign-in: fetched with it, then saved as a file.
function receiptButton(orderId) {
  const error = h("p", { class: "error", role: "alert" });
  const button = h("button", { class: "btn secondary", type: "button", id: "receipt" }, t("receipt.download"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    error.textContent = "";
    try {
      const pdf = await api.get(`/orders/${orderId}/receipt?lang=${i18n.lang}`, { blob: true });
      const url = URL.createObjectURL(pdf);
      const link = h("a", { href: url, download: `receipt-${orderId.slice(0, 8)}.pdf` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      error.textContent = `${t("receipt.failed")} ${problemText(err)}`;
      announce(error.textContent);
    } finally {
      button.disabled = false;
    }
  });
  return h("div", { class: "receipt" }, button, error);
}

// The names and answers the event asks for: a prompt while some are missing, else a link to
// change them until the cut-off (nothing when the event asks nothing).
async function attendeePrompt(orderId) {
  let form;
  try {
    form = await api.get(`/orders/${orderId}/attendees`);
  } catch {
    return { box: null, form: null };
  }
  if (form.names === "off" && !form.questions.length) return { box: null, form };
  const href = `/orders/${orderId}/attendees`;
  if (form.missing && form.editable) {
    return { form, box: h("div", { class: "card", id: "attendee-prompt" },
      notice("warn", t("attendees.missing_count", { count: form.missing, n: i18n.number(form.missing) })),
      h("p", {}, h("a", { class: "btn", href }, t("attendees.add")))) };
  }
  return { form, box: h("p", { id: "attendee-prompt" }, h("a", { href }, t(form.editable ? "attendees.change" : "attendees.view"))) };
}

export default async function orderPage(main, { params: [id] }) {
  if (!requireSignIn()) return;
  let stopped = false;
  let tries = 0;
  const stops = [];
  const body = h("div", { id: "order", dataset: { status: "loading" } });
  screen(main, t("order.title"), body);

  async function load() {
    if (stopped) return;
    let order;
    let event;
    try {
      order = await api.get(`/orders/${id}`);
      event = await getEvent(order.event_id);
    } catch (err) {
      body.replaceChildren(notice("bad", problemText(err)));
      return;
    }
    body.dataset.status = order.status;
    const head = h("div", { class: "card" },
      h("p", {}, h("strong", {}, event.name), h("br"), event.venue, h("br"),
        h("time", { datetime: event.starts_at }, when(event.starts_at, event.timezone))),
      h("p", { class: "row" }, h("span", {}, t(`order.status.${order.status}`)),
        h("strong", {}, money(order.amount_cents, order.currency))));
    if (order.status === "pending") {
      body.replaceChildren(head, h("p", {}, h("span", { class: "spinner" }), " ", t("order.pending")));
      setTimeout(load, POLL_MS[Math.min(tries++, POLL_MS.length - 1)]);
      return;
    }
    if (order.status !== "confirmed") {
      body.replaceChildren(head, notice("warn", t(`order.explain.${order.status}`)),
        order.status === "refunded" ? receiptButton(id) : null);
      return;
    }
    const { liveTicket } = await import("../ticket.js");
    const { box: prompt, form: attendees } = await attendeePrompt(id);
    const named = new Map((attendees?.tickets || []).map((x) => [x.ticket_id, x]));
    // The name on a ticket, or "name missing" where the event requires one.
    const nameLine = (ticket) => {
      const a = named.get(ticket.ticket_id);
      if (ticket.attendee_name) return h("p", { class: "attendee-name" }, t("attendees.name_line", { name: ticket.attendee_name }));
      if (a?.name_missing) return h("p", { class: "attendee-name missing" }, h("span", { class: "badge warn" }, t("attendees.name_missing")));
      return null;
    };
    const tickets = h("ol", { class: "list tickets", "aria-label": t("order.tickets") },
      order.tickets.map((ticket, i) => {
        const place = event.sections.find((s) => s.code === ticket.section)?.name || ticket.section;
        // A ticket of a type says which: "Floor · Child".
        const section = ticket.type_name ? `${place} · ${ticket.type_name}` : place;
        const label = t("order.ticket_label", { n: i + 1, count: order.tickets.length, section });
        const seat = ticket.seat ? seatWords(ticket.seat) : null;
        if (ticket.status && ticket.status !== "valid") {
          // Transferred, resold or refunded: its code admits nobody; My tickets says why.
          return h("li", { class: "card ticket", dataset: { ticketId: ticket.ticket_id, status: ticket.status } },
            h("h2", {}, label), seat ? h("p", { class: "seat-line" }, seat) : null, notice("warn", t(`tickets.status.${ticket.status}`)),
            h("a", { href: `/tickets/${ticket.ticket_id}` }, t("tickets.title")));
        }
        const live = liveTicket(ticket, {
          label,
          seat,
          codeText: t("order.code_text"),
          changes: (n) => t("tickets.changes", { count: n, n: i18n.number(n) }),
        });
        const line = nameLine(ticket);
        const title = live.el.querySelector("h2");
        if (line && title) title.after(line);
        else if (line) live.el.prepend(line);
        live.el.append(h("p", {}, h("a", { href: `/tickets/${ticket.ticket_id}` }, t("order.manage"))));
        stops.push(live.stop);
        return live.el;
      }));
    body.replaceChildren(notice("ok", t("order.confirmed")), head, prompt, receiptButton(id), tickets,
      h("p", { class: "muted" }, t("order.show_at_door"), " ", h("a", { href: "/tickets" }, t("order.all_tickets"))));
    announce(t("order.confirmed"));
  }
  load();
  return () => {
    stopped = true;
    stops.forEach((stop) => stop());
  };
}
