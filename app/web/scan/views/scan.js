// The gate: read a code (camera or typed), answer big in green or red with the reason, a sound
// and a vibration; count who is in; show and run the sync of scans made offline.
import {
  ApiError, announce, api, clockTime, deviceId, h, i18n, link, notice, problemText, requireSignIn,
  screen, setupOf, t,
} from "../context.js";
import { Door, RESULTS } from "../door.js";
import { signal } from "../signal.js";

const SYNC_EVERY_MS = 20_000;
const REFRESH_EVERY_MS = 120_000;

function reasonText(v) {
  if (v.conflict) return t("result.conflict");
  if (v.result === "already_in") {
    return v.first?.gate
      ? t("result.already_in.at", { gate: v.first.gate, time: clockTime(v.first.at) })
      : t("result.already_in.body");
  }
  if (v.reason && t(`reason.${v.reason}`) !== `reason.${v.reason}`) {
    return t(`reason.${v.reason}`, { section: v.section || "" });
  }
  return t(`result.${v.result}.body`);
}

let scans = 0; // each answer gets its own number (data-scan): two equal answers in a row still differ

function resultPanel(v) {
  const known = RESULTS.includes(v.result);
  const ok = v.result === "admitted" || v.result === "exited";
  const title = known ? t(`result.${v.result}.title`) : t("result.other.title");
  const about = v.section
    ? t("result.ticket", { section: v.section, seq: v.seq ?? "" })
    : null;
  return h("div", {
    id: "result", class: `result ${ok ? "yes" : "no"}`,
    dataset: {
      result: v.result, offline: v.offline ? "1" : "0", scan: String(++scans),
      ...(v.reason ? { reason: v.reason } : {}),
    },
  },
  h("p", { class: "verdict" }, h("span", { "aria-hidden": "true" }, ok ? "✓ " : "✕ "), title),
  h("p", { class: "reason" }, ok ? t(`result.${v.result}.body`) : reasonText(v)),
  // The name on the ticket, for the door to compare with the person (online scans only);
  // a ticket without its required name is admitted all the same: the staff decide.
  v.attendee_name ? h("p", { class: "attendee", id: "result-name" }, t("result.name", { name: v.attendee_name })) : null,
  v.name_missing ? h("p", { class: "attendee missing", id: "result-name" }, t("result.name_missing")) : null,
  about ? h("p", { class: "about" }, about) : null,
  v.offline ? h("p", { class: "about" }, t("result.checked_here")) : null);
}

export default async function scanPage(main, { params: [eventId] }) {
  if (!requireSignIn()) return;
  const setup = setupOf(eventId);
  if (!setup) {
    screen(main, t("scan.title"), notice("warn", t("scan.no_setup")), link(`/events/${eventId}`, t("scan.setup")));
    return;
  }
  const door = new Door({ api, eventId, listId: setup.list_id, gate: setup.gate, device: deviceId() });
  const had = await door.load();
  if (!had) {
    try {
      await door.download();
    } catch (err) {
      screen(main, t("scan.title"), notice("bad", problemText(err)), link(`/events/${eventId}`, t("scan.setup")));
      return;
    }
  }
  let stopCamera = null;
  let stopped = false;

  const result = h("div", { id: "result", class: "result idle" }, h("p", { class: "verdict" }, t("scan.ready")));
  const resultSlot = h("div", { class: "result-slot", role: "status", "aria-live": "assertive" }, result);
  const counts = h("p", { id: "counts", class: "counts" });
  const syncState = h("p", { id: "sync", class: "sync" });
  const syncButton = h("button", { type: "button", class: "btn secondary small", id: "sync-now" }, t("sync.now"));
  const video = h("video", { id: "camera", class: "camera", hidden: true, "aria-label": t("camera.label") });
  const cameraButton = h("button", { type: "button", class: "btn secondary", id: "camera-toggle" }, t("camera.start"));
  const cameraProblem = h("p", { class: "error", hidden: true });
  const input = h("input", {
    id: "f-code", name: "code", autocomplete: "off", autocapitalize: "off", spellcheck: "false",
    "aria-describedby": "f-code-hint",
  });
  const reentry = Boolean(door.list?.reentry);
  const direction = reentry
    ? h("fieldset", { class: "direction" }, h("legend", {}, t("scan.direction")),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "dir", value: "in", checked: true }), h("span", {}, t("scan.in"))),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "dir", value: "out" }), h("span", {}, t("scan.out"))))
    : null;
  const manual = h("form", { class: "manual", novalidate: true },
    h("div", { class: "field" }, h("label", { for: "f-code" }, t("scan.code")),
      h("p", { class: "hint", id: "f-code-hint" }, t("scan.code_hint")), input),
    h("button", { type: "submit", class: "btn" }, t("scan.check")));

  async function updateCounts() {
    const { admitted, expected } = door.counts();
    counts.replaceChildren(
      h("span", { class: "n" }, i18n.number(admitted)), " / ", i18n.number(expected), " ",
      h("span", { class: "muted" }, t("scan.admitted", { count: admitted })));
  }

  async function updateSync(extra) {
    const pending = (await door.pending()).length;
    const online = navigator.onLine;
    syncState.dataset.pending = String(pending);
    syncState.dataset.online = online ? "1" : "0";
    const parts = [
      online ? t("sync.online") : t("sync.offline"),
      t("sync.pending", { count: pending }),
      door.lastSync ? t("sync.last", { time: clockTime(door.lastSync) }) : t("sync.never"),
    ];
    if (door.conflicts) parts.push(t("sync.conflicts", { count: door.conflicts }));
    syncState.replaceChildren(h("span", { class: `dot ${online ? "on" : "off"}`, "aria-hidden": "true" }),
      parts.join(" · "), extra ? ` · ${extra}` : "");
    syncButton.disabled = !online;
  }

  async function runSync() {
    if (!navigator.onLine) return updateSync();
    try {
      syncState.setAttribute("aria-busy", "true");
      const { uploaded } = await door.sync();
      if (uploaded) announce(t("sync.done", { count: uploaded }));
      await updateSync();
    } catch (err) {
      await updateSync(err instanceof ApiError && err.status === 0 ? t("sync.failed") : problemText(err));
    } finally {
      syncState.removeAttribute("aria-busy");
      updateCounts();
    }
  }

  let busy = Promise.resolve();
  function handle(code) {
    // One scan at a time, in the order they came: the answers must match the people.
    busy = busy.then(async () => {
      if (stopped || !code.trim()) return;
      const dir = main.querySelector("input[name=dir]:checked")?.value || "in";
      let verdict = null;
      try {
        verdict = await door.scan(code, { direction: dir });
      } catch (err) {
        resultSlot.replaceChildren(h("div", { id: "result", class: "result no", dataset: { result: "error", scan: String(++scans) } },
          h("p", { class: "verdict" }, t("result.other.title")), h("p", { class: "reason" }, problemText(err))));
        signal(false);
        return;
      }
      resultSlot.replaceChildren(resultPanel(verdict));
      signal(verdict.result === "admitted" || verdict.result === "exited");
      await updateCounts();
      await updateSync();
    });
    return busy;
  }

  manual.addEventListener("submit", async (e) => {
    e.preventDefault();
    const code = input.value;
    input.value = "";
    await handle(code);
    input.focus();
  });

  cameraButton.addEventListener("click", async () => {
    if (stopCamera) {
      stopCamera();
      stopCamera = null;
      video.hidden = true;
      cameraButton.textContent = t("camera.start");
      return;
    }
    cameraProblem.hidden = true;
    try {
      const { startCamera } = await import("../camera.js");
      video.hidden = false;
      stopCamera = await startCamera(video, (code) => handle(code));
      cameraButton.textContent = t("camera.stop");
    } catch (err) {
      video.hidden = true;
      cameraProblem.textContent = t("camera.unavailable");
      cameraProblem.hidden = false;
    }
  });
  syncButton.addEventListener("click", runSync);

  const online = () => runSync();
  const offline = () => updateSync();
  addEventListener("online", online);
  addEventListener("offline", offline);
  // Queued scans go up within SYNC_EVERY_MS; with nothing queued the data (voided tickets,
  // other gates' entries) is fetched again every REFRESH_EVERY_MS, not on every tick.
  const timer = setInterval(async () => {
    if (!navigator.onLine) return;
    const stale = !door.lastSync || Date.now() - new Date(door.lastSync).getTime() > REFRESH_EVERY_MS;
    if (stale || (await door.pending()).length) runSync();
  }, SYNC_EVERY_MS);

  screen(main, door.data.event.name,
    h("p", { class: "where muted" }, t("scan.where", {
      list: setup.list_default ? t("setup.default_list") : door.list?.name || setup.list_name || "",
      gate: setup.gate,
    }),
      " ", link(`/events/${eventId}`, t("scan.change"))),
    resultSlot, direction, cameraButton, cameraProblem, video,
    counts, h("div", { class: "sync-row" }, syncState, syncButton), manual);
  await updateCounts();
  await updateSync();
  if (had) runSync();
  return () => {
    stopped = true;
    stopCamera?.();
    clearInterval(timer);
    removeEventListener("online", online);
    removeEventListener("offline", offline);
  };
}
