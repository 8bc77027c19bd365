// Scanner app entry: language, routes under /scan/, the service worker. Views do the rest.
import { BASE, i18n, onNavigate, session, t } from "./context.js";
import { h } from "../shared/dom.js";

// path pattern (below /scan) -> view module
const ROUTES = [
  [/^\/signin$/, () => import("./views/signin.js")],
  [/^\/?$/, () => import("./views/events.js")],
  [/^\/events\/([^/]+)$/, () => import("./views/setup.js")],
  [/^\/events\/([^/]+)\/scan$/, () => import("./views/scan.js")],
];

let cleanup = null;
let seq = 0;

async function render() {
  const mine = ++seq;
  cleanup?.();
  cleanup = null;
  const main = document.getElementById("main");
  const path = location.pathname.slice(BASE.length).replace(/\/+$/, "") || "/";
  renderNav();
  const hit = ROUTES.find(([re]) => re.test(path));
  if (!hit) {
    main.replaceChildren(h("h1", { tabindex: "-1" }, t("notfound.title")));
    return;
  }
  const [re, load] = hit;
  const view = await load();
  if (mine !== seq) return;
  const params = path.match(re).slice(1).map(decodeURIComponent);
  const done = await view.default(main, { params, query: new URLSearchParams(location.search) });
  if (mine !== seq) {
    done?.();
    return;
  }
  cleanup = done || null;
  main.querySelector("h1")?.focus();
}

function renderNav() {
  const nav = document.getElementById("nav");
  if (!session.signedIn) return nav.replaceChildren();
  const out = h("button", { type: "button", class: "linkish" }, t("nav.signout"));
  out.addEventListener("click", async () => {
    const { api } = await import("./context.js");
    await api.logout();
    const { db } = await import("./door.js");
    // Nothing of the event stays on a device that was handed back.
    await Promise.all(["data", "local", "meta"].map((s) => db.clear(s)));
    history.pushState(null, "", `${BASE}/signin`);
    render();
  });
  nav.replaceChildren(out);
}

async function start() {
  onNavigate(render);
  await i18n.use(i18n.pick());
  const select = document.getElementById("lang");
  select.value = i18n.lang;
  i18n.apply();
  select.addEventListener("change", async () => {
    await i18n.use(select.value, { remember: true });
    i18n.apply();
    render();
  });
  addEventListener("popstate", render);
  session.onChange(renderNav);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(`${BASE}/sw.js`, { scope: `${BASE}/` }).catch(() => {});
  }
  render();
}

start();
