// Admin: accounts (paged), role grants and revocations behind a confirmation, resetting a lost
// authenticator; the audit log has its own page (views/audit.js).
import { announce, api, i18n, link, navigate, page, profile, t, problemText } from "../core.js";
import { cards, field, h } from "../dom.js";
import { confirmAction } from "../parts/confirm.js";

const GRANTABLE = ["organizer", "admin"];

const PAGE = 50;

export default async function admin({ query }) {
  const q = query.get("q") || "";
  const cursor = query.get("cursor") || "";
  const me = profile();
  const params = new URLSearchParams({ limit: String(PAGE) });
  if (q) params.set("q", q);
  if (cursor) params.set("cursor", cursor);
  const { items, next_cursor: nextCursor } = await api.get(`/admin/users?${params}`);
  const feedback = h("p", { role: "status" });
  const here = (extra = {}) => {
    const p = new URLSearchParams();
    if (q) p.set("q", q);
    for (const [k, v] of Object.entries(extra)) p.set(k, v);
    return `/admin${p.size ? `?${p}` : ""}`;
  };

  async function change(user, role, grant) {
    // Granting hands over power (an admin can do everything; an organizer sells in our name):
    // say what it means and ask first. Removing is the safe way round and ends their sessions.
    const ok = await confirmAction({
      title: t(grant ? "confirm.grant_title" : "confirm.revoke_title", { role: t(`role.${role}`), email: user.email }),
      body: t(grant ? `confirm.grant_${role}` : "confirm.revoke_body", { email: user.email, role: t(`role.${role}`) }),
      confirm: t(grant ? "admin.grant" : "admin.revoke", { role: t(`role.${role}`) }),
      cancel: t("confirm.cancel"),
      tone: grant ? "primary" : "danger",
      testid: "confirm-role",
    });
    if (!ok) return;
    try {
      if (grant) await api.post(`/admin/users/${user.user_id}/roles`, { roles: [role] });
      else await api.delete(`/admin/users/${user.user_id}/roles/${role}`);
      announce(t(grant ? "admin.granted" : "admin.revoked", { role: t(`role.${role}`), email: user.email }));
      navigate(here(cursor ? { cursor } : {}), { replace: true });
    } catch (err) {
      feedback.textContent = problemText(err);
    }
  }

  // A lost phone: the account's authenticator is removed behind a confirmation (sessions end).
  let resetting = null;
  const resetBody = h("p", {});
  const resetDialog = h("dialog", { "aria-labelledby": "reset-title", class: "confirm" },
    h("form", { method: "dialog" },
      h("h2", { id: "reset-title" }, t("admin.totp_reset_title")),
      resetBody,
      h("div", { class: "actions" },
        h("button", { value: "cancel", class: "secondary" }, t("admin.totp_reset_cancel")),
        h("button", { value: "reset", class: "danger", dataset: { testid: "confirm-totp-reset" } }, t("admin.totp_reset_do")))));
  resetDialog.addEventListener("close", async () => {
    const user = resetting;
    resetting = null;
    if (resetDialog.returnValue !== "reset" || !user) return;
    try {
      await api.delete(`/admin/users/${user.user_id}/totp`);
      announce(t("admin.totp_reset_done", { email: user.email }));
      navigate(here(cursor ? { cursor } : {}), { replace: true });
    } catch (err) {
      feedback.textContent = problemText(err);
    }
  });
  const resetButton = (u) => (u.totp_enabled && u.user_id !== me.user_id
    ? h("button", { type: "button", class: "danger", onclick: () => {
      resetting = u;
      resetBody.textContent = t("admin.totp_reset_body", { email: u.email });
      resetDialog.showModal();
    } }, t("admin.totp_reset"))
    : null);

  const search = h("form", { role: "search", class: "search" },
    field({ label: t("admin.query"), name: "q", type: "search", value: q }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("orders.search"))));
  search.addEventListener("submit", (e) => {
    e.preventDefault();
    const value = search.elements.q.value.trim();
    navigate(`/admin${value ? `?q=${encodeURIComponent(value)}` : ""}`);
  });

  const rows = items.map((u) => h("tr", { dataset: { userId: u.user_id } },
    h("th", { scope: "row" }, u.email, u.name ? [h("br"), h("span", { class: "muted" }, u.name)] : null),
    h("td", {}, u.roles.map((r) => h("span", { class: `tag tag-role` }, t(`role.${r}`))), " "),
    h("td", {}, u.totp_enabled ? t("admin.totp_on") : t("admin.totp_off")),
    h("td", {}, new Date(u.created_at).toLocaleDateString(i18n.lang)),
    h("td", {}, h("div", { class: "actions wrap tight" }, GRANTABLE.map((role) => {
      const has = u.roles.includes(role);
      if (has && role === "admin" && u.user_id === me.user_id) return null;
      return h("button", { type: "button", class: has ? "secondary" : "primary", onclick: () => change(u, role, !has) },
        t(has ? "admin.revoke" : "admin.grant", { role: t(`role.${role}`) }));
    }), resetButton(u)))));
  return {
    nodes: page("admin.title", {},
      h("section", { "aria-labelledby": "h-users" },
        h("h2", { id: "h-users" }, t("admin.users")),
        search,
        feedback,
        h("p", { class: "hint" }, t("admin.roles_hint")),
        items.length
          ? cards(h("table", { class: "list" },
              h("thead", {}, h("tr", {}, ["email", "roles", "totp", "created", "actions"].map((k) => h("th", { scope: "col" }, t(`admin.${k}`))))),
              h("tbody", {}, rows)))
          : h("p", { class: "empty" }, t("paging.none")),
        h("nav", { class: "pager", "aria-label": t("paging.label") },
          cursor ? link(here(), t("paging.first"), { class: "button secondary" }) : null,
          nextCursor ? link(here({ cursor: nextCursor }), t("paging.older_users"), { class: "button secondary", rel: "next" }) : null),
        resetDialog),
      h("section", { "aria-labelledby": "h-audit" },
        h("h2", { id: "h-audit" }, t("admin.audit")),
        h("p", {}, t("audit.intro")),
        h("p", {}, link("/admin/audit", t("audit.open"), { class: "button secondary" })))),
  };
}
