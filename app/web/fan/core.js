// What every fan view shares: the API client and session, i18n, navigation, the page heading.
//
// Modules flow one way: app.js (the router) and the views import from here; this module imports
// neither of them. app.js registers how to draw the current path with onNavigate().
import { Client, Session } from "../shared/api.js";
import { announce, h } from "../shared/dom.js";
import { I18n } from "../shared/i18n.js";

export const LANGUAGES = ["en", "de", "es", "fr"];
export const session = new Session("fan");
export const i18n = new I18n({
  languages: LANGUAGES,
  url: (lang) => import.meta.resolve(`./i18n/${lang}.json`),
});
export const api = new Client({ session, lang: () => i18n.lang });
export const t = (key, params) => i18n.t(key, params);

export { announce, h };

let draw = () => {};
/** The router (app.js) says how the current location is drawn; navigate() calls it. */
export function onNavigate(fn) {
  draw = fn;
}

export function navigate(path, { replace = false } = {}) {
  history[replace ? "replaceState" : "pushState"](null, "", path);
  draw();
}

/** Pages that need an account send the fan to sign in, then back here. */
export function requireSignIn() {
  if (session.signedIn) return true;
  navigate(`/signin?next=${encodeURIComponent(location.pathname)}`, { replace: true });
  return false;
}

/** The page title and a heading that takes focus on navigation (screen readers hear it). */
export function screen(main, title, ...children) {
  document.title = `${title} · Onsale`;
  const h1 = h("h1", { tabindex: "-1" }, title);
  main.replaceChildren(h1, ...children);
  return h1;
}

export function problemText(err) {
  // Field errors by their rule, in the fan's language: never the server's raw English text.
  if (err?.errors?.length) return err.errors.map((e) => i18n.fieldError(e)).join(" ");
  if (err?.code && i18n.t(`problem.${err.code}`) !== `problem.${err.code}`) {
    return t(`problem.${err.code}`);
  }
  return err?.detail || err?.message || t("problem.unknown");
}
