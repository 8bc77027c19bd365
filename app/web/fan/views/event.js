// One event: when and where, sections with prices and live availability, the way into the queue.
import { h, navigate, screen, session, t } from "../core.js";
import { eventHeader, getEvent, notice, sectionList, soldOut, waitlistAction, when } from "../parts/common.js";

const REFRESH_S = 10;

export default async function eventPage(main, { params: [id] }) {
  let event;
  try {
    event = await getEvent(id, { fresh: true });
  } catch (err) {
    screen(main, t("notfound.title"), notice("bad", t("problem.not_found")));
    return;
  }
  const sections = h("div", {}, sectionList(event));
  const action = h("div", {});
  let waitlist = null;
  const draw = () => {
    action.replaceChildren();
    if (soldOut(event)) {
      // Sold out: the waiting list (and the fan's offer or place on it) is the way on.
      waitlist ??= waitlistAction(id);
      action.append(notice("warn", t("state.soldout.body")), waitlist.box);
    } else if (event.status === "paused") {
      // Not the room's "your place is kept": this page is also where a fan who left lands.
      action.append(notice("warn", t("event.paused")));
    } else if (event.status === "ended" || Date.parse(event.offsale_at) <= Date.now()) {
      action.append(notice("warn", t("state.closed.body")));
    } else {
      if (!event.on_sale) {
        action.append(h("p", {}, t("event.opens", { when: when(event.onsale_at, event.timezone, "medium") })));
      }
      const join = h("button", { class: "btn", type: "button" }, t(session.signedIn ? "event.join" : "event.signin_to_join"));
      join.addEventListener("click", () =>
        session.signedIn
          ? navigate(`/events/${id}/queue`)
          : navigate(`/signin?next=${encodeURIComponent(`/events/${id}/queue`)}`),
      );
      action.append(join);
    }
  };
  draw();
  screen(
    main,
    event.name,
    eventHeader(event),
    h("h2", {}, t("event.sections")),
    sections,
    action,
    h("p", { class: "muted" }, t("event.limits", { count: event.max_per_order })),
  );
  // Availability changes during the onsale: refresh it while the page is open.
  const timer = setInterval(async () => {
    try {
      event = await getEvent(id, { fresh: true });
      sections.replaceChildren(sectionList(event));
      draw();
    } catch {
      // Keep showing the last known figures.
    }
  }, REFRESH_S * 1000);
  return () => {
    clearInterval(timer);
    waitlist?.stop();
  };
}
