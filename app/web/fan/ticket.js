// One ticket as the door sees it: the rotating QR code (signed code + a TOTP of the current
// 15-second step, computed on the phone, so it works offline) with a countdown to the next code.
// A screenshot of it stops getting in within a minute.
import { rotatingCode, STEP_S, stepAt } from "../shared/codes.js";
import { h } from "../shared/dom.js";
import { qrSvg } from "./qr.js";

/**
 * A live ticket card. ticket: {ticket_id, code, rotation?: {secret}, status?};
 * text: {label, changes(seconds) -> string, codeText}. Returns {el, stop}.
 */
export function liveTicket(ticket, text, now = () => Date.now()) {
  const qr = h("div", { class: "qr" });
  const clock = h("p", { class: "rotates", "aria-live": "off" });
  const bar = h("span", {});
  const codeText = h("code", {});
  const el = h("li", { class: "card ticket", dataset: { ticketId: ticket.ticket_id } },
    h("h2", {}, text.label),
    text.seat ? h("p", { class: "seat-line" }, text.seat) : null, qr,
    ticket.rotation ? [h("div", { class: "bar-progress", "aria-hidden": "true" }, bar), clock] : null,
    h("details", {}, h("summary", {}, text.codeText), codeText));
  let step = null;
  let stopped = false;
  async function tick() {
    if (stopped) return;
    const ms = now();
    if (!ticket.rotation) {
      if (step === null) draw(ticket.code);
      step = 0;
      return;
    }
    const left = STEP_S - ((ms / 1000) % STEP_S);
    clock.textContent = text.changes(Math.ceil(left));
    bar.style.width = `${(left / STEP_S) * 100}%`;
    const current = stepAt(ms);
    if (current !== step) {
      step = current;
      draw(await rotatingCode(ticket.code, ticket.rotation.secret, ms));
    }
  }
  function draw(code) {
    if (stopped) return;
    el.dataset.code = code;
    qr.replaceChildren(qrSvg(code, text.label));
    codeText.textContent = code;
  }
  tick();
  const timer = setInterval(tick, 1000);
  return {
    el,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
