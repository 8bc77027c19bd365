// The audit log as a timeline: who (email), what, which event (name), from where, the details;
// filtered by actor, action and event, paged newest first. Admins see all of it at /admin/audit,
// an event's organizer that event's at /events/<id>/audit, a team its organization's at /team/audit.
import { api, currentOrg, i18n, isAdmin, link, navigate, page, profile, t } from "../core.js";
import { field, h } from "../dom.js";

const PAGE = 50;
// The actions the server records (app/audit/service.py ACTIONS); others show their raw name.
const ACTIONS = [
  "event.create", "event.patch", "event.publish", "event.pause", "event.resume", "event.capacity",
  "event.export_orders", "event.export_entrants", "event.pow_difficulty", "order.refund",
  "user.roles_grant", "user.roles_revoke", "user.totp_reset", "user.password_change",
  "session.refresh_reuse", "admin.bootstrap", "webhook.replay", "event.duplicate", "event.unpublish",
  "event.archive", "org.create", "org.invite", "org.invite_revoke", "org.invite_accept", "org.member_role",
  "org.member_remove", "org.seller", "event.attendee_settings", "event.export_attendees",
];

/** A translated name for an action, or the action itself when this console does not know it. */
function actionName(action) {
  const key = `audit.action.${action.replaceAll(".", "_")}`;
  const text = t(key);
  return text === key ? action : text;
}

function when(iso) {
  // With the zone's name: an audit trail is read across time zones.
  return new Intl.DateTimeFormat(i18n.lang, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short",
  }).format(new Date(iso));
}

function detailValue(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return t(value ? "audit.yes" : "audit.no");
  if (Array.isArray(value) && value.every((v) => typeof v !== "object")) return value.join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function entry(e, eventScoped) {
  const who = e.actor_email || (e.actor_id ? e.actor_id : t("audit.system"));
  const roles = e.actor_roles.filter((r) => r !== "fan").map((r) => t(`role.${r}`)).join(", ");
  const target = e.target_label || (e.target_id ? `${e.target_type} ${e.target_id}` : e.target_type);
  const details = Object.entries(e.detail || {});
  return h("li", { dataset: { auditId: String(e.audit_id), action: e.action } },
    h("p", { class: "what" }, actionName(e.action), " · ", h("span", { dataset: { testid: "audit-target" } }, target)),
    h("p", { class: "meta" },
      h("span", { dataset: { testid: "audit-who" } }, t("audit.by", { who })), roles ? ` (${roles})` : "",
      " · ", h("time", { datetime: e.at }, when(e.at))),
    h("p", { class: "meta" },
      e.event_id && !eventScoped
        ? [t("audit.event"), " ", link(`/events/${e.event_id}`, e.event_name || e.event_id), " · "]
        : null,
      h("span", { dataset: { testid: "audit-from" } }, e.client_ip ? t("audit.from", { address: e.client_ip }) : t("audit.no_address"))),
    details.length
      ? h("details", {},
          h("summary", {}, t("audit.details")),
          h("dl", { class: "pairs" }, details.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, detailValue(v))])))
      : null);
}

export default async function audit({ params, query }) {
  const eventId = params[0] || null; // an organizer's view of one event
  const org = location.pathname.endsWith("/team/audit") ? currentOrg() : null; // a team's log
  const actor = query.get("actor") || "";
  const action = query.get("action") || "";
  const event = eventId || query.get("event") || "";
  const before = query.get("before") || "";
  const base = eventId ? `/events/${eventId}/audit` : org ? "/team/audit" : "/admin/audit";
  const source = eventId ? `/events/${eventId}/audit` : org ? `/orgs/${org.org_id}/audit` : "/admin/audit";
  const apiParams = new URLSearchParams({ limit: String(PAGE) });
  if (actor) apiParams.set("actor", actor);
  if (action) apiParams.set("action", action);
  if (before) apiParams.set("before", before);
  if (!eventId && !org && event) apiParams.set("event_id", event);
  const [body, scope, events] = await Promise.all([
    api.get(`${source}?${apiParams}`),
    eventId ? api.get(`/events/${eventId}`) : null,
    eventId || org ? null : api.get("/events"),
  ]);
  const here = (extra = {}) => {
    const p = new URLSearchParams();
    if (actor) p.set("actor", actor);
    if (action) p.set("action", action);
    if (!eventId && event) p.set("event", event);
    for (const [k, v] of Object.entries(extra)) p.set(k, v);
    return `${base}${p.size ? `?${p}` : ""}`;
  };

  const actionSelect = h("select", {},
    h("option", { value: "" }, t("audit.all_actions")),
    ACTIONS.map((a) => h("option", { value: a, selected: a === action }, actionName(a))),
    action && !ACTIONS.includes(action) ? h("option", { value: action, selected: true }, action) : null);
  const me = profile();
  const eventSelect = eventId || org
    ? null
    : h("select", {},
        h("option", { value: "" }, t("audit.all_events")),
        (events?.items || [])
          .filter((e) => isAdmin() || e.organizer_id === me.user_id)
          .map((e) => h("option", { value: e.event_id, selected: e.event_id === event }, e.name)));
  const filters = h("form", { role: "search", class: "filters", "aria-label": t("audit.filters") },
    field({ label: t("audit.actor"), name: "actor", type: "search", value: actor, hint: t("audit.actor_hint") }),
    field({ label: t("audit.action_label"), name: "action", control: actionSelect }),
    eventSelect ? field({ label: t("audit.event_label"), name: "event", control: eventSelect }) : null,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("audit.filter"))));
  filters.addEventListener("submit", (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    const who = filters.elements.actor.value.trim();
    if (who) p.set("actor", who);
    if (actionSelect.value) p.set("action", actionSelect.value);
    if (eventSelect?.value) p.set("event", eventSelect.value);
    navigate(`${base}${p.size ? `?${p}` : ""}`);
  });

  const items = body.items || [];
  const list = items.length
    ? h("ol", { class: "timeline", "aria-label": t("audit.timeline") }, items.map((e) => entry(e, Boolean(eventId))))
    : h("p", { class: "empty", dataset: { testid: "audit-empty" } }, t(actor || action || event || before ? "audit.none_match" : "audit.none"));
  const pager = h("nav", { class: "pager", "aria-label": t("paging.label") },
    before ? link(here(), t("paging.first"), { class: "button secondary" }) : null,
    body.next_before ? link(here({ before: String(body.next_before) }), t("paging.older_entries"), { class: "button secondary", rel: "next" }) : null);
  return {
    nodes: page(eventId ? "audit.event_title" : org ? "audit.org_title" : "audit.title", { name: scope?.name || org?.name || "" },
      eventId ? h("p", {}, link(`/events/${eventId}`, t("audit.back_event", { name: scope.name })))
        : org ? h("p", {}, link("/team", t("audit.back_team")))
        : h("p", {}, link("/admin", t("audit.back_admin"))),
      h("p", { class: "hint" }, t("audit.intro")),
      filters, list, pager),
  };
}
