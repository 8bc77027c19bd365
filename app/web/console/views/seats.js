// Seat maps of one event: per section, upload a seating plan (pretix JSON or CSV) with a preview
// and its counts before saving, block and unblock seats (on the map or a whole row), and the
// live map of free, held, sold and blocked seats during the sale, refreshed every 2 s.
import { ApiError } from "../../shared/api.js";
import { categoriesOf, rowsOf, seatMap } from "../../shared/seatmap.js";
import { announce, api, i18n, link, page, problemText, t } from "../core.js";
import { h, saveBlob } from "../dom.js";
import { readPlan } from "../parts/seatplan.js";

const POLL_MS = 2000;
const STATUSES = ["free", "held", "sold", "blocked"];

const seatsPath = (id, code) => `/events/${id}/sections/${encodeURIComponent(code)}/seats`;

async function loadSeats(id, code) {
  try {
    const body = await api.get(seatsPath(id, code), { auth: false });
    return body?.seats?.length ? body : null;
  } catch (err) {
    if (err instanceof ApiError && [404, 409, 422].includes(err.status)) return null;
    throw err;
  }
}

const mapLabels = () => ({
  map: t("seats.map_label"), zoomIn: t("seats.zoom_in"), zoomOut: t("seats.zoom_out"), reset: t("seats.zoom_reset"),
  stage: t("seats.stage"),
});

function counts(seats) {
  const n = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const s of seats) n[s.status] = (n[s.status] || 0) + 1;
  return n;
}

/** The legend of the live map: one swatch per status with its count. */
function statusLegend(seats) {
  const n = counts(seats);
  return h("ul", { class: "seat-legend", "aria-label": t("seats.legend") },
    STATUSES.map((s) => h("li", { dataset: { status: s } },
      h("span", { class: `swatch st-${s}`, "aria-hidden": "true" }),
      t(`seats.status_${s}`), " ", h("strong", { dataset: { count: s } }, i18n.number(n[s])))));
}

/** One section's card: its live map and tools when seated, the upload either way. */
function sectionCard(event, section, { onSaved }) {
  const id = event.event_id;
  const code = section.code;
  const box = h("section", { class: "seat-section", dataset: { section: code }, "aria-labelledby": `sec-${code}` });
  const head = h("h2", { id: `sec-${code}` }, t("seats.section", { name: section.name, code }));
  const summary = h("p", { class: "lead", dataset: { testid: "seat-summary" } });
  const legendBox = h("div");
  const mapBox = h("div", { class: "seat-live" });
  const tools = h("div", { class: "seat-tools" });
  const message = h("div", { role: "status", class: "seat-message" });
  let seats = [];
  let map = null;
  const selected = new Set();

  // Block and unblock: tap seats on the map, or take a whole row; then act on the selection.
  const rowSelect = h("select", { id: `row-${code}` });
  const selectRow = h("button", { type: "button", class: "secondary" }, t("seats.select_row"));
  const clear = h("button", { type: "button", class: "secondary" }, t("seats.clear"));
  const block = h("button", { type: "button", class: "warning", dataset: { testid: "block" } });
  const unblock = h("button", { type: "button", class: "secondary", dataset: { testid: "unblock" } });
  const selection = h("p", { class: "muted", "aria-live": "polite", dataset: { testid: "selection" } });

  function drawSelection() {
    const list = seats.filter((s) => selected.has(s.seat_id));
    const toBlock = list.filter((s) => s.status === "free").length;
    const toUnblock = list.filter((s) => s.status === "blocked").length;
    selection.textContent = list.length
      ? t("seats.selected", { count: list.length, n: i18n.number(list.length) })
      : t("seats.select_hint");
    block.textContent = toBlock ? t("seats.block", { count: toBlock, n: i18n.number(toBlock) }) : t("seats.block_any");
    unblock.textContent = toUnblock ? t("seats.unblock", { count: toUnblock, n: i18n.number(toUnblock) }) : t("seats.unblock_any");
    block.disabled = !toBlock;
    unblock.disabled = !toUnblock;
    clear.disabled = !list.length;
    map?.refresh();
  }

  function drawLive(body) {
    seats = body.seats;
    const n = counts(seats);
    summary.textContent = t("seats.summary", {
      count: seats.length, n: i18n.number(seats.length),
      categories: categoriesOf(seats).join(", "),
    });
    legendBox.replaceChildren(statusLegend(seats));
    if (!map) {
      map = seatMap({
        seats, labels: mapLabels(), focal: body.focal_point,
        isPicked: (sid) => selected.has(sid),
        onTap: (seat) => {
          if (selected.has(seat.seat_id)) selected.delete(seat.seat_id);
          else selected.add(seat.seat_id);
          drawSelection();
        },
      });
      mapBox.replaceChildren(map.el);
    } else {
      map.update(seats);
    }
    const keep = rowSelect.value;
    rowSelect.replaceChildren(...rowsOf(seats).map((r) => h("option", { value: String(r.row), selected: String(r.row) === keep },
      t("seats.row_option", { row: r.row, count: r.seats.length, n: i18n.number(r.seats.length) }))));
    for (const sid of [...selected]) if (!seats.some((s) => s.seat_id === sid)) selected.delete(sid);
    drawSelection();
    box.dataset.free = String(n.free);
    box.dataset.held = String(n.held);
    box.dataset.sold = String(n.sold);
    box.dataset.blocked = String(n.blocked);
  }

  selectRow.addEventListener("click", () => {
    const row = rowsOf(seats).find((r) => String(r.row) === rowSelect.value);
    for (const s of row?.seats || []) selected.add(s.seat_id);
    drawSelection();
  });
  clear.addEventListener("click", () => {
    selected.clear();
    drawSelection();
  });
  async function act(blocked) {
    const ids = seats.filter((s) => selected.has(s.seat_id) && s.status === (blocked ? "free" : "blocked")).map((s) => s.seat_id);
    if (!ids.length) return;
    block.disabled = unblock.disabled = true;
    try {
      await api.post(`${seatsPath(id, code)}/${blocked ? "block" : "unblock"}`, { seats: ids }, { idempotent: true });
      selected.clear();
      const text = t(blocked ? "seats.did_block" : "seats.did_unblock", { count: ids.length, n: i18n.number(ids.length) });
      message.replaceChildren(h("p", { class: "ok" }, text));
      announce(text);
      await refresh();
    } catch (err) {
      message.replaceChildren(h("p", { class: "error" }, problemText(err)));
      drawSelection();
    }
  }
  block.addEventListener("click", () => act(true));
  unblock.addEventListener("click", () => act(false));

  // Upload: read the file here, show its map and counts, send it only on "Save".
  const file = h("input", { type: "file", id: `plan-${code}`, accept: ".json,.csv,application/json,text/csv" });
  const preview = h("div", { class: "seat-preview", dataset: { testid: "preview" } });
  const uploadError = h("p", { class: "error", role: "alert", hidden: true });
  file.addEventListener("change", async () => {
    uploadError.hidden = true;
    preview.replaceChildren();
    const f = file.files?.[0];
    if (!f) return;
    let plan;
    try {
      plan = readPlan(await f.text(), f.name, code);
    } catch (err) {
      uploadError.textContent = t(`seats.bad_file.${String(err.message).split(":")[0]}`, { column: String(err.message).split(":")[1] || "" });
      if (uploadError.textContent.startsWith("seats.bad_file.")) uploadError.textContent = t("seats.bad_file.json");
      uploadError.hidden = false;
      return;
    }
    const rows = rowsOf(plan.seats).length;
    const accessible = plan.seats.filter((s) => s.accessible).length;
    const save = h("button", { type: "button", class: "primary", dataset: { testid: "save-plan" } }, t("seats.save"));
    const cancel = h("button", { type: "button", class: "secondary" }, t("seats.cancel"));
    const pmap = seatMap({ seats: plan.seats, labels: { ...mapLabels(), map: t("seats.preview_label") } });
    preview.replaceChildren(
      h("h3", {}, t("seats.preview", { file: f.name })),
      h("dl", { class: "pairs" },
        h("dt", {}, t("seats.count_seats")), h("dd", { dataset: { testid: "preview-seats" } }, i18n.number(plan.seats.length)),
        h("dt", {}, t("seats.count_rows")), h("dd", {}, i18n.number(rows)),
        h("dt", {}, t("seats.count_categories")), h("dd", { dataset: { testid: "preview-categories" } },
          `${i18n.number(plan.categories.length)}: ${plan.categories.join(", ")}`),
        h("dt", {}, t("seats.count_accessible")), h("dd", {}, i18n.number(accessible))),
      h("ul", { class: "seat-legend", "aria-label": t("seats.count_categories") },
        plan.categories.map((c, i) => h("li", {}, h("span", { class: `swatch cat-${i % 8}`, "aria-hidden": "true" }), c,
          plan.prices?.[c] != null ? [" · ", h("strong", {}, i18n.money(plan.prices[c], event.currency))] : null))),
      pmap.el,
      h("p", { class: "hint" }, t(section.seated || seats.length ? "seats.replace_hint" : "seats.save_hint")),
      h("div", { class: "actions wrap" }, save, cancel));
    cancel.addEventListener("click", () => {
      preview.replaceChildren();
      file.value = "";
    });
    save.addEventListener("click", async () => {
      save.disabled = true;
      try {
        const out = await api.put(`/events/${id}/sections/${encodeURIComponent(code)}/seatmap`, plan.text, { contentType: plan.contentType });
        const text = t("seats.saved", { count: out.seats, n: i18n.number(out.seats), categories: (out.categories || []).map((c) => c.name ?? c.category ?? c).join(", ") });
        preview.replaceChildren();
        file.value = "";
        message.replaceChildren(h("p", { class: "ok" }, text));
        announce(text);
        seated = true;
        await refresh();
        onSaved?.();
      } catch (err) {
        save.disabled = false;
        uploadError.textContent = problemText(err);
        uploadError.hidden = false;
      }
    });
    announce(t("seats.preview_ready", { count: plan.seats.length, n: i18n.number(plan.seats.length) }));
  });
  const upload = h("div", { class: "field upload" },
    h("label", { for: `plan-${code}` }, t("seats.upload")),
    h("p", { class: "hint" }, t("seats.upload_hint")), uploadError, file);

  let seated = section.seated !== false; // GA sections have no seats to read until a plan
  async function refresh() {
    const body = seated ? await loadSeats(id, code).catch(() => null) : null;
    if (body) {
      drawLive(body);
      tools.hidden = false;
    } else {
      summary.textContent = t("seats.not_seated");
      tools.hidden = true;
    }
    return body;
  }

  // The map back out, as imported with today's prices and blocks (pretix JSON or CSV).
  const download = async (format, type) => {
    try {
      const body = await api.get(`/events/${id}/sections/${encodeURIComponent(code)}/seatmap?format=${format}`);
      const text = typeof body === "string" ? body : JSON.stringify(body, null, 2);
      saveBlob(new Blob([text], { type }), `seatmap-${code}.${format === "csv" ? "csv" : "json"}`);
    } catch (err) {
      message.replaceChildren(h("p", { class: "error" }, problemText(err)));
    }
  };
  tools.append(
    h("div", { class: "actions wrap" },
      h("button", { type: "button", class: "secondary", onclick: () => download("json", "application/json") }, t("seats.export_json")),
      h("button", { type: "button", class: "secondary", onclick: () => download("csv", "text/csv") }, t("seats.export_csv"))),
    h("h3", {}, t("seats.block_title")),
    selection,
    h("div", { class: "field" }, h("label", { for: `row-${code}` }, t("seats.row")), rowSelect),
    h("div", { class: "actions wrap" }, selectRow, clear),
    h("div", { class: "actions wrap" }, block, unblock));
  box.append(head, summary, message, legendBox, mapBox, tools, upload, preview);
  return { el: box, refresh, seated: () => seats.length > 0 };
}

export default async function seatsPage({ params }) {
  const id = params[0];
  const event = await api.get(`/events/${id}`);
  const cards = event.sections.map((s) => sectionCard(event, s, {}));
  await Promise.all(cards.map((c) => c.refresh()));
  const updated = h("p", { class: "muted", dataset: { testid: "seats-updated" } });
  let timer = null;
  let stopped = false;
  async function tick() {
    clearTimeout(timer);
    if (stopped || document.hidden) return;
    await Promise.all(cards.filter((c) => c.seated()).map((c) => c.refresh()));
    updated.textContent = t("seats.updated", { time: i18n.dateTime(new Date().toISOString(), undefined, { timeStyle: "medium" }) });
    if (!stopped && !document.hidden) timer = setTimeout(tick, POLL_MS);
  }
  const visible = () => !document.hidden && tick();
  document.addEventListener("visibilitychange", visible);
  timer = setTimeout(tick, POLL_MS);
  return {
    nodes: page("seats.title", { name: event.name },
      h("p", {}, link(`/events/${id}`, t("seats.back"))),
      h("p", { class: "lead" }, t("seats.intro")),
      updated,
      cards.map((c) => c.el)),
    cleanup: () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", visible);
    },
  };
}
