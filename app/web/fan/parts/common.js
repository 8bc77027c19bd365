// Pieces several screens share: event loading, money and time in the event's zone, sections.
import { api, h, i18n, session, t } from "../core.js";

const events = new Map();

/** The event (public). fresh: skip the in-page cache (live availability). */
export async function getEvent(id, { fresh = false } = {}) {
  if (fresh || !events.has(id)) events.set(id, await api.get(`/events/${id}`, { auth: false }));
  return events.get(id);
}

export const money = (cents, currency) => i18n.money(cents, currency);
// Times are shown in the event's zone and named, so a fan abroad is not misled.
const STYLES = {
  full: { weekday: "long", year: "numeric", month: "long", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short" },
  medium: { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short" },
};
// Where a language has no short name for the zone, Intl writes an offset ("GMT+1" in
// English for Berlin): the zone's city follows it, so the time is never a bare offset.
const OFFSET = /(GMT|UTC)[+\-\u2212]\d/;
export const when = (iso, tz, style = "full") => {
  const text = i18n.dateTime(iso, tz, STYLES[style]);
  if (!OFFSET.test(text) || !tz?.includes("/")) return text;
  return `${text} (${tz.split("/").pop().replaceAll("_", " ")})`;
};

export function soldOut(event) {
  return event.sections.every((s) => s.available === 0);
}

/** The sections of an event with price and what is left. */
export function sectionList(event) {
  return h(
    "ul",
    { class: "list sections", "aria-label": t("event.sections") },
    event.sections.map((s) =>
      h(
        "li",
        { class: "card section-row" },
        h("span", {}, h("strong", {}, s.name), h("br"),
          h("span", { class: "muted" }, s.available > 0
            ? t("event.left", { count: s.available, n: i18n.number(s.available) })
            : t("event.none_left"))),
        h("span", { class: "price" }, money(s.price_cents, event.currency)),
      ),
    ),
  );
}

export function eventHeader(event) {
  return h(
    "p",
    { class: "muted" },
    event.venue, h("br"),
    h("time", { datetime: event.starts_at }, when(event.starts_at, event.timezone)),
  );
}

/** A notice box; kind: ok | warn | bad. */
export function notice(kind, ...children) {
  return h("div", { class: `notice ${kind}`, role: kind === "bad" ? "alert" : null }, ...children);
}

/** Calls tick(secondsLeft) every second until `untilIso`; returns a stop function. */
export function countdown(untilIso, tick) {
  const end = new Date(untilIso).getTime();
  const step = () => {
    const left = Math.max(0, (end - Date.now()) / 1000);
    tick(left);
    return left;
  };
  step();
  const timer = setInterval(() => step() <= 0 && clearInterval(timer), 1000);
  return () => clearInterval(timer);
}

/**
 * The way to the waiting list of a sold-out event, and the fan's own state on it: an offer
 * (with its countdown and the way to pay), the place on the list, or the way to join.
 */
export function waitlistAction(eventId) {
  const box = h("div", { id: "waitlist-action" },
    h("a", { class: "btn", href: `/events/${eventId}/waitlist` }, t(session.signedIn ? "waitlist.join_link" : "waitlist.signin_to_join")));
  if (!session.signedIn) return { box, stop: () => {} };
  let stop = () => {};
  api.get(`/events/${eventId}/waitlist`).then((s) => {
    if (s.state === "offered") {
      const clock = h("strong", { class: "countdown", role: "timer" });
      box.replaceChildren(notice("ok", h("strong", {}, t("waitlist.offer_title")), " ", t("waitlist.offer_until"), " ", clock),
        h("a", { class: "btn", href: `/events/${eventId}/waitlist` }, t("waitlist.see_offer")));
      stop = countdown(s.offer.expires_at, (left) => (clock.textContent = i18n.clock(left)));
    } else if (s.state === "waiting") {
      box.replaceChildren(h("p", {}, t("waitlist.on_list_at", { n: i18n.number(s.position) })),
        h("a", { class: "btn secondary", href: `/events/${eventId}/waitlist` }, t("waitlist.see_place")));
    }
  }).catch(() => {
    // Not on the list (404) or not known now: the way to join stays.
  });
  return { box, stop: () => stop() };
}

/** A ticket's state in words: valid, offered to a friend, listed, sold, transferred, void. */
export function ticketState(ticket) {
  if (ticket.status === "void" && ticket.listing?.state === "sold") return t("tickets.state.sold");
  return t(`tickets.state.${ticket.status}`);
}
