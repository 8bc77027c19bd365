// The events this account scans (GET /me/scanner-events), kept on the device for offline use.
import { api, h, i18n, link, notice, problemText, requireSignIn, screen, t } from "../context.js";

const KEY = "onsale.scan.events";

export default async function events(main) {
  if (!requireSignIn()) return;
  screen(main, t("events.title"), h("p", { class: "muted" }, t("common.loading")));
  let items;
  let stale = false;
  try {
    items = (await api.get("/me/scanner-events")).events;
    localStorage.setItem(KEY, JSON.stringify(items));
  } catch (err) {
    items = JSON.parse(localStorage.getItem(KEY) || "null");
    if (!items) {
      screen(main, t("events.title"), notice("bad", problemText(err)));
      return;
    }
    stale = true;
  }
  const when = (iso) =>
    new Intl.DateTimeFormat(i18n.lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
  screen(main, t("events.title"),
    stale ? notice("warn", t("events.offline")) : null,
    items.length
      ? h("ul", { class: "list" }, items.map((e) => h("li", {},
        link(`/events/${e.event_id}`, [h("strong", {}, e.name), h("br"),
          h("span", { class: "muted" }, when(e.starts_at))], { class: "card" }))))
      : h("p", {}, t("events.none")));
}
