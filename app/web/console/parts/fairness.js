// The fairness proof of a random_at_open draw: commitment, revealed seed, entrant export, a check.
import { api, i18n, t, problemText } from "../core.js";
import { h, saveBlob } from "../dom.js";

const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
const utf8 = (s) => new TextEncoder().encode(s);

async function sha256(text) {
  return hex(await crypto.subtle.digest("SHA-256", utf8(text)));
}

/** The draw order anyone can recompute: entrants by hex(HMAC-SHA256(seed, user_id)), then id. */
async function drawOrder(seed, userIds) {
  const key = await crypto.subtle.importKey("raw", utf8(seed), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const keyed = await Promise.all(
    userIds.map(async (u) => [hex(await crypto.subtle.sign("HMAC", key, utf8(u.toLowerCase()))), u]),
  );
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return keyed.map(([, u]) => u);
}

export function fairnessPanel(event) {
  const result = h("div", { role: "status", class: "check-result" });
  const seed = event.fairness.seed;
  async function exportEntrants() {
    try {
      const body = await api.get(`/events/${event.event_id}/queue/entrants`);
      saveBlob(new Blob([JSON.stringify(body, null, 2)], { type: "application/json" }), `entrants-${event.event_id}.json`);
      return body;
    } catch (err) {
      result.textContent = problemText(err);
      return null;
    }
  }
  async function check() {
    result.textContent = t("fair.checking");
    const commitmentOk = seed ? (await sha256(seed)) === event.fairness.seed_sha256 : null;
    let orderNote = "";
    try {
      const body = await api.get(`/events/${event.event_id}/queue/entrants`);
      if (seed && body.entrants?.length) {
        const order = await drawOrder(seed, body.entrants.map((e) => e.user_id));
        orderNote = t("fair.order", { n: i18n.number(order.length), first: order.slice(0, 3).join(", ") });
      } else {
        orderNote = t("fair.no_entrants");
      }
    } catch {
      orderNote = "";
    }
    result.replaceChildren(
      h("p", {}, commitmentOk === null ? t("fair.not_revealed") : commitmentOk ? t("fair.ok") : t("fair.bad")),
      ...(orderNote ? [h("p", {}, orderNote)] : []),
    );
  }
  return h("section", { "aria-labelledby": "h-fair", class: "fairness" },
    h("h2", { id: "h-fair" }, t("fair.title")),
    h("p", {}, t(event.waiting_room.mode === "random_at_open" ? "fair.mode_random" : "fair.mode_fifo")),
    h("dl", { class: "pairs" },
      h("dt", {}, t("fair.commitment")), h("dd", {}, h("code", { class: "wrap" }, event.fairness.seed_sha256)),
      h("dt", {}, t("fair.seed")), h("dd", {}, seed ? h("code", { class: "wrap" }, seed) : t("fair.hidden"))),
    h("details", {},
      h("summary", {}, t("fair.how_title")),
      h("ol", {}, ["fair.how_1", "fair.how_2", "fair.how_3", "fair.how_4"].map((k) => h("li", {}, t(k)))),
    ),
    h("div", { class: "actions wrap" },
      h("button", { type: "button", class: "secondary", onclick: exportEntrants }, t("fair.export")),
      h("button", { type: "button", class: "secondary", onclick: check }, t("fair.check"))),
    result,
  );
}
