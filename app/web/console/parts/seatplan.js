// A seating plan file read in the browser, for the preview before it is sent: a pretix seating
// plan (JSON: zones -> rows -> seats, positions nested zone + row + seat) or the CSV
// `section,row,seat,category,x,y,accessible`. The server checks the plan again on upload; this
// only draws it and counts its seats and categories.

/** One CSV line into its fields (quotes, doubled quotes inside them). */
function csvLine(line) {
  const out = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out.map((f) => f.trim());
}

const yes = (v) => ["1", "true", "yes", "y", "x"].includes(String(v || "").trim().toLowerCase());
const num = (v) => {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
};

function fromCsv(text, section) {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/).filter((l) => l.trim());
  if (!lines.length) throw new Error("empty");
  const head = csvLine(lines[0]).map((x) => x.toLowerCase());
  for (const col of ["row", "seat", "category", "x", "y"]) if (!head.includes(col)) throw new Error(`column:${col}`);
  const at = (rec, col) => rec[head.indexOf(col)] ?? "";
  let seats = lines.slice(1).map((l) => {
    const rec = csvLine(l);
    const row = at(rec, "row");
    const number = at(rec, "seat");
    return {
      section: at(rec, "section"),
      seat_id: (head.includes("seat_id") && at(rec, "seat_id")) || `${row}-${number}`,
      row,
      number,
      category: at(rec, "category"),
      x: num(at(rec, "x")),
      y: num(at(rec, "y")),
      accessible: yes(at(rec, "accessible")),
      status: yes(at(rec, "blocked")) ? "blocked" : "free",
      price: head.includes("price_cents") && at(rec, "price_cents") !== "" ? num(at(rec, "price_cents")) : null,
    };
  });
  // A CSV may hold several sections: the preview shows this one's when it names it.
  if (head.includes("section") && seats.some((s) => s.section === section)) seats = seats.filter((s) => s.section === section);
  const prices = {};
  for (const s of seats) if (s.price != null) prices[s.category] = s.price;
  return { kind: "csv", seats, contentType: "text/csv", prices };
}

function fromPretix(plan) {
  if (!plan || !Array.isArray(plan.zones)) throw new Error("zones");
  const pos = (p) => ({ x: num(p?.x), y: num(p?.y) });
  const ext = plan.onsale || {};
  const accessible = new Set(ext.accessible || []);
  const blocked = new Set(ext.blocked || []);
  const seats = [];
  for (const zone of plan.zones) {
    const z = pos(zone.position);
    for (const row of zone.rows || []) {
      const r = pos(row.position);
      for (const seat of row.seats || []) {
        const s = pos(seat.position);
        seats.push({
          seat_id: String(seat.seat_guid ?? ""),
          row: String(row.row_number ?? row.row_label ?? ""),
          number: String(seat.seat_number ?? seat.seat_label ?? ""),
          category: String(seat.category ?? ""),
          x: z.x + r.x + s.x,
          y: z.y + r.y + s.y,
          accessible: accessible.has(seat.seat_guid),
          status: blocked.has(seat.seat_guid) ? "blocked" : "free",
        });
      }
    }
  }
  return { kind: "pretix", seats, contentType: "application/json", prices: ext.prices || {} };
}

/**
 * {kind, seats, categories, contentType, text} from a file's text; throws Error whose message
 * names what is missing ("zones", "column:x", "empty", "no_seats", "json").
 */
export function readPlan(text, filename, section) {
  const trimmed = text.trimStart();
  let out;
  if (trimmed.startsWith("{") || /\.json$/i.test(filename || "")) {
    let plan;
    try {
      plan = JSON.parse(text);
    } catch {
      throw new Error("json");
    }
    out = fromPretix(plan);
  } else {
    out = fromCsv(text, section);
  }
  if (!out.seats.length) throw new Error("no_seats");
  const categories = [];
  for (const s of out.seats) if (!categories.includes(s.category)) categories.push(s.category);
  return { ...out, categories, text };
}
