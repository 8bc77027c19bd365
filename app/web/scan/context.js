// What every scanner screen shares: the session, API client, language, navigation and a device id.
import { ApiError, Client, Session } from "../shared/api.js";
import { announce, h } from "../shared/dom.js";
import { I18n } from "../shared/i18n.js";

export const BASE = "/scan";
export const LANGUAGES = ["en", "de", "es", "fr"];
export const session = new Session("scan");
export const i18n = new I18n({
  languages: LANGUAGES,
  url: (lang) => import.meta.resolve(`./i18n/${lang}.json`),
  storageKey: "onsale.scan.lang",
});
export const api = new Client({ session, lang: () => i18n.lang });
export const t = (key, params) => i18n.t(key, params);

export { announce, h, ApiError };

const DEVICE_KEY = "onsale.scan.device";

/** This browser's stable device id (sent with every scan so conflicts name the device). */
export function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = `dev-${crypto.randomUUID()}`;
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

const SETUP_KEY = "onsale.scan.setup";

/** The list and gate chosen for an event on this device: {list_id, list_name, gate} or null. */
export function setupOf(eventId) {
  try {
    return JSON.parse(localStorage.getItem(SETUP_KEY))?.[eventId] || null;
  } catch {
    return null;
  }
}

export function saveSetup(eventId, value) {
  let all = {};
  try {
    all = JSON.parse(localStorage.getItem(SETUP_KEY)) || {};
  } catch {
    all = {};
  }
  all[eventId] = value;
  localStorage.setItem(SETUP_KEY, JSON.stringify(all));
}

let router = () => {};
/** app.js hands its render function over once; views call navigate() to move on. */
export function onNavigate(fn) {
  router = fn;
}

export function navigate(path, { replace = false } = {}) {
  history[replace ? "replaceState" : "pushState"](null, "", BASE + path);
  router();
}

/** A link inside the scanner app that routes without reloading. */
export function link(path, text, attrs = {}) {
  return h("a", { href: BASE + path, ...attrs, onclick: (e) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button) return;
    e.preventDefault();
    navigate(path);
  } }, text);
}

/** Pages that need an account send the scanner to sign in, then back. */
export function requireSignIn() {
  if (session.signedIn) return true;
  navigate(`/signin?next=${encodeURIComponent(location.pathname)}`, { replace: true });
  return false;
}

/** The page title and a heading that takes focus on navigation. */
export function screen(main, title, ...children) {
  document.title = `${title} · ${t("app.name")}`;
  main.replaceChildren(h("h1", { tabindex: "-1" }, title), ...children.flat().filter((c) => c != null && c !== false));
}

/** A problem in the scanner's language: by its stable code where the catalog has it. */
export function problemText(err) {
  if (err?.errors?.length) return err.errors.map((e) => i18n.fieldError(e)).join(" ");
  if (err?.code && t(`problem.${err.code}`) !== `problem.${err.code}`) return t(`problem.${err.code}`);
  return err?.detail || err?.message || t("problem.unknown");
}

/** A notice box; kind: ok | warn | bad. */
export function notice(kind, ...children) {
  return h("div", { class: `notice ${kind}`, role: kind === "bad" ? "alert" : null }, ...children);
}

/** A time of day in the device's zone (where the gate is). */
export function clockTime(iso) {
  return new Intl.DateTimeFormat(i18n.lang, { hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}
