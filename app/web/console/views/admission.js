// Closed-loop admission of one event: the targets the organizer sets, and what the controller does
// about them (mode, the batch admitted now against the configured one, the last step's reason,
// each signal against its target), refreshed every 2 s like the controller's own step.
import { ApiError } from "../../shared/api.js";
import { announce, api, i18n, link, page, t } from "../core.js";
import { field, h } from "../dom.js";
import { form } from "../parts/forms.js";

const POLL_MS = 2000;
// signal -> [target field, "max" when the signal must stay at or below it, else "min"]
const SIGNALS = [
  ["hold_p99_ms", "hold_p99_ms", "max"],
  ["hold_success", "hold_success_min", "min"],
  ["payment_error_rate", "payment_error_max", "max"],
  ["shoppers", "max_shoppers", "max"],
];
const PERCENT = new Set(["hold_success", "payment_error_rate", "hold_success_min", "payment_error_max"]);

function shown(name, value) {
  if (value === null || value === undefined) return t("admission.no_samples");
  if (PERCENT.has(name)) return new Intl.NumberFormat(i18n.lang, { style: "percent", maximumFractionDigits: 1 }).format(value);
  if (name.includes("_ms")) return t("admission.ms", { n: i18n.number(Math.round(value)) });
  return i18n.number(value);
}

/** The controller's last reason ("decrease: hold_p99,shoppers", "increase", …) in words. */
function reasonText(reason) {
  if (!reason) return t("admission.reason_none");
  if (reason.startsWith("decrease:")) {
    const missed = reason.slice("decrease:".length).split(",").map((s) => s.trim()).filter(Boolean);
    return t("admission.reason_decrease", { missed: missed.map((m) => t(`admission.missed_${m}`)).join(", ") });
  }
  if (reason === "increase") return t("admission.reason_increase");
  if (reason === "at ceiling") return t("admission.reason_ceiling");
  if (reason.startsWith("fixed")) return t("admission.reason_fixed");
  return reason;
}

export default async function admission({ params }) {
  const id = params[0];
  const event = await api.get(`/events/${id}`);
  let state = await api.get(`/events/${id}/admission`);

  const modeBox = h("p", { class: "lead", dataset: { testid: "admission-mode" } });
  const figures = h("dl", { class: "pairs" });
  const signalBody = h("ul", { class: "cardlist" });
  const updated = h("p", { class: "muted", dataset: { testid: "admission-updated" } });

  // Growing with no samples behind any target is not "every target met": say what is true.
  const unseen = () => state.mode === "closed_loop" && ["increase", "at ceiling"].includes(state.reason)
    && SIGNALS.every(([signal, target]) => state.targets[target] == null || state.signals[signal] == null);

  function draw() {
    const closed = state.mode === "closed_loop";
    modeBox.replaceChildren(
      h("span", { class: `tag tag-${state.mode}` }, t(`admission.mode_${state.mode}`)), " ",
      t(closed ? "admission.closed_intro" : "admission.fixed_intro"));
    figures.replaceChildren(
      h("dt", {}, t("admission.batch")), h("dd", { dataset: { testid: "admission-batch", value: String(state.batch) } },
        t("admission.batch_of", { batch: i18n.number(state.batch), configured: i18n.number(state.configured_batch), s: i18n.number(state.admit_interval_s) })),
      h("dt", {}, t("admission.reason")), h("dd", { dataset: { testid: "admission-reason" } }, unseen() ? t("admission.reason_no_samples") : reasonText(state.reason)));
    signalBody.replaceChildren(...SIGNALS.map(([signal, target, way]) => {
      const value = state.signals[signal];
      const goal = state.targets[target];
      const met = goal === undefined || goal === null || value === null || value === undefined
        ? null
        : way === "max" ? value <= goal : value >= goal;
      return h("li", { dataset: { signal } },
        h("h3", {}, t(`admission.signal_${signal}`)),
        h("p", {}, h("strong", {}, shown(signal, value))),
        h("p", { class: "muted" }, goal === undefined || goal === null
          ? t("admission.no_target")
          : t(way === "max" ? "admission.target_max" : "admission.target_min", { target: shown(target, goal) })),
        met === null ? null : h("p", { class: met ? "signal-ok" : "signal-missed" }, t(met ? "admission.met" : "admission.missed")));
    }));
    updated.textContent = state.updated_at
      ? t("admission.updated", { time: new Date(state.updated_at).toLocaleTimeString(i18n.lang) })
      : t("admission.not_stepped");
  }

  const pct = (v) => (v === undefined || v === null ? "" : String(Math.round(v * 1000) / 10));
  const targets = state.targets;
  const f = form([
    field({ label: t("admission.t_hold_p99_ms"), name: "hold_p99_ms", type: "number", value: targets.hold_p99_ms ?? "", hint: t("admission.t_hold_p99_ms_hint"), attrs: { min: 1, step: "any", inputmode: "decimal", class: "short" } }),
    field({ label: t("admission.t_hold_success_min"), name: "hold_success_min", type: "number", value: pct(targets.hold_success_min), hint: t("admission.t_percent_hint"), attrs: { min: 0, max: 100, step: "any", inputmode: "decimal", class: "short" } }),
    field({ label: t("admission.t_payment_error_max"), name: "payment_error_max", type: "number", value: pct(targets.payment_error_max), hint: t("admission.t_percent_hint"), attrs: { min: 0, max: 100, step: "any", inputmode: "decimal", class: "short" } }),
    field({ label: t("admission.t_max_shoppers"), name: "max_shoppers", type: "number", value: targets.max_shoppers ?? "", hint: t("admission.t_max_shoppers_hint"), attrs: { min: 1, step: 1, inputmode: "numeric", class: "short" } }),
  ], async (el) => {
    const body = {};
    const errors = [];
    for (const name of ["hold_p99_ms", "hold_success_min", "payment_error_max", "max_shoppers"]) {
      const raw = el.elements[name].value.trim();
      if (raw === "") continue;
      const n = Number(raw);
      if (!Number.isFinite(n) || (PERCENT.has(name) && (n < 0 || n > 100)) || (!PERCENT.has(name) && n <= 0)
        || (name === "max_shoppers" && !Number.isInteger(n))) {
        errors.push({ field: name, message: t(PERCENT.has(name) ? "admission.bad_percent" : "admission.bad_number") });
        continue;
      }
      body[name] = PERCENT.has(name) ? n / 100 : n;
    }
    if (errors.length) throw new ApiError({ errors }, 422, null);
    state = await api.request(`/events/${id}/admission/targets`, { method: "PUT", body });
    draw();
    announce(t(Object.keys(body).length ? "admission.saved" : "admission.cleared"));
  }, "admission.save");

  let timer = null;
  let stopped = false;
  async function tick() {
    try {
      state = await api.get(`/events/${id}/admission`);
      draw();
      updated.classList.remove("stale");
    } catch {
      updated.classList.add("stale");
    }
    if (!stopped) timer = setTimeout(tick, POLL_MS);
  }
  draw();
  timer = setTimeout(tick, POLL_MS);
  return {
    nodes: page("admission.title", { name: event.name },
      h("p", {}, link(`/events/${id}`, t("audit.back_event", { name: event.name }))),
      h("section", { "aria-labelledby": "h-ctl" }, h("h2", { id: "h-ctl" }, t("admission.now")), modeBox, updated, figures,
        h("h3", {}, t("admission.signals")), signalBody),
      h("section", { "aria-labelledby": "h-targets" }, h("h2", { id: "h-targets" }, t("admission.targets")),
        h("p", { class: "hint" }, t("admission.targets_intro")), f)),
    cleanup: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
