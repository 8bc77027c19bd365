// My tickets: every valid ticket of the fan, grouped by event, each a rotating QR code. Kept on
// the phone after one online view (IndexedDB), so the page opens with no network at the door.
import { ApiError } from "../../shared/api.js";
import { api, h, i18n, problemText, requireSignIn, screen, t } from "../app.js";
import { liveTicket } from "../ticket.js";
import { keepTickets, keptTickets } from "../wallet.js";
import { notice, when } from "./common.js";

/** The tickets of a GET /me/tickets answer. */
function listOf(body) {
  return body?.tickets || body?.items || [];
}

const eventOf = (tk) => ({
  event_id: tk.event_id || tk.event?.event_id,
  name: tk.event_name || tk.event?.name || "",
  starts_at: tk.starts_at || tk.event?.starts_at,
  venue: tk.venue || tk.event?.venue || "",
  timezone: tk.timezone || tk.event?.timezone || undefined,
});

export default async function tickets(main) {
  if (!requireSignIn()) return;
  screen(main, t("tickets.title"), h("p", {}, h("span", { class: "spinner" }), " ", t("common.loading")));
  let items;
  let offlineSince = null;
  try {
    items = listOf(await api.get("/me/tickets"));
    await keepTickets(items);
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
  const sections = [...groups.values()].map(({ ev, list }) => h("section", { class: "event-tickets" },
    h("h2", {}, ev.name),
    h("p", { class: "muted" }, ev.venue, h("br"),
      ev.starts_at ? h("time", { datetime: ev.starts_at }, when(ev.starts_at, ev.timezone)) : null),
    h("p", {}, h("a", { href: `/api/v1/events/${ev.event_id}/calendar.ics`, download: "event.ics", class: "calendar" },
      t("tickets.calendar"))),
    h("ol", { class: "list tickets", "aria-label": t("tickets.of_event", { name: ev.name }) },
      list.map((tk, i) => {
        const label = t("tickets.label", { seq: tk.seq ?? i + 1, section: tk.section });
        if (tk.status && tk.status !== "valid") {
          return h("li", { class: "card ticket", dataset: { ticketId: tk.ticket_id, status: tk.status } },
            h("h2", {}, label), notice("warn", t(`tickets.status.${tk.status}`)));
        }
        const live = liveTicket(tk, {
          label,
          codeText: t("order.code_text"),
          changes: (s) => t("tickets.changes", { count: s, n: i18n.number(s) }),
        });
        stops.push(live.stop);
        return live.el;
      }))));
  screen(main, t("tickets.title"), ...[
    offlineSince ? notice("warn", t("tickets.offline", { time: when(offlineSince, Intl.DateTimeFormat().resolvedOptions().timeZone, "medium") })) : null,
    items.length ? h("div", { id: "tickets" }, sections, h("p", { class: "muted" }, t("tickets.explain")))
      : h("p", { id: "tickets" }, t("tickets.none"), " ", h("a", { href: "/" }, t("common.other_events"))),
    h("p", {}, h("a", { href: "/orders" }, t("tickets.orders"))),
  ].filter(Boolean));
  return () => stops.forEach((stop) => stop());
}
