// Organizer console entry: language, session, who is signed in, History API routing under /console/.
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

/** A problem in the console's language: field errors by their rule, else the (localized) detail. */
export function problemText(err) {
  if (!(err instanceof ApiError)) return String(err);
  if (err.errors.length) return err.errors.map((e) => i18n.fieldError(e)).join(" ");
  return err.detail || err.title;
}

// path pattern (below /console) -> view module; `open` views need no session.
const ROUTES = [
  { re: /^\/signin$/, load: () => import("./views/signin.js"), open: true },
  { re: /^\/?$/, load: () => import("./views/events.js") },
  { re: /^\/events\/new$/, load: () => import("./views/event_form.js") },
  { re: /^\/events\/([^/]+)\/edit$/, load: () => import("./views/event_form.js") },
  { re: /^\/events\/([^/]+)$/, load: () => import("./views/live.js") },
  { re: /^\/events\/([^/]+)\/checkin$/, load: () => import("./views/checkin.js") },
  { re: /^\/orders$/, load: () => import("./views/orders.js") },
  { re: /^\/orders\/([^/]+)$/, load: () => import("./views/order.js") },
  { re: /^\/admin$/, load: () => import("./views/admin.js"), admin: true },
  { re: /^\/account$/, load: () => import("./views/account.js") },
];

let me = null; // the signed-in profile {user_id, email, roles}
let cleanup = null;
let seq = 0;

export const profile = () => me;
export const isAdmin = () => Boolean(me?.roles.includes("admin"));
export const canOrganize = () => Boolean(me && (me.roles.includes("organizer") || isAdmin()));

export { announce };

export function navigate(path, { replace = false } = {}) {
  history[replace ? "replaceState" : "pushState"](null, "", BASE + path);
  render();
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

function nav() {
  const el = document.getElementById("nav");
  const who = document.getElementById("who");
  el.replaceChildren();
  who.replaceChildren();
  if (!me) return;
  const here = location.pathname.slice(BASE.length) || "/";
  const item = (path, key, match) =>
    h("li", {}, link(path, t(key), match.test(here) ? { "aria-current": "page" } : {}));
  const items = [];
  if (canOrganize()) {
    items.push(item("/", "nav.events", /^\/?$|^\/events/));
    items.push(item("/orders", "nav.orders", /^\/orders/));
  }
  if (isAdmin()) items.push(item("/admin", "nav.admin", /^\/admin/));
  items.push(item("/account", "nav.account", /^\/account/));
  el.append(h("ul", {}, items));
  who.append(
    h("span", { class: "muted" }, me.email),
    " ",
    h("button", { type: "button", class: "link", onclick: signOut }, t("nav.signout")),
  );
}

async function signOut() {
  await api.logout();
  me = null;
  navigate("/signin");
}

/** Load the profile behind the stored session (null when there is none or it expired). */
export async function loadProfile() {
  if (!session.signedIn) return (me = null);
  try {
    me = await api.get("/me");
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) me = null;
    else throw err;
  }
  return me;
}

export async function render() {
  const mine = ++seq;
  if (cleanup) cleanup();
  cleanup = null;
  const main = document.getElementById("main");
  const path = location.pathname.slice(BASE.length) || "/";
  const route = ROUTES.find((r) => r.re.test(path));
  let nodes;
  try {
    if (!me && session.signedIn) await loadProfile();
    if (!route) {
      nodes = errorPage(new ApiError({ code: "not_found" }, 404, null));
    } else if (!route.open && !me) {
      const next = encodeURIComponent(location.pathname + location.search);
      history.replaceState(null, "", `${BASE}/signin?next=${next}`);
      return render();
    } else if (!route.open && path !== "/account" && !canOrganize()) {
      // Fans (and anyone without the organizer role) get a 403 page, never the tools.
      nodes = errorPage(new ApiError({ code: "forbidden" }, 403, null));
    } else if (route.admin && !isAdmin()) {
      nodes = errorPage(new ApiError({ code: "forbidden" }, 403, null));
    } else {
      const view = await route.load();
      const params = path.match(route.re).slice(1);
      const out = await view.default({ params, query: new URLSearchParams(location.search) });
      nodes = out.nodes;
      cleanup = out.cleanup || null;
    }
  } catch (err) {
    nodes = errorPage(err);
  }
  if (mine !== seq) return;
  nav();
  main.replaceChildren(...nodes.flat().filter(Boolean));
  main.querySelector("h1")?.focus();
}

async function start() {
  const select = document.getElementById("lang");
  await i18n.use(i18n.pick());
  select.value = i18n.lang;
  i18n.apply();
  select.addEventListener("change", async () => {
    await i18n.use(select.value, { remember: true });
    i18n.apply();
    render();
  });
  addEventListener("popstate", render);
  session.onChange((value) => {
    if (!value) me = null;
  });
  render();
}

start();
