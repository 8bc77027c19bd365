// The standalone room: a fan sent here by the gate in front of a busy shop waits for a turn,
// then goes on to the page they asked for (?next=, same site only) with a pass cookie.
import { announce, h } from "../shared/dom.js";
import { I18n } from "../shared/i18n.js";

const i18n = new I18n({
  languages: ["en", "de", "es", "fr"],
  url: (lang) => import.meta.resolve(`./i18n/${lang}.json`),
  storageKey: "onsale.room.lang",
});
const t = (key, params) => i18n.t(key, params);

let status = null;
let problem = false;
let firstPosition = null;
let timer = null;
let lastAnnounce = 0;

/** Where to go once through: the rest of the query after `?next=` (nginx puts the page
 * there as the fan asked for it, its own query included), and only a path of this site. */
export function nextUrl(search = location.search) {
  const next = search.startsWith("?next=") ? search.slice("?next=".length) : "/";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
}

async function call(method, path) {
  const r = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", "Accept-Language": i18n.lang },
  });
  if (!r.ok) throw new Error(String(r.status));
  return r.json();
}

async function poll(method = "GET") {
  clearTimeout(timer);
  try {
    status = await call(method, method === "POST" ? "/api/v1/room/join" : "/api/v1/room/status");
    problem = false;
  } catch {
    // A place lost (cookie gone) joins again; anything else is retried, the place is kept.
    problem = true;
  }
  draw();
  if (status?.through) {
    location.replace(nextUrl());
    return;
  }
  const again = problem && status == null ? "POST" : "GET";
  timer = setTimeout(() => poll(again), (status?.poll_after_s || 5) * 1000);
}

function stat(label, id, value) {
  return h("div", {}, h("dt", {}, label), h("dd", { id }, value));
}

function draw() {
  const main = document.getElementById("main");
  const title = h("h1", { tabindex: "-1" }, t("title"));
  if (status == null) {
    main.replaceChildren(title, h("div", { class: "card" }, h("p", {}, problem ? t("problem") : t("joining"))));
    return;
  }
  if (status.through) {
    main.replaceChildren(title, h("div", { class: "card", id: "room", dataset: { state: "through" } },
      h("h2", {}, t("through.title")), h("p", {}, t("through.body"))));
    announce(t("through.title"));
    return;
  }
  firstPosition ??= status.position;
  const done = firstPosition > 1 ? (firstPosition - status.position) / (firstPosition - 1) : 1;
  const fill = h("span", {});
  // The width through the CSSOM: the CSP (style-src 'self') refuses style attributes.
  fill.style.width = `${Math.max(2, Math.round(done * 100))}%`;
  const eta = status.eta_s == null ? t("eta_unknown") : t("eta", { time: i18n.duration(status.eta_s) });
  main.replaceChildren(title,
    h("div", { class: "card", id: "room", dataset: { state: status.state } },
      h("h2", {}, t(`state.${status.state}`)),
      h("p", {}, t("why")),
      h("p", {}, t("your_place")),
      h("p", { class: "big", id: "place" }, `#${i18n.number(status.position)}`),
      h("div", { class: "bar-progress", role: "progressbar", "aria-label": t("progress"), "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(Math.round(done * 100)) }, fill),
      h("dl", { class: "stats" }, stat(t("ahead"), "ahead", i18n.number(status.ahead)), stat(t("wait"), "eta", eta)),
      problem ? h("p", { class: "notice warn", role: "status" }, t("problem")) : null,
      h("p", { class: "muted" }, t("keep_open"))));
  if (Date.now() - lastAnnounce > 10000) {
    lastAnnounce = Date.now();
    announce(t("announce", { n: i18n.number(status.position), ahead: i18n.number(status.ahead) }));
  }
}

async function start() {
  await i18n.use(i18n.pick());
  const select = document.getElementById("lang");
  select.value = i18n.lang;
  i18n.apply();
  document.title = t("title");
  select.addEventListener("change", async () => {
    await i18n.use(select.value, { remember: true });
    i18n.apply();
    document.title = t("title");
    draw();
  });
  draw();
  poll("POST");
}

start();
