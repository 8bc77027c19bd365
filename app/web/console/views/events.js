// The organizer's events: status, on-sale time in the event's zone, seats left; links to each.
import { api, currentOrg, i18n, isAdmin, link, page, t } from "../core.js";
import { cards, h } from "../dom.js";
import { statusTag } from "../parts/tags.js";

export default async function events({ query }) {
  const org = currentOrg();
  const archived = query.get("archived") === "true";
  const params = new URLSearchParams(org ? { org_id: org.org_id } : {});
  if (archived) params.set("archived", "true");
  const { items } = await api.get(`/events?${params}`);
  // The events of the organization chosen; the list API also shows everyone's published events,
  // which only an admin outside every organization sees here.
  const mine = items.filter((e) => (org ? e.org_id === org.org_id : isAdmin()));
  const rows = mine.map((e) => {
    const capacity = e.sections.reduce((n, s) => n + s.capacity, 0);
    const available = e.sections.reduce((n, s) => n + s.available, 0);
    return h(
      "tr",
      { dataset: { eventId: e.event_id } },
      h("th", { scope: "row" }, link(`/events/${e.event_id}`, e.name)),
      h("td", {}, statusTag(e)),
      h("td", {}, i18n.dateTime(e.onsale_at, e.timezone, { dateStyle: "medium", timeStyle: "short" }), h("br"), h("span", { class: "muted" }, e.timezone)),
      h("td", { class: "num" }, t("events.left", { available: i18n.number(available), capacity: i18n.number(capacity) })),
      h("td", {}, link(`/events/${e.event_id}/edit`, t("events.edit"), { "aria-label": t("events.edit_named", { name: e.name }) })),
    );
  });
  const table = mine.length
    ? cards(h("table", { class: "list" },
        h("caption", { class: "sr-only" }, t("events.title")),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, t("events.name")),
          h("th", { scope: "col" }, t("events.status")),
          h("th", { scope: "col" }, t("events.onsale")),
          h("th", { scope: "col", class: "num" }, t("events.seats")),
          h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("events.actions"))),
        )),
        h("tbody", {}, rows)))
    : h("p", { class: "empty" }, t(archived ? "events.none_archived" : "events.none"));
  return {
    nodes: page(archived ? "events.archived_title" : "events.title", {},
      org ? h("p", { class: "muted", dataset: { testid: "org-name" } }, org.name) : null,
      h("p", { class: "actions wrap" },
        link("/events/new", t("events.new"), { class: "button primary" }),
        link("/webhooks", t("hooks.all_title"), { class: "button secondary" }),
        link(archived ? "/" : "/?archived=true", t(archived ? "events.current" : "events.archived"), { class: "button secondary" })),
      table),
  };
}
