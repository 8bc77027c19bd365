// The party panel of the waiting room: queue together with friends (one place, let in
// together), the invite link and its QR code to share, who is in, and leaving.
import { ApiError } from "../shared/api.js";
import { announce, api, h, i18n, problemText, t } from "./core.js";
import { postWithPow } from "./entry.js";

const REFRESH_MS = 10000;

function inviteUrl(eventId, code) {
  return `${location.origin}/events/${eventId}/party?code=${encodeURIComponent(code)}`;
}

/** {el, stop}: a panel that draws the caller's party of this event (or the way to make one). */
export function partyPanel(eventId, { onLeft = () => {} } = {}) {
  const el = h("section", { class: "card party", id: "party", "aria-labelledby": "party-title" });
  let timer = null;
  let stopped = false;

  // A part of the room (its h2 names the state): an h3, so `#room h2` stays the one state.
  const title = () => h("h3", { id: "party-title" }, t("party.title"));

  function drawNone(message = null) {
    el.dataset.state = "none";
    const make = h("button", { class: "btn secondary", type: "button", id: "party-create" }, t("party.create"));
    const status = h("div", { role: "alert" }, message);
    make.addEventListener("click", async () => {
      make.disabled = true;
      status.replaceChildren();
      try {
        draw(await postWithPow(eventId, `/events/${eventId}/party`, undefined));
        announce(t("party.created"));
      } catch (err) {
        make.disabled = false;
        status.replaceChildren(h("p", { class: "error" }, problemText(err)));
      }
    });
    el.replaceChildren(title(), h("p", {}, t("party.explain", { max: i18n.number(4) })), status, make);
  }

  function draw(p) {
    el.dataset.state = p.leader ? "leader" : "member";
    el.dataset.size = String(p.size);
    const members = h("p", { id: "party-size" }, t("party.size", { count: p.size, n: i18n.number(p.size), max: i18n.number(p.max_size) }));
    const children = [title(), members,
      h("p", { class: "muted" }, t(p.leader ? "party.you_lead" : "party.you_member"))];
    if (p.leader && p.size < p.max_size) {
      const url = inviteUrl(eventId, p.invite_code);
      const link = h("input", { id: "party-link", type: "text", readonly: true, value: url, "aria-describedby": "party-link-hint" });
      const copy = h("button", { class: "btn secondary", type: "button" }, t("party.copy"));
      copy.addEventListener("click", async () => {
        try {
          if (navigator.share) await navigator.share({ title: t("party.title"), url });
          else await navigator.clipboard.writeText(url);
          announce(t("party.copied"));
        } catch {
          link.select(); // no share sheet or clipboard: the fan copies it by hand
        }
      });
      const qr = h("div", { class: "party-qr" });
      import("./qr.js").then(({ qrSvg }) => qr.append(qrSvg(url, t("party.qr"))));
      children.push(
        h("div", { class: "field" }, h("label", { for: "party-link" }, t("party.invite")),
          h("p", { class: "hint", id: "party-link-hint" }, t("party.invite_hint")), link),
        copy, qr);
    }
    const leave = h("button", { class: "linkish", type: "button", id: "party-leave" }, t(p.leader ? "party.dissolve" : "party.leave"));
    leave.addEventListener("click", async () => {
      if (!confirm(t(p.leader ? "party.dissolve_confirm" : "party.leave_confirm"))) return;
      leave.disabled = true;
      try {
        await api.delete(`/events/${eventId}/party`);
        drawNone();
        onLeft(p.leader);
      } catch (err) {
        leave.disabled = false;
        el.append(h("p", { class: "error" }, problemText(err)));
      }
    });
    children.push(leave);
    el.replaceChildren(...children);
  }

  async function refresh() {
    clearTimeout(timer);
    if (stopped) return;
    try {
      draw(await api.get(`/events/${eventId}/party`));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        if (el.dataset.state !== "none") drawNone();
      }
    }
    // Friends join over time: the count follows.
    timer = setTimeout(refresh, REFRESH_MS);
  }

  drawNone();
  refresh();
  return {
    el,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
