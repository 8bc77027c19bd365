// The team of the current organization: members and their roles, open invitations, what each role
// may do. Owners change roles, remove members and invite (each risky step after a confirmation).
import { ApiError } from "../../shared/api.js";
import {
  announce, api, can, chooseOrg, currentOrg, isAdmin, link, navigate, page, profile, problemText,
  reloadOrgs, t,
} from "../core.js";
import { cards, field, h } from "../dom.js";
import { confirmAction } from "../parts/confirm.js";
import { form } from "../parts/forms.js";

const ROLES = ["owner", "manager", "box_office", "scanner", "viewer"];
const LANGS = ["en", "de", "es", "fr"];

function roleSelect(value, attrs = {}) {
  const select = h("select", attrs, ROLES.map((r) => h("option", { value: r }, t(`team.role.${r}`))));
  select.value = value;
  return select;
}

export default async function team() {
  const org = currentOrg();
  const me = profile();
  if (!org) return { nodes: page("team.title_none", {}, newOrgForm()) };
  const data = await api.get(`/orgs/${org.org_id}/team`);
  const owner = can("members");
  const message = h("div", { class: "summary", role: "alert", hidden: true, tabindex: "-1" });

  const fail = (err) => {
    message.replaceChildren(h("p", {}, problemText(err)));
    message.hidden = false;
    message.focus();
  };
  const again = () => navigate("/team", { replace: true });

  async function changeRole(m, select) {
    const role = select.value;
    if (role === m.role) return;
    const ok = await confirmAction({
      title: t("team.confirm_role_title", { email: m.email }),
      body: t("team.confirm_role_body", { from: t(`team.role.${m.role}`), to: t(`team.role.${role}`) }),
      facts: [t(`team.can.${role}`)],
      confirm: t("team.confirm_role_do"),
      cancel: t("confirm.cancel"),
      tone: role === "owner" ? "danger" : "primary",
      testid: "confirm-role",
    });
    if (!ok) {
      select.value = m.role;
      return;
    }
    try {
      await api.patch(`/orgs/${org.org_id}/members/${m.user_id}`, { role });
      announce(t("team.role_changed", { email: m.email }));
      if (m.user_id === me.user_id) await reloadOrgs();
      again();
    } catch (err) {
      select.value = m.role;
      fail(err);
    }
  }

  async function removeMember(m) {
    const ok = await confirmAction({
      title: t("team.confirm_remove_title", { email: m.email }),
      body: t("team.confirm_remove_body", { org: data.name }),
      facts: [t("team.fact_role", { role: t(`team.role.${m.role}`) })],
      confirm: t("team.remove"),
      cancel: t("confirm.cancel"),
      tone: "danger",
      testid: "confirm-remove",
    });
    if (!ok) return;
    try {
      await api.delete(`/orgs/${org.org_id}/members/${m.user_id}`);
      announce(t("team.removed", { email: m.email }));
      if (m.user_id === me.user_id) await reloadOrgs();
      again();
    } catch (err) {
      fail(err);
    }
  }

  async function revoke(inv) {
    const ok = await confirmAction({
      title: t("team.confirm_revoke_title", { email: inv.email }),
      body: t("team.confirm_revoke_body"),
      confirm: t("team.revoke"),
      cancel: t("confirm.cancel"),
      tone: "danger",
      testid: "confirm-revoke",
    });
    if (!ok) return;
    try {
      await api.delete(`/orgs/${org.org_id}/invitations/${inv.invitation_id}`);
      again();
    } catch (err) {
      fail(err);
    }
  }

  const memberRows = data.members.map((m) => {
    const select = roleSelect(m.role, { "aria-label": t("team.role_of", { email: m.email }), dataset: { role: m.user_id } });
    select.addEventListener("change", () => changeRole(m, select));
    return h("tr", { dataset: { member: m.email } },
      h("th", { scope: "row" }, h("span", { class: "wrap-any" }, m.email), m.name ? [h("br"), h("span", { class: "muted" }, m.name)] : null),
      h("td", {}, owner ? select : t(`team.role.${m.role}`)),
      owner
        ? h("td", {}, h("button", { type: "button", class: "link danger", dataset: { remove: m.email }, onclick: () => removeMember(m) },
            t("team.remove"), h("span", { class: "sr-only" }, ` ${m.email}`)))
        : null,
    );
  });
  const members = cards(h("table", { class: "list" },
    h("caption", { class: "sr-only" }, t("team.members")),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, t("team.member")),
      h("th", { scope: "col" }, t("team.role_col")),
      owner ? h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("team.actions"))) : null)),
    h("tbody", {}, memberRows)));

  const parts = [
    h("p", { class: "muted" }, t("team.your_role", { role: t(`team.role.${org.role}`) })),
    can("read") ? h("p", {}, link("/team/audit", t("team.audit"), { class: "button secondary" })) : null,
    message,
    h("h2", {}, t("team.members")),
    members,
  ];

  if (owner) {
    parts.push(h("h2", {}, t("team.invite")), h("p", { class: "hint" }, t("team.invite_hint")),
      form([
        field({ label: t("team.email"), name: "email", type: "email", attrs: { autocomplete: "off", required: true } }),
        field({ label: t("team.role_col"), name: "role", control: roleSelect("viewer") }),
        field({ label: t("team.language"), name: "locale", hint: t("team.language_hint"),
          control: (() => {
            const s = h("select", {}, LANGS.map((l) => h("option", { value: l }, t(`team.lang.${l}`))));
            s.value = LANGS.includes(document.documentElement.lang) ? document.documentElement.lang : "en";
            return s;
          })() }),
      ], async (el) => {
        const body = { email: el.elements.email.value.trim(), role: el.elements.role.value, locale: el.elements.locale.value };
        await api.post(`/orgs/${org.org_id}/invitations`, body);
        announce(t("team.invited", { email: body.email }));
        again();
      }, "team.invite_do"));
    if (data.invitations.length) {
      parts.push(h("h2", {}, t("team.open_invitations")),
        h("ul", { class: "plain", dataset: { testid: "invitations" } }, data.invitations.map((inv) =>
          h("li", {}, h("span", { class: "wrap-any" }, inv.email), " · ", t(`team.role.${inv.role}`), " ",
            h("button", { type: "button", class: "link danger", onclick: () => revoke(inv) },
              t("team.revoke"), h("span", { class: "sr-only" }, ` ${inv.email}`))))));
    }
  }
  parts.push(await sellerPart(org));
  parts.push(h("h2", {}, t("team.roles_title")),
    h("dl", { class: "pairs roles" }, ROLES.flatMap((r) => [h("dt", {}, t(`team.role.${r}`)), h("dd", {}, t(`team.can.${r}`))])));
  if (me.roles.includes("organizer") || isAdmin()) parts.push(h("h2", {}, t("team.new_org")), newOrgForm());
  return { nodes: page("team.title", { org: data.name }, ...parts) };
}

// The seller on the organization's receipts: the owner edits it, every member reads it.
async function sellerPart(org) {
  const seller = await api.get(`/orgs/${org.org_id}/seller`);
  const heading = h("h2", { id: "seller" }, t("team.seller"));
  if (!can("payouts")) {
    const lines = [seller.legal_name, ...seller.address.split("\n"), seller.vat_id ? t("team.vat_id_is", { vat_id: seller.vat_id }) : ""].filter(Boolean);
    return h("section", { "aria-labelledby": "seller" }, heading,
      lines.length ? h("address", { id: "seller-details" }, lines.flatMap((l, i) => (i ? [h("br"), l] : [l]))) : h("p", { class: "muted" }, t("team.seller_none")));
  }
  const done = h("p", { class: "summary ok", id: "seller-saved", role: "status", hidden: true }, t("team.seller_saved"));
  const f = form([
    field({ label: t("team.legal_name"), name: "legal_name", value: seller.legal_name, hint: t("team.legal_name_hint"), attrs: { maxlength: 200, autocomplete: "organization" } }),
    field({ label: t("team.address"), name: "address", hint: t("team.address_hint"), control: h("textarea", { rows: 4, maxlength: 500, autocomplete: "street-address" }, seller.address) }),
    field({ label: t("team.vat_id"), name: "vat_id", value: seller.vat_id, hint: t("team.vat_id_hint"), attrs: { maxlength: 40 } }),
  ], async (el) => {
    const body = { legal_name: el.elements.legal_name.value, address: el.elements.address.value, vat_id: el.elements.vat_id.value };
    await api.put(`/orgs/${org.org_id}/seller`, body);
    done.hidden = false;
    announce(t("team.seller_saved"));
  }, "team.seller_save");
  f.append(done);
  f.addEventListener("input", () => { done.hidden = true; });
  return h("section", { "aria-labelledby": "seller" }, heading, h("p", { class: "hint" }, t("team.seller_hint")), f);
}

function newOrgForm() {
  return form([field({ label: t("team.org_name"), name: "name", attrs: { required: true, maxlength: 200 } })], async (el) => {
    try {
      const org = await api.post("/orgs", { name: el.elements.name.value.trim() });
      await reloadOrgs();
      chooseOrg(org.org_id);
      navigate("/team");
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) err.errors = [{ field: "name", message: err.detail }];
      throw err;
    }
  }, "team.new_org_do");
}
