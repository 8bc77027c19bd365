// A section's seats as an SVG map drawn from their x/y, with pinch zoom, drag to pan, wheel
// and buttons to zoom, and tap to pick. Used by the fan app (picking) and the console
// (preview, blocking, the live map); it knows no app and no catalog: words come in `labels`.
//
// Seats are circles coloured by category (classes cat-0 … cat-7), accessible seats are
// squares, taken seats (held, sold, blocked) are grey, picked ones carry a ring. Touch, pen
// and mouse all arrive as pointer events: one pointer pans (or taps, when it barely moved),
// two pinch. The map is an image to assistive technology; the apps offer a list beside it.
import { h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const TAP_SLOP_PX = 8;
const MAX_ZOOM = 8;

function el(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null && v !== false) node.setAttribute(k, v);
  for (const c of children) if (c != null) node.append(c);
  return node;
}

/** Categories in first-seen order, so the colours and the legend agree everywhere. */
export function categoriesOf(seats) {
  const out = [];
  for (const s of seats) if (s.category != null && !out.includes(s.category)) out.push(s.category);
  return out;
}

/** Rows in plan order (front to back as drawn), each with its seats left to right. */
export function rowsOf(seats) {
  const rows = new Map();
  for (const s of seats) {
    if (!rows.has(s.row)) rows.set(s.row, []);
    rows.get(s.row).push(s);
  }
  const list = [...rows].map(([row, list]) => ({
    row,
    seats: list.sort((a, b) => a.x - b.x || String(a.number).localeCompare(String(b.number), undefined, { numeric: true })),
    y: list.reduce((sum, s) => sum + s.y, 0) / list.length,
  }));
  return list.sort((a, b) => a.y - b.y || String(a.row).localeCompare(String(b.row), undefined, { numeric: true }));
}

/** The seat's radius: a little under half the usual gap between neighbours in a row. */
function radiusFor(rows) {
  const gaps = [];
  for (const { seats } of rows) {
    for (let i = 1; i < seats.length; i++) {
      const d = Math.hypot(seats[i].x - seats[i - 1].x, seats[i].y - seats[i - 1].y);
      if (d > 0) gaps.push(d);
    }
  }
  if (!gaps.length) return 10;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] * 0.42;
}

/**
 * seatMap({seats, labels, onTap, isPicked, focal}) -> {el, update(seats), refresh(), reset()}.
 * labels: {map, zoomIn, zoomOut, reset, stage?}; onTap(seat) when a seat is tapped (no drag);
 * isPicked(seat_id) -> bool draws the ring; focal {x, y}: where the stage is (labelled when
 * it lies outside the seats, so fans see which way they face).
 */
export function seatMap({ seats, labels, onTap = () => {}, isPicked = () => false, focal = null }) {
  const svg = el("svg", { class: "seatmap-svg", role: "img", "aria-label": labels.map, preserveAspectRatio: "xMidYMid meet" });
  const wrap = h("div", { class: "seatmap" });
  const zoomIn = h("button", { type: "button", class: "zoom", "aria-label": labels.zoomIn, title: labels.zoomIn }, "+");
  const zoomOut = h("button", { type: "button", class: "zoom", "aria-label": labels.zoomOut, title: labels.zoomOut }, "−");
  const reset = h("button", { type: "button", class: "zoom", "aria-label": labels.reset, title: labels.reset }, "⤢");
  wrap.append(svg, h("div", { class: "zoom-bar" }, zoomIn, zoomOut, reset));

  let byId = new Map();
  let base = { x: 0, y: 0, w: 100, h: 100 };
  let view = { ...base };
  let shape = ""; // the seat ids drawn, to know when to redraw rather than recolour

  function draw(list) {
    const rows = rowsOf(list);
    const r = radiusFor(rows);
    const cats = categoriesOf(list);
    const xs = list.map((s) => s.x);
    const ys = list.map((s) => s.y);
    let minX = Math.min(...xs) - r * 5; // room for the row labels
    let minY = Math.min(...ys) - r * 2;
    let maxX = Math.max(...xs) + r * 2;
    let maxY = Math.max(...ys) + r * 2;
    // The stage: a band in front of the seats when the focal point is at or beyond their
    // front or back edge (front of house), centred on it.
    let stage = null;
    if (focal && labels.stage && Number.isFinite(focal.x) && Number.isFinite(focal.y)) {
      const top = Math.min(...ys);
      const bottom = Math.max(...ys);
      if (focal.y <= top || focal.y >= bottom) {
        const w = Math.min(Math.max(...xs) - Math.min(...xs) + r * 2, r * 24);
        const hh = r * 2.6;
        const y = focal.y <= top ? top - r * 2.2 - hh : bottom + r * 2.2;
        stage = { x: focal.x - w / 2, y, w, h: hh };
        minY = Math.min(minY, y - r);
        maxY = Math.max(maxY, y + hh + r);
        minX = Math.min(minX, stage.x - r);
        maxX = Math.max(maxX, stage.x + w + r);
      }
    }
    base = { x: minX, y: minY, w: Math.max(maxX - minX, r * 4), h: Math.max(maxY - minY, r * 4) };
    view = { ...base };
    svg.style.aspectRatio = `${base.w} / ${base.h}`;
    byId = new Map();
    const g = el("g");
    if (stage) {
      g.append(el("rect", { x: stage.x, y: stage.y, width: stage.w, height: stage.h, rx: r * 0.6, class: "stage" }),
        el("text", { x: stage.x + stage.w / 2, y: stage.y + stage.h / 2, class: "stage-label", "font-size": r * 1.3, "text-anchor": "middle", "dominant-baseline": "central" }, labels.stage));
    }
    for (const row of rows) {
      const first = row.seats[0];
      g.append(el("text", { x: first.x - r * 1.8, y: row.y, class: "row-label", "font-size": r * 1.3, "text-anchor": "end", "dominant-baseline": "central" }, String(row.row)));
    }
    for (const s of list) {
      const cat = `cat-${Math.max(0, cats.indexOf(s.category)) % 8}`;
      const node = s.accessible
        ? el("rect", { x: s.x - r, y: s.y - r, width: r * 2, height: r * 2, rx: r * 0.3 })
        : el("circle", { cx: s.x, cy: s.y, r });
      node.dataset.seat = s.seat_id;
      node.setAttribute("class", `seat ${cat}`);
      byId.set(s.seat_id, { node, seat: s });
      g.append(node);
    }
    svg.replaceChildren(g);
    shape = list.map((s) => s.seat_id).join("|");
    apply();
  }

  /** Statuses (and picks) onto the drawn seats; a different set of seats is drawn anew. */
  function update(list) {
    if (!list.length) {
      svg.replaceChildren();
      shape = "";
      return;
    }
    if (list.map((s) => s.seat_id).join("|") !== shape) draw(list);
    for (const s of list) {
      const hit = byId.get(s.seat_id);
      if (!hit) continue;
      hit.seat = s;
      const n = hit.node;
      n.classList.toggle("taken", s.status !== "free");
      n.dataset.status = s.status;
      n.classList.toggle("picked", isPicked(s.seat_id));
    }
  }

  function refresh() {
    for (const { node, seat } of byId.values()) node.classList.toggle("picked", isPicked(seat.seat_id));
  }

  function apply() {
    svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
  }

  function clamp(v) {
    const w = Math.min(base.w, Math.max(base.w / MAX_ZOOM, v.w));
    const hh = (w / base.w) * base.h;
    const x = Math.min(base.x + base.w - w, Math.max(base.x, v.x));
    const y = Math.min(base.y + base.h - hh, Math.max(base.y, v.y));
    return { x, y, w, h: hh };
  }

  // Client pixels <-> map units under preserveAspectRatio "meet".
  function fit(v) {
    const rect = svg.getBoundingClientRect();
    const s = Math.min(rect.width / v.w, rect.height / v.h) || 1;
    return { rect, s, ox: (rect.width - v.w * s) / 2, oy: (rect.height - v.h * s) / 2 };
  }
  function toMap(cx, cy, v = view) {
    const { rect, s, ox, oy } = fit(v);
    return { x: v.x + (cx - rect.left - ox) / s, y: v.y + (cy - rect.top - oy) / s };
  }

  /** Zoom by `factor` (>1 closer) keeping the map point under client (cx, cy) in place. */
  function zoomAt(factor, cx, cy, from = view, anchor = toMap(cx, cy, from)) {
    const w = from.w / factor;
    const next = { x: 0, y: 0, w, h: (w / base.w) * base.h };
    const { rect, s, ox, oy } = fit(next);
    next.x = anchor.x - (cx - rect.left - ox) / s;
    next.y = anchor.y - (cy - rect.top - oy) / s;
    view = clamp(next);
    apply();
  }
  const centre = () => {
    const rect = svg.getBoundingClientRect();
    return [rect.left + rect.width / 2, rect.top + rect.height / 2];
  };
  zoomIn.addEventListener("click", () => zoomAt(1.6, ...centre()));
  zoomOut.addEventListener("click", () => zoomAt(1 / 1.6, ...centre()));
  reset.addEventListener("click", () => {
    view = { ...base };
    apply();
  });
  svg.addEventListener("wheel", (e) => {
    e.preventDefault();
    zoomAt(e.deltaY < 0 ? 1.25 : 0.8, e.clientX, e.clientY);
  }, { passive: false });

  // Pointers: one pans (a tap when it barely moved), two pinch.
  const pointers = new Map(); // id -> {x, y, down: the element it went down on}
  let gesture = null;
  const start = (wasPinch = false) => {
    const pts = [...pointers.values()];
    if (pts.length === 1) {
      gesture = { kind: "pan", from: { ...view }, x0: pts[0].x, y0: pts[0].y, moved: wasPinch };
    } else if (pts.length === 2) {
      const [a, b] = pts;
      const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      gesture = { kind: "pinch", from: { ...view }, dist: Math.hypot(a.x - b.x, a.y - b.y) || 1, anchor: toMap(mid.x, mid.y) };
    }
  };
  svg.addEventListener("pointerdown", (e) => {
    if (e.pointerType === "mouse" && e.button !== 0) return;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY, down: e.target });
    try {
      svg.setPointerCapture(e.pointerId);
    } catch {
      // Synthetic pointers cannot be captured; their moves still reach the map.
    }
    start();
  });
  svg.addEventListener("pointermove", (e) => {
    const p = pointers.get(e.pointerId);
    if (!p || !gesture) return;
    p.x = e.clientX;
    p.y = e.clientY;
    const pts = [...pointers.values()];
    if (gesture.kind === "pan" && pts.length === 1) {
      const dx = p.x - gesture.x0;
      const dy = p.y - gesture.y0;
      if (!gesture.moved && Math.hypot(dx, dy) < TAP_SLOP_PX) return;
      gesture.moved = true;
      const { s } = fit(gesture.from);
      view = clamp({ ...gesture.from, x: gesture.from.x - dx / s, y: gesture.from.y - dy / s });
      apply();
    } else if (gesture.kind === "pinch" && pts.length === 2) {
      const [a, b] = pts;
      const dist = Math.hypot(a.x - b.x, a.y - b.y) || 1;
      zoomAt(dist / gesture.dist, (a.x + b.x) / 2, (a.y + b.y) / 2, gesture.from, gesture.anchor);
    }
  });
  const end = (e) => {
    const p = pointers.get(e.pointerId);
    if (!p) return;
    pointers.delete(e.pointerId);
    const wasPinch = gesture?.kind === "pinch";
    if (e.type === "pointerup" && gesture?.kind === "pan" && !gesture.moved && !pointers.size) {
      const id = p.down?.closest?.("[data-seat]")?.dataset.seat;
      const hit = id && byId.get(id);
      if (hit) onTap(hit.seat);
    }
    if (pointers.size) start(wasPinch);
    else gesture = null;
  };
  svg.addEventListener("pointerup", end);
  svg.addEventListener("pointercancel", end);

  update(seats);
  return {
    el: wrap,
    update,
    refresh,
    reset: () => {
      view = { ...base };
      apply();
    },
  };
}
