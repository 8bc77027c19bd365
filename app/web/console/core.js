// What every console view shares: the API client and session, i18n, the signed-in profile, navigation.
//
// Modules flow one way: app.js (the router) and the views import from here; this module imports
// neither of them. app.js registers how to draw the current path with onNavigate().
import { ApiError, Client, Session } from "../shared/api.js";
import { announce } from "../shared/dom.js";
import { I18n } from "../shared/i18n.js";
import { h, useErrorText } from "./dom.js";

export const LANGUAGES = ["en", "de", "es", "fr"];
export const BASE = "/console";
export const session = new Session("console");
export const i18n = new I18n({
  languages: LANGUAGES,
  url: (lang) => import.meta.resolve(`./i18n/${lang}.json`),
  storageKey: "onsale.console.lang",
});
export const api = new Client({ session, lang: () => i18n.lang });
export const t = (key, params) => i18n.t(key, params);
// Field errors of a problem read as a sentence per rule in the console's language.
useErrorText((e) => i18n.fieldError(e));

export { announce };

/** A problem in the console's language: field errors by their rule, else the (localized) detail. */
export function problemText(err) {
  if (!(err instanceof ApiError)) return String(err);
  if (err.errors.length) return err.errors.map((e) => i18n.fieldError(e)).join(" ");
  return err.detail || err.title;
}

let me = null; // the signed-in profile {user_id, email, roles}
let orgs = []; // the organizations the account belongs to [{org_id, name, role, can}]
const ORG_KEY = "onsale.console.org";
session.onChange((value) => {
  if (!value) {
    me = null;
    orgs = [];
  }
});

export const profile = () => me;
export const isAdmin = () => Boolean(me?.roles.includes("admin"));
// Organizers, admins and every member of a team (box office, scanner staff, viewers).
export const canOrganize = () =>
  Boolean(me && (me.roles.includes("organizer") || isAdmin() || orgs.length));
export const myOrgs = () => orgs;

/** The organization the console shows (the one last chosen, else the first). */
export function currentOrg() {
  const chosen = localStorage.getItem(ORG_KEY);
  return orgs.find((o) => o.org_id === chosen) || orgs[0] || null;
}

export function chooseOrg(orgId) {
  localStorage.setItem(ORG_KEY, orgId);
}

/** Whether the caller's role in the current organization allows `need` (read, edit, refund,
 * scan, members, payouts); admins may do everything. */
export const can = (need) => isAdmin() || Boolean(currentOrg()?.can.includes(need));

/** Load the profile behind the stored session (null when there is none or it expired). */
export async function loadProfile() {
  if (!session.signedIn) return (me = null);
  try {
    me = await api.get("/me");
    orgs = (await api.get("/orgs")).items;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) me = null;
    else throw err;
  }
  return me;
}

/** Read the organizations again (after joining one or creating one). */
export async function reloadOrgs() {
  orgs = (await api.get("/orgs")).items;
  return orgs;
}

/** End this session and forget the profile. */
export async function signOut() {
  await api.logout();
  me = null;
}

let draw = () => {};
/** The router (app.js) says how the current location is drawn; navigate() calls it. */
export function onNavigate(fn) {
  draw = fn;
}

/** The path below /console of the current location ("/" for the console's root). */
export const here = () => location.pathname.slice(BASE.length) || "/";

export function navigate(path, { replace = false } = {}) {
  history[replace ? "replaceState" : "pushState"](null, "", BASE + path);
  draw();
}

/** A link inside the console that routes without reloading. */
export function link(path, text, attrs = {}) {
  return h("a", { href: BASE + path, ...attrs, onclick: (e) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button) return;
    e.preventDefault();
    navigate(path);
  } }, text);
}

/** The page's heading (focused on navigation so screen readers hear the new page). */
export function page(titleKey, params, ...children) {
  const title = t(titleKey, params);
  document.title = `${title} · ${t("app.name")}`;
  const h1 = h("h1", { tabindex: "-1" }, title);
  return [h1, ...children];
}

/** A problem shown as its own page: 403, 404, network. */
export function errorPage(err) {
  const status = err instanceof ApiError ? err.status : 0;
  const key = status === 403 ? "forbidden" : status === 404 ? "not_found" : "failed";
  return [
    h("h1", { tabindex: "-1", dataset: { status: String(status) } }, t(`error.${key}.title`)),
    h("p", {}, t(`error.${key}.body`)),
    err?.detail ? h("p", { class: "muted" }, err.detail) : null,
    canOrganize() ? link("/", t("error.back")) : h("a", { href: "/" }, t("error.shop")),
  ];
}
