// Reserved seating for fans: the live seats snapshot, seats in words, and the seat picker
// (on the map, from lists of rows and seats, or best available) that asks for a hold.
import { ApiError, newKey } from "../../shared/api.js";
import { categoriesOf, rowsOf, seatMap } from "../../shared/seatmap.js";
import { announce, api, h, i18n, problemText, t } from "../core.js";
import { seatsInWords, seatWords } from "./seat_words.js";

export { seatLines, seatsInWords, seatWords } from "./seat_words.js";

export const SEATS_EVERY_MS = 2000;

/** The section's seats (public, cacheable); null when the section has no seat map. */
export async function loadSeats(eventId, code) {
  try {
    const body = await api.get(`/events/${eventId}/sections/${encodeURIComponent(code)}/seats`, { auth: false });
    return body?.seats?.length ? body : null;
  } catch (err) {
    if (err instanceof ApiError && [404, 409, 422].includes(err.status)) return null;
    throw err;
  }
}

/** Whether a section is seated (the event says so; an older server's, by its seats). */
export async function isSeated(eventId, section) {
  if (typeof section.seated === "boolean") return section.seated;
  return Boolean(await loadSeats(eventId, section.code).catch(() => null));
}

/**
 * Poll the seats snapshot like the room snapshot: every `everyMs`, paused while the page is
 * hidden and read at once when it shows again. onSeats(body) on each answer. -> {stop, now}.
 */
export function seatFeed(eventId, code, onSeats, everyMs = SEATS_EVERY_MS) {
  let timer = null;
  let stopped = false;
  const tick = async () => {
    clearTimeout(timer);
    if (stopped || document.hidden) return;
    try {
      const body = await loadSeats(eventId, code);
      if (body && !stopped) onSeats(body);
    } catch {
      // Keep the last map; the next tick tries again.
    }
    if (!stopped && !document.hidden) timer = setTimeout(tick, everyMs);
  };
  const visible = () => {
    if (!document.hidden) tick();
  };
  document.addEventListener("visibilitychange", visible);
  timer = setTimeout(tick, everyMs);
  return {
    now: tick,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", visible);
    },
  };
}

/** The price of a category: the snapshot's or section's category prices, else the section's. */
function pricer(body, section) {
  const list = body.categories || section.categories || [];
  const prices = new Map(list.map((c) => [c.category ?? c.name ?? c.code, c.price_cents]));
  return (category) => prices.get(category) ?? section.price_cents;
}

/**
 * The seat picker of a seated section. -> {el, stop, focus}. onHold(hold) once the hold exists;
 * onRefused(err) for refusals other than seats taken (expired admission, sold out).
 */
export function seatPicker({ event, section, seats: first, max, admissionToken, onHold, onRefused }) {
  const eventId = event.event_id;
  let body = first;
  let seats = first.seats;
  let byId = new Map(seats.map((s) => [s.seat_id, s]));
  let price = pricer(body, section);
  const picked = []; // seat ids, in the order picked
  let mode = "map";
  let key = newKey();
  const money = (cents) => i18n.money(cents, event.currency);

  const error = h("div", { role: "alert", id: "seat-error" });
  const status = h("p", { class: "muted", id: "seat-status", "aria-live": "polite" });

  // The legend: a swatch, the category and its price; then taken, picked, accessible.
  const legend = h("ul", { class: "legend", "aria-label": t("seats.legend") });
  const drawLegend = () => {
    const cats = categoriesOf(seats);
    legend.replaceChildren(
      ...cats.map((c, i) => h("li", {}, h("span", { class: `swatch cat-${i % 8}`, "aria-hidden": "true" }),
        h("span", {}, c, " · ", h("strong", {}, money(price(c)))))),
      h("li", {}, h("span", { class: "swatch taken", "aria-hidden": "true" }), t("seats.taken")),
      h("li", {}, h("span", { class: "swatch picked", "aria-hidden": "true" }), t("seats.yours")),
      seats.some((s) => s.accessible)
        ? h("li", {}, h("span", { class: "swatch square", "aria-hidden": "true" }), t("seats.accessible"))
        : null,
    );
  };

  const map = seatMap({
    seats,
    labels: { map: t("seats.map_label"), zoomIn: t("seats.zoom_in"), zoomOut: t("seats.zoom_out"), reset: t("seats.zoom_reset"), stage: t("seats.stage") },
    focal: first.focal_point,
    isPicked: (id) => picked.includes(id),
    onTap: (seat) => toggle(seat.seat_id),
  });

  // The chosen seats, each removable, the total and the way to hold them.
  const chosen = h("ul", { class: "list chosen", id: "chosen", "aria-label": t("seats.chosen") });
  const total = h("strong", { id: "seat-total" });
  const holdBtn = h("button", { class: "btn", type: "button", id: "hold-seats" });
  holdBtn.addEventListener("click", () => ask({ section: section.code, seats: [...picked] }, holdBtn));
  const drawChosen = () => {
    chosen.replaceChildren(...picked.map((id) => {
      const s = byId.get(id);
      const remove = h("button", { type: "button", class: "linkish", "aria-label": t("seats.remove_one", { seat: seatWords(s) }) }, t("seats.remove"));
      remove.addEventListener("click", () => toggle(id));
      return h("li", { class: "row chosen-seat", dataset: { seat: id } },
        h("span", {}, seatWords(s), h("br"), h("span", { class: "muted" }, s.category, " · ", money(price(s.category)))), remove);
    }));
    if (!picked.length) chosen.append(h("li", { class: "muted" }, t("seats.none_yet", { count: max })));
    total.textContent = money(picked.reduce((sum, id) => sum + price(byId.get(id).category), 0));
    holdBtn.textContent = t("seats.hold", { count: picked.length, n: i18n.number(picked.length) });
    holdBtn.disabled = !picked.length;
    map.refresh();
    drawList();
  };

  function toggle(id) {
    error.replaceChildren();
    const at = picked.indexOf(id);
    const seat = byId.get(id);
    if (at >= 0) {
      picked.splice(at, 1);
      announce(t("seats.removed", { seat: seatWords(seat) }));
    } else if (seat.status !== "free") {
      status.textContent = t("seats.not_free", { seat: seatWords(seat) });
      return;
    } else if (picked.length >= max) {
      status.textContent = t("seats.at_most", { count: max });
      announce(status.textContent);
      return;
    } else {
      picked.push(id);
      announce(t("seats.added", { seat: seatWords(seat), count: picked.length }));
    }
    status.textContent = "";
    drawChosen();
  }

  // The accessible alternative: a row, then a free seat in it, then "Add".
  const rowSelect = h("select", { id: "seat-row" });
  const seatSelect = h("select", { id: "seat-pick" });
  const addBtn = h("button", { type: "button", class: "btn secondary", id: "seat-add" }, t("seats.add"));
  let rowChoice = null;
  function drawList() {
    const rows = rowsOf(seats);
    rowChoice ??= rows.find((r) => r.seats.some((s) => s.status === "free"))?.row ?? rows[0]?.row;
    rowSelect.replaceChildren(...rows.map((r) => {
      const free = r.seats.filter((s) => s.status === "free" && !picked.includes(s.seat_id)).length;
      return h("option", { value: String(r.row), selected: String(r.row) === String(rowChoice) },
        t("seats.row_option", { row: r.row, count: free, n: i18n.number(free) }));
    }));
    const row = rows.find((r) => String(r.row) === String(rowChoice));
    const free = (row?.seats || []).filter((s) => s.status === "free" && !picked.includes(s.seat_id));
    const keep = seatSelect.value;
    seatSelect.replaceChildren(...free.map((s) => h("option", { value: s.seat_id, selected: s.seat_id === keep },
      t(s.accessible ? "seats.seat_option_accessible" : "seats.seat_option", { number: s.number, category: s.category, price: money(price(s.category)) }))));
    seatSelect.disabled = addBtn.disabled = !free.length;
    if (!free.length) seatSelect.append(h("option", { value: "" }, t("seats.row_full")));
  }
  rowSelect.addEventListener("change", () => {
    rowChoice = rowSelect.value;
    drawList();
  });
  addBtn.addEventListener("click", () => {
    if (seatSelect.value) toggle(seatSelect.value);
    seatSelect.focus();
  });

  // Best available: how many, accessible or not, which category.
  let quantity = Math.min(2, max);
  const qty = h("output", { id: "best-qty", "aria-live": "polite" });
  const minus = h("button", { type: "button", "aria-label": t("hold.fewer") }, "−");
  const plus = h("button", { type: "button", "aria-label": t("hold.more") }, "+");
  const accessible = h("input", { type: "checkbox", id: "best-accessible" });
  const catSelect = h("select", { id: "best-category" });
  const bestBtn = h("button", { class: "btn", type: "button", id: "best-submit" });
  const drawBest = () => {
    qty.textContent = String(quantity);
    minus.disabled = quantity <= 1;
    plus.disabled = quantity >= max;
    bestBtn.textContent = t("seats.best_submit", { count: quantity, n: i18n.number(quantity) });
  };
  minus.addEventListener("click", () => { quantity = Math.max(1, quantity - 1); drawBest(); });
  plus.addEventListener("click", () => { quantity = Math.min(max, quantity + 1); drawBest(); });
  const drawCategories = () => {
    const keep = catSelect.value;
    catSelect.replaceChildren(h("option", { value: "" }, t("seats.any_category")),
      ...categoriesOf(seats).map((c) => h("option", { value: c, selected: c === keep }, `${c} · ${money(price(c))}`)));
  };
  bestBtn.addEventListener("click", () => {
    const ask_ = { section: section.code, quantity, best_available: true };
    if (accessible.checked) ask_.accessible = true;
    if (catSelect.value) ask_.category = catSelect.value;
    ask(ask_, bestBtn);
  });

  async function ask(payload, button) {
    button.disabled = true;
    error.replaceChildren();
    try {
      const hold = await api.post(`/events/${eventId}/holds`, payload, {
        idempotent: key,
        headers: { "X-Admission-Token": admissionToken },
      });
      onHold(hold);
    } catch (err) {
      key = newKey(); // a refused ask is over; the next one is new
      button.disabled = false;
      if (err instanceof ApiError && err.code === "seats_taken") return taken(err);
      if (err instanceof ApiError && ["admission_expired"].includes(err.code)) return onRefused(err);
      error.replaceChildren(h("div", { class: "notice bad" }, problemText(err)));
      if (err instanceof ApiError && err.code === "sold_out") feed.now();
    }
  }

  /** seats_taken: say which seats in words, grey them now, drop them from the picks. */
  function taken(err) {
    const named = (err.problem?.seats || []).map((s) => (typeof s === "string" ? byId.get(s) || { seat_id: s, row: "?", number: s } : s));
    for (const s of named) {
      const mine = byId.get(s.seat_id);
      if (mine) mine.status = "held";
      const at = picked.indexOf(s.seat_id);
      if (at >= 0) picked.splice(at, 1);
    }
    map.update(seats);
    drawChosen();
    const text = named.length
      ? t("seats.taken_named", { count: named.length, seats: seatsInWords(named) })
      : problemText(err);
    error.replaceChildren(h("div", { class: "notice bad", id: "seats-taken" }, text));
    announce(text);
    feed.now();
  }

  const feed = seatFeed(eventId, section.code, (next) => {
    body = next;
    seats = next.seats;
    byId = new Map(seats.map((s) => [s.seat_id, s]));
    price = pricer(body, section);
    // A picked seat someone else took meanwhile leaves the picks, and the fan hears which.
    const lost = picked.filter((id) => byId.get(id)?.status !== "free");
    for (const id of lost) picked.splice(picked.indexOf(id), 1);
    map.update(seats);
    drawLegend();
    drawCategories();
    drawChosen();
    if (lost.length) {
      const text = t("seats.lost", { count: lost.length, seats: seatsInWords(lost.map((id) => byId.get(id) || { row: "?", number: id })) });
      status.textContent = text;
      announce(text);
    }
  });

  // The three ways, one at a time.
  const mapPanel = h("div", { class: "seat-panel", id: "panel-map" },
    legend, map.el, h("p", { class: "hint muted" }, t("seats.map_hint")));
  const listPanel = h("div", { class: "seat-panel", id: "panel-list", hidden: true },
    h("p", { class: "muted" }, t("seats.list_hint")),
    h("div", { class: "field" }, h("label", { for: "seat-row" }, t("seats.row")), rowSelect),
    h("div", { class: "field" }, h("label", { for: "seat-pick" }, t("seats.seat")), seatSelect),
    addBtn);
  const pickedBox = h("div", { class: "seat-chosen" },
    h("h3", {}, t("seats.chosen")), chosen,
    h("p", { class: "row" }, h("span", {}, t("hold.total")), total), holdBtn);
  const bestPanel = h("div", { class: "seat-panel", id: "panel-best", hidden: true },
    h("p", { class: "muted" }, t("seats.best_hint")),
    h("div", { class: "field" }, h("span", { id: "best-qty-label", class: "legend" }, h("strong", {}, t("hold.quantity"))),
      h("div", { class: "stepper", role: "group", "aria-labelledby": "best-qty-label" }, minus, qty, plus)),
    h("div", { class: "field" }, h("label", { for: "best-category" }, t("seats.category")), catSelect),
    h("label", { class: "choice", for: "best-accessible" }, accessible, h("span", {}, t("seats.best_accessible"))),
    bestBtn);
  const modes = h("fieldset", { class: "modes" }, h("legend", {}, t("seats.how")),
    ["map", "list", "best"].map((m) => h("label", { class: "mode" },
      h("input", { type: "radio", name: "seat-mode", value: m, checked: m === mode, onchange: () => setMode(m) }),
      h("span", {}, t(`seats.mode.${m}`)))));
  function setMode(m) {
    mode = m;
    mapPanel.hidden = m !== "map";
    listPanel.hidden = m !== "list";
    bestPanel.hidden = m !== "best";
    pickedBox.hidden = m === "best";
    error.replaceChildren();
    status.textContent = "";
  }

  drawLegend();
  drawCategories();
  drawBest();
  drawChosen();
  map.update(seats);
  const el = h("div", { class: "seat-picker", id: "seat-picker" }, modes, mapPanel, listPanel, bestPanel, status, error, pickedBox);
  return { el, stop: () => feed.stop() };
}
