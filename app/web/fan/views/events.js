// The list of events on sale or coming up.
import { api, h, screen, t } from "../app.js";
import { money, notice, when } from "./common.js";

export default async function events(main) {
  screen(main, t("events.title"), h("p", { class: "muted" }, h("span", { class: "spinner" }), " ", t("common.loading")));
  let items;
  try {
    items = (await api.get("/events", { auth: false })).items;
  } catch (err) {
    screen(main, t("events.title"), notice("bad", t("problem.unknown")));
    return;
  }
  const list = h(
    "ul",
    { class: "list" },
    items.map((e) => {
      const from = Math.min(...e.sections.map((s) => s.price_cents));
      return h(
        "li",
        {},
        h(
          "a",
          { class: "card", href: `/events/${e.event_id}` },
          h("strong", {}, e.name), h("br"),
          h("span", {}, e.venue), h("br"),
          h("time", { class: "muted", datetime: e.starts_at }, when(e.starts_at, e.timezone, "medium")), h("br"),
          h("span", {}, t("events.from", { price: money(from, e.currency) })),
        ),
      );
    }),
  );
  const h1 = main.querySelector("h1");
  main.replaceChildren(h1, items.length ? list : h("p", {}, t("events.none")));
}
