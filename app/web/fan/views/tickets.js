// My tickets: every ticket the fan holds or held, grouped by event. A valid one is a rotating QR
// code, kept on the phone after one online view (IndexedDB) so the page opens with no network at
// the door; a moved one shows its state. Tickets a friend offered come first, to accept.
import { ApiError } from "../../shared/api.js";
import { announce, api, h, i18n, navigate, problemText, requireSignIn, screen, t } from "../core.js";
import { liveTicket } from "../ticket.js";
import { keepTickets, keptTickets } from "../wallet.js";
import { seatWords } from "../parts/seat_words.js";
import { notice, ticketState, when } from "../parts/common.js";

const eventOf = (tk) => ({
  event_id: tk.event_id,
  name: tk.event_name || "",
  starts_at: tk.starts_at,
  venue: tk.venue || "",
  timezone: tk.timezone || undefined,
});

function incomingCard(x) {
  const status = h("p", { class: "error", role: "alert", hidden: true });
  const accept = h("button", { type: "button", class: "btn" }, t("tickets.accept"));
  const decline = h("button", { type: "button", class: "btn secondary" }, t("tickets.decline"));
  const act = (button, run) => button.addEventListener("click", async () => {
    accept.disabled = decline.disabled = true;
    try {
      await run();
    } catch (err) {
      status.hidden = false;
      status.textContent = problemText(err);
      accept.disabled = decline.disabled = false;
    }
  });
  act(accept, async () => {
    const got = await api.post(`/transfers/${x.transfer_id}/accept`);
    announce(t("tickets.accepted"));
    navigate(`/tickets/${got.ticket_id}`);
  });
  act(decline, async () => {
    await api.delete(`/transfers/${x.transfer_id}`);
    navigate("/tickets", { replace: true });
  });
  return h("li", { class: "card incoming", dataset: { transfer: x.transfer_id } },
    h("p", {}, h("strong", {}, x.event_name), h("br"),
      h("span", { class: "muted" }, when(x.starts_at, x.timezone, "medium"))),
    h("p", {}, t("tickets.offered_by", { email: x.from_email, seq: x.seq, section: x.section_name })),
    h("div", { class: "row actions" }, accept, decline), status);
}

export default async function tickets(main) {
  if (!requireSignIn()) return;
  screen(main, t("tickets.title"), h("p", {}, h("span", { class: "spinner" }), " ", t("common.loading")));
  let items;
  let incoming = [];
  let offlineSince = null;
  try {
    const mine = await api.get("/me/tickets");
    items = mine.tickets || [];
    incoming = mine.incoming || [];
    await keepTickets(items.filter((tk) => tk.status === "valid"));
  } catch (err) {
    const kept = await keptTickets();
    if (!kept || !(err instanceof ApiError) || (err.status !== 0 && err.status < 500)) {
      screen(main, t("tickets.title"), notice("bad", problemText(err)));
      return;
    }
    items = kept.items;
    offlineSince = kept.at;
  }
  const stops = [];
  const groups = new Map();
  for (const tk of items) {
    const ev = eventOf(tk);
    if (!groups.has(ev.event_id)) groups.set(ev.event_id, { ev, list: [] });
    groups.get(ev.event_id).list.push(tk);
  }
  // A ticket with a move open offers it; one that moved (or is on offer) opens its details.
  const manage = (tk) => h("p", {}, h("a", { href: `/tickets/${tk.ticket_id}` },
    t(tk.allowed?.length ? "order.manage" : "tickets.details")));
  const sections = [...groups.values()].map(({ ev, list }) => h("section", { class: "event-tickets" },
    h("h2", {}, ev.name),
    h("p", { class: "muted" }, ev.venue, h("br"),
      ev.starts_at ? h("time", { datetime: ev.starts_at }, when(ev.starts_at, ev.timezone)) : null),
    h("p", {}, h("a", { href: `/api/v1/events/${ev.event_id}/calendar.ics`, download: "event.ics", class: "calendar" },
      t("tickets.calendar"))),
    h("ol", { class: "list tickets", "aria-label": t("tickets.of_event", { name: ev.name }) },
      list.map((tk, i) => {
        const label = t("tickets.label", { seq: tk.seq ?? i + 1, section: [tk.section_name || tk.section, tk.type_name].filter(Boolean).join(" · ") });
        const seat = tk.seat ? seatWords(tk.seat) : null;
        if (tk.status && tk.status !== "valid") {
          return h("li", { class: "card moved", dataset: { ticketId: tk.ticket_id, status: tk.status } },
            h("h3", {}, label), seat ? h("p", { class: "seat-line" }, seat) : null, h("span", { class: `badge ${tk.status}` }, ticketState(tk)),
            offlineSince ? null : manage(tk));
        }
        const live = liveTicket(tk, {
          label,
          seat,
          codeText: t("order.code_text"),
          changes: (s) => t("tickets.changes", { count: s, n: i18n.number(s) }),
        });
        if (!offlineSince) live.el.append(manage(tk));
        stops.push(live.stop);
        return live.el;
      }))));
  const parts = [];
  if (offlineSince) {
    parts.push(notice("warn", t("tickets.offline", { time: when(offlineSince, Intl.DateTimeFormat().resolvedOptions().timeZone, "medium") })));
  }
  if (incoming.length) {
    parts.push(h("section", { "aria-labelledby": "incoming-h" },
      h("h2", { id: "incoming-h" }, t("tickets.incoming")), h("ul", { class: "list" }, incoming.map(incomingCard))));
  }
  parts.push(items.length
    ? h("div", { id: "tickets" }, h("div", { id: "my-tickets" }, sections), h("p", { class: "muted" }, t("tickets.explain")))
    : h("p", { id: "tickets" }, t("tickets.none"), " ", h("a", { href: "/" }, t("common.other_events"))));
  parts.push(h("p", {}, h("a", { href: "/orders" }, t("tickets.orders"))));
  screen(main, t("tickets.title"), ...parts);
  return () => stops.forEach((stop) => stop());
}
