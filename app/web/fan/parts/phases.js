// The sale phases of an event on its page: each phase's window in the event's time zone,
// who it is for, and for a registration draw: register, then "you're in" (with the code),
// "on the list" or "not this time".
import { ApiError } from "../../shared/api.js";
import { announce, api, h, i18n, problemText, session, t } from "../core.js";

const STYLE = { month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short" };
const at = (iso, tz) => i18n.dateTime(iso, tz, STYLE);

/** The phases box of an event page (empty when the event sells in one go). */
export function phasesPanel(event) {
  const box = h("section", { class: "phases", "aria-labelledby": "phases-title" });
  let phases = [];
  const mine = new Map(); // phase_id -> registration (or null: not registered)

  async function load() {
    try {
      phases = (await api.get(`/events/${event.event_id}/phases`, { auth: false })).items;
    } catch {
      phases = [];
    }
    if (session.signedIn) {
      await Promise.all(
        phases.filter((p) => p.audience === "draw").map(async (p) => {
          try {
            mine.set(p.phase_id, await api.get(`/events/${event.event_id}/phases/${p.phase_id}/registration`));
          } catch {
            mine.set(p.phase_id, null);
          }
        }),
      );
    }
    draw();
  }

  function draw() {
    if (!phases.length) return box.replaceChildren();
    const now = Date.now();
    const current = phases.find((p) => p.state === "open");
    const next = phases.find((p) => Date.parse(p.opens_at) > now);
    box.replaceChildren(
      h("h2", { id: "phases-title" }, t("phases.title")),
      h("p", {}, current ? t("phases.now", { name: current.name }) : t("phases.none_now"),
        next ? [" ", t("phases.next", { name: next.name, when: at(next.opens_at, event.timezone) })] : null),
      h("ol", { class: "list phase-list" }, phases.map((p) => phaseCard(p))),
    );
  }

  function phaseCard(p) {
    const sections = p.sections?.length
      ? event.sections.filter((s) => p.sections.includes(s.code)).map((s) => s.name).join(", ")
      : t("phases.all_sections");
    return h("li", { class: "card phase", dataset: { state: p.state, audience: p.audience } },
      h("strong", {}, p.name), " ", h("span", { class: `tag ${p.state}` }, t(`phases.state.${p.state}`)),
      h("p", { class: "muted" },
        h("time", { datetime: p.opens_at }, at(p.opens_at, event.timezone)), " – ",
        h("time", { datetime: p.closes_at }, at(p.closes_at, event.timezone))),
      h("p", {}, t(`phases.audience.${p.audience}`), " · ", sections,
        p.max_per_user ? [" · ", t("phases.limit", { count: p.max_per_user, n: p.max_per_user })] : null),
      p.audience === "draw" ? drawBlock(p) : null);
  }

  function drawBlock(p) {
    const closes = p.registration_closes_at || p.opens_at;
    const open = Date.parse(closes) > Date.now();
    const reg = mine.get(p.phase_id);
    const out = h("div", { class: "draw", id: `draw-${p.phase_id}` });
    if (reg?.state === "won") {
      out.append(h("p", { class: "notice ok", role: "status" }, h("strong", {}, t("phases.won.title")), " ",
        t("phases.won.body", { from: at(p.opens_at, event.timezone), until: at(p.closes_at, event.timezone) })),
      h("p", {}, t("phases.your_code"), " ", h("code", { class: "access-code" }, reg.code)));
      if (p.state === "open") {
        out.append(h("a", { class: "btn", href: `/events/${event.event_id}/queue?code=${encodeURIComponent(reg.code)}` }, t("phases.use_code")));
      }
    } else if (reg?.state === "listed") {
      out.append(p.state === "closed"
        ? h("p", { class: "notice warn", role: "status" }, h("strong", {}, t("phases.lost.title")), " ", t("phases.lost.body"))
        : h("p", { class: "notice warn", role: "status" }, h("strong", {}, t("phases.listed.title")), " ",
          t("phases.listed.body", { n: i18n.number(reg.rank) })));
    } else if (reg?.state === "duplicate") {
      out.append(h("p", { class: "notice warn", role: "status" }, h("strong", {}, t("phases.duplicate.title")), " ", t("phases.duplicate.body")));
    } else if (reg?.state === "registered") {
      out.append(h("p", { class: "notice ok", role: "status" }, h("strong", {}, t("phases.registered.title")), " ",
        t("phases.registered.body", { when: at(closes, event.timezone) })));
    } else if (open) {
      out.append(h("p", {}, t("phases.register_until", { when: at(closes, event.timezone) })));
      out.append(session.signedIn ? registerForm(p) : h("a", { class: "btn", href: `/signin?next=${encodeURIComponent(location.pathname)}` }, t("phases.signin_to_register")));
    } else {
      out.append(h("p", { class: "muted" }, t("phases.registration_closed")));
    }
    out.append(h("p", { class: "muted small" }, t("phases.commitment"), " ", h("code", { class: "hash" }, p.seed_sha256.slice(0, 16) + "…")));
    return out;
  }

  function registerForm(p) {
    const qid = `qty-${p.phase_id}`;
    const sid = `sec-${p.phase_id}`;
    const limit = p.max_per_user || event.max_per_user;
    const qty = h("select", { id: qid, name: "quantity" },
      Array.from({ length: limit }, (_, i) => h("option", { value: String(i + 1) }, i18n.number(i + 1))));
    const sections = event.sections.filter((s) => !p.sections?.length || p.sections.includes(s.code));
    const sec = h("select", { id: sid, name: "section" },
      h("option", { value: "" }, t("phases.any_section")),
      sections.map((s) => h("option", { value: s.code }, s.name)));
    const error = h("p", { class: "error", role: "alert" });
    const form = h("form", { class: "register-draw" },
      h("div", { class: "field" }, h("label", { for: qid }, t("phases.quantity")), qty),
      h("div", { class: "field" }, h("label", { for: sid }, t("phases.section")), sec),
      error,
      h("button", { class: "btn", type: "submit" }, t("phases.register")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      error.textContent = "";
      try {
        const body = { quantity: Number(qty.value) };
        if (sec.value) body.section = sec.value;
        const reg = await api.post(`/events/${event.event_id}/phases/${p.phase_id}/registrations`, body);
        mine.set(p.phase_id, reg);
        draw();
        announce(t("phases.registered.title"));
        document.getElementById(`draw-${p.phase_id}`)?.querySelector("[role=status]")?.focus?.();
      } catch (err) {
        if (err instanceof ApiError && err.code === "email_unverified") {
          // The link goes out now; the fan opens it, then registers here.
          await api.post("/me/verify-email", {}).catch(() => {});
          error.textContent = t("phases.verify_first");
          return;
        }
        error.textContent = problemText(err);
      }
    });
    return form;
  }

  load();
  return { box, reload: load };
}
