// The list of events on sale or coming up.
import { api, h, screen, t } from "../core.js";
import { money, notice, soldOut, when } from "../parts/common.js";

export default async function events(main) {
  screen(main, t("events.title"), h("p", { class: "muted" }, h("span", { class: "spinner" }), " ", t("common.loading")));
  let items;
  try {
    items = (await api.get("/events", { auth: false })).items;
  } catch (err) {
    screen(main, t("events.title"), notice("bad", t("problem.unknown")));
    return;
  }
  // Grouped as a fan decides: what can be bought now, what opens later, what is gone.
  const now = Date.now();
  const groups = { now: [], soon: [], soldout: [] };
  for (const e of items) {
    if (e.status === "ended" || Date.parse(e.offsale_at) <= now) continue;
    if (soldOut(e)) groups.soldout.push(e);
    else if (e.on_sale || e.status === "paused") groups.now.push(e);
    else groups.soon.push(e);
  }
  groups.soon.sort((a, b) => Date.parse(a.onsale_at) - Date.parse(b.onsale_at));
  const card = (e, group) => {
    const from = Math.min(...e.sections.map((s) => s.price_cents));
    const line = group === "soon"
      ? t("events.opens", { when: when(e.onsale_at, e.timezone, "medium") })
      : group === "soldout" ? t("events.soldout_line") : e.status === "paused" ? t("events.paused_line") : t("events.from", { price: money(from, e.currency) });
    return h("li", {},
      h("a", { class: "card", href: `/events/${e.event_id}` },
        h("strong", {}, e.name), h("br"),
        h("span", {}, e.venue), h("br"),
        h("time", { class: "muted", datetime: e.starts_at }, when(e.starts_at, e.timezone, "medium")), h("br"),
        h("span", {}, line)));
  };
  const sections = ["now", "soon", "soldout"].filter((g) => groups[g].length).map((g) =>
    h("section", { "aria-labelledby": `events-${g}`, dataset: { group: g } },
      h("h2", { id: `events-${g}` }, t(`events.group.${g}`)),
      h("ul", { class: "list" }, groups[g].map((e) => card(e, g)))));
  const h1 = main.querySelector("h1");
  main.replaceChildren(h1, ...(sections.length ? sections : [h("p", {}, t("events.none"))]));
}
