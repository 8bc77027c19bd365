// Live sale view: figures and charts refreshed every 1.5 s, status actions (publishing after a
// confirmation), live capacity (withdrawing after one, in words true to the latest figures), fairness.
import { ApiError } from "../../shared/api.js";
import { announce, api, i18n, link, navigate, page, t, problemText } from "../core.js";
import { LiveChart } from "../charts.js";
import { cards, field, h, saveBlob, showFieldErrors, clearFieldErrors } from "../dom.js";
import { confirmAction } from "../parts/confirm.js";
import { fairnessPanel } from "../parts/fairness.js";
import { statusTag } from "../parts/tags.js";
import { movesPanel } from "../parts/moves.js";

const POLL_MS = 1500; // start to start: the figures are never older than 2 s

const METRICS = [
  ["sold", (l) => sum(l.stats.sections, "sold")],
  ["held", (l) => sum(l.stats.sections, "held")],
  ["available", (l) => sum(l.stats.sections, "available")],
  ["waiting", (l) => l.stats.queue.waiting],
  ["admit_rate", (l) => l.stats.queue.admit_rate_per_min],
  ["active_shoppers", (l) => l.stats.queue.active_shoppers],
  ["hold_success", (l) => l.hold_success],
  ["orders_per_min", (l) => l.orders_last_min],
  ["payment_failures", (l) => l.payment_failures],
  ["orders", (l) => l.stats.orders_confirmed],
  ["revenue", (l) => l.stats.revenue_cents],
  ["refunds", (l) => l.stats.refunds],
];

function sum(rows, key) {
  return rows.reduce((n, r) => n + r[key], 0);
}

function shown(key, value, currency) {
  if (value == null) return t("live.not_yet");
  if (key === "hold_success") return new Intl.NumberFormat(i18n.lang, { style: "percent", maximumFractionDigits: 1 }).format(value);
  if (key === "revenue") return i18n.money(value, currency);
  return i18n.number(value);
}

async function download(path, filename, type) {
  const body = await api.get(path);
  const text = typeof body === "string" ? body : JSON.stringify(body, null, 2);
  saveBlob(new Blob([text], { type }), filename);
}

export default async function live({ params }) {
  const id = params[0];
  let event = await api.get(`/events/${id}`);
  // Only the organizer (or an admin) reads figures; anyone else gets the API's 404 here.
  let first = await api.get(`/events/${id}/live`);

  const tiles = new Map();
  const tileList = h("dl", { class: "tiles" },
    METRICS.map(([key]) => {
      const dd = h("dd", { dataset: { metric: key } }, "");
      tiles.set(key, dd);
      return h("div", { class: "tile" }, h("dt", {}, t(`live.${key}`)), dd);
    }));
  const updated = h("p", { class: "muted updated", dataset: { testid: "updated" } }, "");
  const statusBox = h("span", {});
  const actions = h("div", { class: "actions wrap" });
  const sectionsBody = h("tbody");
  const chartSeats = h("figure", { class: "chart", "aria-label": t("live.chart_seats") });
  const chartFlow = h("figure", { class: "chart", "aria-label": t("live.chart_flow") });
  const fairBox = h("div");
  const movesBox = h("div");
  const message = h("div", { class: "summary", role: "alert", hidden: true, tabindex: "-1" });

  function fail(err) {
    message.replaceChildren(h("p", {}, problemText(err)));
    message.hidden = false;
    message.focus();
  }

  async function act(action) {
    message.hidden = true;
    if (action === "duplicate" || action === "unpublish" || action === "archive") {
      const ok = await confirmAction({
        title: t(`confirm.${action}_title`, { name: event.name }),
        body: t(`confirm.${action}_body`),
        confirm: t(`live.${action}`),
        cancel: t("confirm.cancel"),
        tone: action === "duplicate" ? "primary" : "danger",
        testid: `confirm-${action}`,
      });
      if (!ok) return;
      if (action === "duplicate") {
        try {
          const copy = await api.post(`/events/${id}/duplicate`, { name: t("live.copy_name", { name: event.name }) }, { idempotent: true });
          announce(t("live.did_duplicate"));
          navigate(`/events/${copy.event_id}/edit`);
        } catch (err) {
          fail(err);
        }
        return;
      }
    }
    if (action === "publish") {
      const ok = await confirmAction({
        title: t("confirm.publish_title", { name: event.name }),
        body: t("confirm.publish_body", { when: i18n.dateTime(event.onsale_at, event.timezone, { dateStyle: "medium", timeStyle: "short" }), zone: event.timezone }),
        facts: event.sections.map((s) => t("confirm.publish_section", { code: s.code, name: s.name, count: s.capacity, n: i18n.number(s.capacity), price: i18n.money(s.price_cents, event.currency) })),
        confirm: t("live.publish"),
        cancel: t("confirm.cancel"),
        tone: "primary",
        testid: "confirm-publish",
      });
      if (!ok) return;
    }
    try {
      event = await api.post(`/events/${id}/${action}`, undefined, { idempotent: true });
      announce(t(`live.did_${action}`));
      drawStatus();
      await tick(true);
    } catch (err) {
      fail(err);
    }
  }

  function drawStatus() {
    statusBox.replaceChildren(statusTag(event));
    const btn = (action, cls = "secondary") =>
      h("button", { type: "button", class: cls, onclick: () => act(action) }, t(`live.${action}`));
    fairBox.replaceChildren(fairnessPanel(event));
    if (!movesBox.firstChild) movesBox.replaceChildren(movesPanel(event));
    const buttons = [
      event.status === "draft" && !event.archived_at ? btn("publish", "primary") : null,
      event.status === "published" ? btn("pause", "warning") : null,
      event.status === "paused" ? btn("resume", "primary") : null,
      event.status === "published" || event.status === "paused" ? btn("unpublish", "warning") : null,
      !event.archived_at && !["published", "paused"].includes(event.status) ? btn("archive", "warning") : null,
      btn("duplicate"),
      link(`/events/${id}/edit`, t("live.edit"), { class: "button secondary" }),
      link(`/orders?event=${id}`, t("live.orders"), { class: "button secondary" }),
      link(`/events/${id}/phases`, t("live.phases"), { class: "button secondary" }),
      link(`/events/${id}/discounts`, t("discounts.open"), { class: "button secondary" }),
      link(`/events/${id}/types`, t("types.open"), { class: "button secondary" }),
      link(`/events/${id}/checkin`, t("live.checkin"), { class: "button secondary" }),
      link(`/events/${id}/seats`, t("seats.open"), { class: "button secondary" }),
      link(`/events/${id}/admission`, t("admission.open"), { class: "button secondary" }),
      link(`/events/${id}/webhooks`, t("hooks.open"), { class: "button secondary" }),
      link(`/events/${id}/audit`, t("audit.open_event"), { class: "button secondary" }),
      link(`/events/${id}/reports`, t("reports.open"), { class: "button secondary" }),
      link(`/events/${id}/money`, t("money.open"), { class: "button secondary" }),
      link(`/events/${id}/attendees`, t("attendees.open"), { class: "button secondary" }),
      h("button", { type: "button", class: "secondary", onclick: () => download(`/events/${id}/orders?format=csv`, `orders-${id}.csv`, "text/csv").catch(fail) }, t("live.export_csv")),
      h("button", { type: "button", class: "secondary", onclick: () => download(`/events/${id}/orders?format=json`, `orders-${id}.json`, "application/json").catch(fail) }, t("live.export_json")),
    ];
    actions.replaceChildren(...buttons.filter(Boolean));
  }

  function capacityForm(section) {
    const f = h("form", { class: "inline", novalidate: true },
      field({ label: t("live.seats_for", { code: section.code }), name: "delta", type: "number", value: "10", attrs: { min: 1, step: 1, class: "short" } }),
    );
    const say = (message) => showFieldErrors(f, { errors: [{ field: "delta", message }] });
    const go = async (sign) => {
      clearFieldErrors(f);
      const n = Number(f.elements.delta.value);
      if (!Number.isInteger(n) || n < 1) {
        say(t("live.seats_whole"));
        return;
      }
      if (sign < 0) {
        const now = latest.get(section.code) || section;
        if (n > now.available) {
          say(withdrawable(now));
          return;
        }
        const ok = await confirmAction({
          title: t("capacity.confirm_title", { count: n, n: i18n.number(n), code: section.code }),
          body: t("capacity.confirm_body"),
          facts: facts(now),
          confirm: t("capacity.confirm_do", { count: n, n: i18n.number(n) }),
          cancel: t("confirm.cancel"),
          tone: "danger",
          testid: "confirm-withdraw",
        });
        if (!ok) return;
      }
      try {
        await api.post(`/events/${id}/sections/${encodeURIComponent(section.code)}/capacity`, { delta: sign * n }, { idempotent: true });
        announce(t(sign > 0 ? "live.added" : "live.withdrawn", { n, code: section.code }));
        await tick(true);
      } catch (err) {
        if (err instanceof ApiError && err.code === "capacity_below_committed") {
          // Seats were held or sold meanwhile: say what is true now, from fresh figures.
          await tick(true);
          say(withdrawable(latest.get(section.code) || section));
          return;
        }
        const e = err instanceof ApiError && !err.errors.length
          ? { errors: [{ field: "delta", message: err.detail || err.title }] }
          : err;
        showFieldErrors(f, e);
      }
    };
    f.append(
      h("button", { type: "button", class: "secondary", dataset: { action: "add" }, onclick: () => go(1) }, t("live.add")),
      h("button", { type: "button", class: "warning", dataset: { action: "withdraw" }, onclick: () => go(-1) }, t("live.withdraw")),
    );
    f.addEventListener("submit", (e) => { e.preventDefault(); go(1); });
    return f;
  }

  // The latest figures per section: what a withdrawal can take, said in true words.
  const latest = new Map();
  const facts = (s) => [
    t("capacity.fact_available", { count: s.available, n: i18n.number(s.available) }),
    t("capacity.fact_held", { count: s.held ?? 0, n: i18n.number(s.held ?? 0) }),
    t("capacity.fact_sold", { count: s.sold ?? 0, n: i18n.number(s.sold ?? 0) }),
  ];
  function withdrawable(s) {
    const params = { code: s.code, available: i18n.number(s.available), held: i18n.number(s.held ?? 0), sold: i18n.number(s.sold ?? 0), count: s.available };
    return s.available > 0 ? t("capacity.only_now", params) : t("capacity.none_now", params);
  }

  const forms = new Map();
  function drawSections(l) {
    const names = Object.fromEntries(event.sections.map((s) => [s.code, s]));
    for (const s of l.stats.sections) {
      latest.set(s.code, s);
      let row = sectionsBody.querySelector(`tr[data-section="${CSS.escape(s.code)}"]`);
      if (!row) {
        row = h("tr", { dataset: { section: s.code } },
          h("th", { scope: "row" }, s.code, h("br"), h("span", { class: "muted" }, names[s.code]?.name || "")),
          ...["capacity", "sold", "held", "available"].map((k) => h("td", { class: "num", dataset: { col: k } })),
          h("td", {}, forms.get(s.code) || (forms.set(s.code, capacityForm(s)), forms.get(s.code))));
        sectionsBody.append(row);
      }
      for (const k of ["capacity", "sold", "held", "available"]) {
        const cell = row.querySelector(`[data-col="${k}"]`);
        cell.textContent = i18n.number(s[k]);
        cell.dataset.value = String(s[k]);
      }
    }
  }

  let seats, flow;
  function draw(l) {
    for (const [key, get] of METRICS) {
      const value = get(l);
      const dd = tiles.get(key);
      dd.textContent = shown(key, value, event.currency);
      dd.dataset.value = value == null ? "" : String(value);
    }
    drawSections(l);
    const at = Date.parse(l.at) / 1000;
    seats?.push(at, [sum(l.stats.sections, "sold"), sum(l.stats.sections, "held"), sum(l.stats.sections, "available")]);
    flow?.push(at, [l.stats.queue.waiting, l.stats.queue.admit_rate_per_min, l.orders_last_min]);
    updated.textContent = t("live.updated", { time: new Date(l.at).toLocaleTimeString(i18n.lang) });
    updated.dataset.at = l.at;
    if (l.status !== event.status || l.on_sale !== event.on_sale) {
      // Status moved elsewhere (another tab, the sale opening): re-read what depends on it.
      event = { ...event, status: l.status, on_sale: l.on_sale };
      drawStatus();
      api.get(`/events/${id}`).then((fresh) => { event = fresh; drawStatus(); }).catch(() => {});
    }
  }

  let timer = null;
  let stopped = false;
  async function tick(once = false) {
    const started = performance.now();
    try {
      draw(await api.get(`/events/${id}/live`));
      updated.classList.remove("stale");
    } catch (err) {
      updated.classList.add("stale");
      updated.textContent = t("live.stale");
      if (err instanceof ApiError && err.status === 401) return;
    }
    if (once || stopped) return;
    timer = setTimeout(tick, Math.max(0, POLL_MS - (performance.now() - started)));
  }

  drawStatus();
  const nodes = [
    ...page("live.title", { name: event.name }),
    h("p", { class: "lead" }, statusBox, " ", event.venue, " · ", i18n.dateTime(event.starts_at, event.timezone), " (", event.timezone, ")"),
    message,
    actions,
    h("section", { "aria-labelledby": "h-now" }, h("h2", { id: "h-now" }, t("live.now")), updated, tileList),
    h("section", { "aria-labelledby": "h-charts", class: "charts" }, h("h2", { id: "h-charts" }, t("live.charts")), chartSeats, chartFlow),
    h("section", { "aria-labelledby": "h-sections" }, h("h2", { id: "h-sections" }, t("live.sections")),
      h("p", { class: "hint" }, t("live.capacity_hint")),
      cards(h("table", { class: "list" },
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, t("live.section")),
          ...["capacity", "sold", "held", "available"].map((k) => h("th", { scope: "col", class: "num" }, t(`live.${k}`))),
          h("th", { scope: "col" }, t("live.change_capacity")))),
        sectionsBody))),
    fairBox,
    movesBox,
  ];
  // Charts need their figure in the document to measure a width.
  setTimeout(() => {
    if (stopped) return;
    seats = new LiveChart(chartSeats, { title: t("live.chart_seats"), yLabel: t("live.seats"), series: [
      { label: t("live.sold"), stroke: "#1d4ed8" },
      { label: t("live.held"), stroke: "#b45309", dash: [6, 3] },
      { label: t("live.available"), stroke: "#047857", dash: [2, 2] },
    ] });
    flow = new LiveChart(chartFlow, { title: t("live.chart_flow"), yLabel: t("live.count"), series: [
      { label: t("live.waiting"), stroke: "#7c3aed" },
      { label: t("live.admit_rate"), stroke: "#0f766e", dash: [6, 3] },
      { label: t("live.orders_per_min"), stroke: "#be123c", dash: [2, 2] },
    ] });
    draw(first);
    first = null;
    timer = setTimeout(tick, POLL_MS);
  }, 0);
  return {
    nodes,
    cleanup: () => {
      stopped = true;
      clearTimeout(timer);
      seats?.destroy();
      flow?.destroy();
    },
  };
}
