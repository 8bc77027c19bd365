// Wall-clock times in an IANA time zone <-> UTC instants, with Intl only (no tz database shipped).

function partsIn(instantMs, timeZone) {
  const fmt = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const p = Object.fromEntries(fmt.formatToParts(new Date(instantMs)).map((x) => [x.type, x.value]));
  return { y: +p.year, mo: +p.month, d: +p.day, h: +p.hour, mi: +p.minute, s: +p.second };
}

/** Offset of timeZone from UTC at an instant, in ms (Berlin in summer: +7_200_000). */
function offsetMs(instantMs, timeZone) {
  const p = partsIn(instantMs, timeZone);
  const asUtc = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s);
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

export function isTimeZone(timeZone) {
  try {
    new Intl.DateTimeFormat("en", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** "2026-07-01T20:00" in timeZone -> ISO UTC string; "" for an empty value. */
export function zonedToIso(local, timeZone) {
  if (!local) return "";
  const [date, time = "00:00"] = local.split("T");
  const [y, mo, d] = date.split("-").map(Number);
  const [hh, mi] = time.split(":").map(Number);
  const wall = Date.UTC(y, mo - 1, d, hh, mi);
  // Two passes settle the offset across a DST change.
  let instant = wall - offsetMs(wall, timeZone);
  instant = wall - offsetMs(instant, timeZone);
  return new Date(instant).toISOString();
}

/** ISO instant -> "YYYY-MM-DDTHH:mm" wall clock in timeZone (for datetime-local inputs). */
export function isoToZoned(iso, timeZone) {
  if (!iso) return "";
  const p = partsIn(Date.parse(iso), timeZone);
  const pad = (n) => String(n).padStart(2, "0");
  return `${p.y}-${pad(p.mo)}-${pad(p.d)}T${pad(p.h)}:${pad(p.mi)}`;
}

export function timeZones() {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC", "Europe/Berlin", "Europe/London", "America/New_York"];
  }
}
