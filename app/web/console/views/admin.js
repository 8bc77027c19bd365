// Admin: accounts, role grants and revocations, resetting a lost authenticator, and the audit log.
import { ApiError } from "../../shared/api.js";
import { announce, api, i18n, navigate, page, profile, t, problemText } from "../core.js";
import { field, h } from "../dom.js";

const GRANTABLE = ["organizer", "admin"];

async function auditSection() {
  const box = h("section", { "aria-labelledby": "h-audit" }, h("h2", { id: "h-audit" }, t("admin.audit")));
  try {
    const body = await api.get("/admin/audit");
    const items = body.items || [];
    if (!items.length) {
      box.append(h("p", { class: "empty" }, t("admin.audit_empty")));
      return box;
    }
    const cols = Object.keys(items[0]).filter((k) => typeof items[0][k] !== "object" || items[0][k] === null);
    box.append(h("div", { class: "scroll" }, h("table", { class: "list" },
      h("thead", {}, h("tr", {}, cols.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, items.map((it) => h("tr", {}, cols.map((c) => h("td", {}, it[c] == null ? "" : String(it[c])))))))));
  } catch (err) {
    // 404: this server has no audit log endpoint (yet). Say so rather than show an empty table.
    const missing = err instanceof ApiError && (err.status === 404 || err.status === 405);
    box.append(h("p", { class: "empty", dataset: { testid: "audit-missing" } }, missing ? t("admin.audit_missing") : err.detail || String(err)));
  }
  return box;
}

export default async function admin({ query }) {
  const q = query.get("q") || "";
  const me = profile();
  const { items } = await api.get(`/admin/users${q ? `?q=${encodeURIComponent(q)}` : ""}`);
  const feedback = h("p", { role: "status" });

  async function change(user, role, grant) {
    try {
      if (grant) await api.post(`/admin/users/${user.user_id}/roles`, { roles: [role] });
      else await api.delete(`/admin/users/${user.user_id}/roles/${role}`);
      announce(t(grant ? "admin.granted" : "admin.revoked", { role: t(`role.${role}`), email: user.email }));
      navigate(`/admin${q ? `?q=${encodeURIComponent(q)}` : ""}`, { replace: true });
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
      navigate(`/admin${q ? `?q=${encodeURIComponent(q)}` : ""}`, { replace: true });
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
        h("div", { class: "scroll" }, h("table", { class: "list" },
          h("thead", {}, h("tr", {}, ["email", "roles", "totp", "created", "actions"].map((k) => h("th", { scope: "col" }, t(`admin.${k}`))))),
          h("tbody", {}, rows))),
        resetDialog),
      await auditSection()),
  };
}
