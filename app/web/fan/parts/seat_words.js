// Seats in words, in the fan's language: "Row 12, seat 7", lists of them, a seat line per ticket.
import { h, i18n, t } from "../core.js";

const byNumber = (a, b) => String(a).localeCompare(String(b), undefined, { numeric: true });

/** "Row 12, seat 7" in the fan's language. */
export function seatWords(seat) {
  return t("seats.one", { row: seat.row, number: seat.number });
}

/** Several seats in one phrase: "Row 12, seat 7 and row 12, seat 8" (Intl list rules). */
export function seatsInWords(seats) {
  const sorted = [...seats].sort((a, b) => byNumber(a.row, b.row) || byNumber(a.number, b.number));
  const words = sorted.map(seatWords);
  try {
    return new Intl.ListFormat(i18n.lang, { type: "conjunction" }).format(words);
  } catch {
    return words.join(", ");
  }
}

/** A list of seats (hold, order) as an element, or null when there are none. */
export function seatLines(seats, attrs = {}) {
  if (!seats?.length) return null;
  return h("ul", { class: "seat-lines", ...attrs },
    [...seats].sort((a, b) => byNumber(a.row, b.row) || byNumber(a.number, b.number))
      .map((s) => h("li", { dataset: { seat: s.seat_id } }, seatWords(s))));
}
