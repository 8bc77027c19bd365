// Organizer console entry: it only routes. Paths below /console/ map to views; the shell (nav, language)
// is drawn around them. Views never import this module: they take everything from core.js.
import { ApiError } from "../shared/api.js";
import { h } from "./dom.js";
import {
  BASE, canOrganize, chooseOrg, currentOrg, errorPage, here, i18n, isAdmin, link, loadProfile, myOrgs,
  navigate, onNavigate, profile, session, signOut, t,
} from "./core.js";

// path pattern (below /console) -> view module; `open` views need no session.
const ROUTES = [
  { re: /^\/signin$/, load: () => import("./views/signin.js"), open: true },
  { re: /^\/?$/, load: () => import("./views/events.js") },
  { re: /^\/events\/new$/, load: () => import("./views/event_form.js") },
  { re: /^\/events\/([^/]+)\/edit$/, load: () => import("./views/event_form.js") },
  { re: /^\/events\/([^/]+)$/, load: () => import("./views/live.js") },
  { re: /^\/events\/([^/]+)\/checkin$/, load: () => import("./views/checkin.js") },
  { re: /^\/events\/([^/]+)\/phases$/, load: () => import("./views/phases.js") },
  { re: /^\/events\/([^/]+)\/discounts$/, load: () => import("./views/discounts.js") },
  { re: /^\/events\/([^/]+)\/types$/, load: () => import("./views/types.js") },
  { re: /^\/events\/([^/]+)\/admission$/, load: () => import("./views/admission.js") },
  { re: /^\/events\/([^/]+)\/seats$/, load: () => import("./views/seats.js") },
  { re: /^\/events\/([^/]+)\/webhooks$/, load: () => import("./views/webhooks.js") },
  { re: /^\/events\/([^/]+)\/audit$/, load: () => import("./views/audit.js") },
  { re: /^\/events\/([^/]+)\/reports$/, load: () => import("./views/reports.js") },
  { re: /^\/events\/([^/]+)\/money$/, load: () => import("./views/money.js") },
  { re: /^\/events\/([^/]+)\/attendees$/, load: () => import("./views/attendees.js") },
  { re: /^\/webhooks$/, load: () => import("./views/webhooks.js") },
  { re: /^\/orders$/, load: () => import("./views/orders.js") },
  { re: /^\/orders\/([^/]+)$/, load: () => import("./views/order.js") },
  { re: /^\/admin$/, load: () => import("./views/admin.js"), admin: true },
  { re: /^\/admin\/audit$/, load: () => import("./views/audit.js"), admin: true },
  { re: /^\/account$/, load: () => import("./views/account.js") },
  { re: /^\/team$/, load: () => import("./views/team.js") },
  { re: /^\/team\/audit$/, load: () => import("./views/audit.js") },
  // An invitation link: any signed-in account may open it (it joins a team here).
  { re: /^\/invitations$/, load: () => import("./views/invitation.js"), anyone: true },
];

let cleanup = null;
let seq = 0;

function nav() {
  const el = document.getElementById("nav");
  const who = document.getElementById("who");
  el.replaceChildren();
  who.replaceChildren();
  const me = profile();
  if (!me) return;
  const path = here();
  const item = (to, key, match) =>
    h("li", {}, link(to, t(key), match.test(path) ? { "aria-current": "page" } : {}));
  const items = [];
  if (canOrganize()) {
    items.push(item("/", "nav.events", /^\/?$|^\/events|^\/webhooks/));
    items.push(item("/orders", "nav.orders", /^\/orders/));
  }
  if (myOrgs().length) items.push(item("/team", "nav.team", /^\/team/));
  if (isAdmin()) items.push(item("/admin", "nav.admin", /^\/admin/));
  items.push(item("/account", "nav.account", /^\/account/));
  el.append(h("ul", {}, items));
  if (myOrgs().length > 1) el.append(orgSwitcher());
  who.append(
    h("span", { class: "muted", title: me.email }, me.email),
    " ",
    h("button", { type: "button", class: "link", onclick: async () => {
      await signOut();
      navigate("/signin");
    } }, t("nav.signout")),
  );
}

// With several organizations: which one the console shows (events, orders, team).
function orgSwitcher() {
  const select = h("select", { id: "org", dataset: { testid: "org-switcher" } },
    myOrgs().map((o) => h("option", { value: o.org_id }, o.name)));
  select.value = currentOrg()?.org_id || "";
  select.addEventListener("change", () => {
    chooseOrg(select.value);
    render();
  });
  return h("label", { class: "org" }, h("span", { class: "sr-only" }, t("nav.organization")), select);
}

async function render() {
  const mine = ++seq;
  if (cleanup) cleanup();
  cleanup = null;
  const main = document.getElementById("main");
  const path = here();
  const route = ROUTES.find((r) => r.re.test(path));
  let nodes;
  try {
    if (!profile() && session.signedIn) await loadProfile();
    if (!route) {
      nodes = errorPage(new ApiError({ code: "not_found" }, 404, null));
    } else if (!route.open && !profile()) {
      const next = encodeURIComponent(location.pathname + location.search);
      history.replaceState(null, "", `${BASE}/signin?next=${next}`);
      return render();
    } else if (!route.open && !route.anyone && path !== "/account" && !canOrganize()) {
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
    if (!(err instanceof ApiError)) console.error(err); // a bug of the console, not an answer
    nodes = errorPage(err);
  }
  if (mine !== seq) return;
  nav();
  main.replaceChildren(...nodes.flat().filter(Boolean));
  main.querySelector("h1")?.focus();
}

async function start() {
  onNavigate(render);
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
  render();
}

start();
