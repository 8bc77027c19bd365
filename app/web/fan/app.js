// Fan app entry: language, session, navigation between one-task screens (History API routing).
import { api, h, i18n, navigate, onNavigate, screen, session, t } from "./core.js";
import { forgetTickets } from "./wallet.js";

// path pattern -> view module (loaded on first use, so the waiting room ships only its code)
const ROUTES = [
  [/^\/$/, () => import("./views/events.js")],
  [/^\/events\/([^/]+)$/, () => import("./views/event.js")],
  [/^\/events\/([^/]+)\/queue$/, () => import("./views/queue.js")],
  [/^\/events\/([^/]+)\/waitlist$/, () => import("./views/waitlist.js")],
  [/^\/events\/([^/]+)\/party$/, () => import("./views/party.js")],
  [/^\/holds\/([^/]+)$/, () => import("./views/hold.js")],
  [/^\/tickets$/, () => import("./views/tickets.js")],
  [/^\/orders$/, () => import("./views/orders.js")],
  [/^\/orders\/([^/]+)$/, () => import("./views/order.js")],
  [/^\/orders\/([^/]+)\/attendees$/, () => import("./views/attendees.js")],
  [/^\/tickets\/([^/]+)$/, () => import("./views/ticket.js")],
  [/^\/signin$/, () => import("./views/auth.js"), "signin"],
  [/^\/register$/, () => import("./views/auth.js"), "register"],
  [/^\/forgot$/, () => import("./views/account.js"), "forgot"],
  [/^\/reset$/, () => import("./views/account.js"), "reset"],
  [/^\/verify$/, () => import("./views/account.js"), "verify"],
];

let current = null; // {view, cleanup}
let renderSeq = 0;

async function render({ focus = true } = {}) {
  const seq = ++renderSeq;
  current?.cleanup?.();
  current = null;
  const main = document.getElementById("main");
  const path = location.pathname.replace(/\/+$/, "") || "/";
  const hit = ROUTES.find(([re]) => re.test(path));
  renderNav();
  if (!hit) {
    screen(main, t("notfound.title"), h("p", {}, h("a", { href: "/" }, t("notfound.back"))));
    return;
  }
  const [re, load, mode] = hit;
  const params = path.match(re).slice(1).map(decodeURIComponent);
  const view = await load();
  if (seq !== renderSeq) return;
  const cleanup = await view.default(main, { params, mode, query: new URLSearchParams(location.search) });
  if (seq !== renderSeq) {
    cleanup?.();
    return;
  }
  current = { cleanup };
  if (focus) main.querySelector("h1")?.focus();
}

function renderNav() {
  const nav = document.getElementById("nav");
  const link = (href, key) =>
    h("a", { href, "aria-current": location.pathname === href ? "page" : false }, t(key));
  if (session.signedIn) {
    const out = h("button", { type: "button", class: "linkish" }, t("nav.signout"));
    out.addEventListener("click", async () => {
      await api.logout();
      await forgetTickets();
      navigate("/");
    });
    // My tickets leads to the orders too: two links and the language fit one row at 360 px.
    nav.replaceChildren(link("/tickets", "nav.tickets"), out);
  } else {
    nav.replaceChildren(link("/signin", "nav.signin"));
  }
}

function watchNetwork() {
  const bar = document.getElementById("net");
  const update = () => {
    bar.hidden = navigator.onLine;
    // In the queue the fan's worry is the place; elsewhere, just the fact.
    const key = location.pathname.endsWith("/queue") ? "net.offline" : "net.offline_plain";
    bar.textContent = navigator.onLine ? "" : t(key);
  };
  addEventListener("online", update);
  addEventListener("offline", update);
  update();
}

async function boot() {
  onNavigate(render);
  let profileLocale = null;
  if (session.signedIn) {
    try {
      const me = await api.get("/me");
      // A language the fan never picked does not override the phone's.
      profileLocale = me.locale_chosen === false ? null : me.locale;
    } catch {
      // A stale session is cleared by the client; the app still works signed out.
    }
  }
  await i18n.use(i18n.pick(profileLocale));
  const select = document.getElementById("lang");
  select.value = i18n.lang;
  select.addEventListener("change", async () => {
    await i18n.use(select.value, { remember: true });
    i18n.apply();
    if (session.signedIn) api.patch("/me", { locale: i18n.lang }).catch(() => {});
    render({ focus: false });
  });
  i18n.apply();
  watchNetwork();
  // Same-origin links navigate inside the app; everything else is left to the browser.
  document.addEventListener("click", (e) => {
    const a = e.target.closest("a[href]");
    // A download (a receipt, a calendar file) is a file to save, not a page to route to.
    if (!a || a.target || a.hasAttribute("download") || e.ctrlKey || e.metaKey || e.shiftKey || e.button) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
    if (url.pathname.startsWith("/console") || url.pathname.startsWith("/schema")) return;
    if (url.hash && url.pathname === location.pathname) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
  addEventListener("popstate", () => render());
  session.onChange(() => renderNav());
  await render({ focus: false });
  // The shell and its files, kept for the door: My tickets opens with no network.
  navigator.serviceWorker?.register("/sw.js", { scope: "/" }).catch(() => {});
}

boot();
