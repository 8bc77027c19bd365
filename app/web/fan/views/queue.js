// The waiting room: every state the queue can be in, live, then the seat picker once admitted.
import { ApiError, newKey } from "../../shared/api.js";
import { announce, api, h, i18n, navigate, problemText, requireSignIn, screen, t } from "../core.js";
import { QueueLive } from "../live.js";
import { partyPanel } from "../party.js";
import { isSeated, loadSeats, seatPicker } from "../parts/seats.js";
import { loadTypes, typePicker } from "../parts/types.js";
import { countdown, getEvent, money, notice, soldOut, when } from "../parts/common.js";

const ROOM_EVERY_MS = 5000;

export default async function waitingRoom(main, { params: [id] }) {
  if (!requireSignIn()) return;
  let event;
  try {
    event = await getEvent(id, { fresh: true });
  } catch {
    screen(main, t("notfound.title"), notice("bad", t("problem.not_found")));
    return;
  }
  const body = h("section", { id: "room", "aria-labelledby": "room-title", dataset: { state: "joining" } });
  const transport = h("p", { class: "transport", id: "transport", dataset: { transport: "" } });
  screen(main, event.name, h("p", { class: "muted" }, event.venue, " · ", when(event.starts_at, event.timezone, "medium")), body, transport);

  let stopTimer = () => {};
  let firstPosition = null;
  let lastAnnounce = 0;
  let room = null;
  let roomAt = 0;
  let status = null;
  let party = null; // the party panel, kept across redraws while waiting
  let eventTypes = null; // the event's ticket types, read once admitted

  const live = new QueueLive(id, {
    onStatus: async (s) => {
      status = s;
      if (s.state === "closed" && !soldOut(event)) {
        // The event was read before the queue answered: its last seats may have gone since,
        // and "sold out" or "sale over" is decided on figures no older than the answer.
        event = await getEvent(id, { fresh: true }).catch(() => event);
      }
      draw();
      refreshRoom();
    },
    onTransport: (mode) => {
      transport.dataset.transport = mode;
      transport.textContent = mode === "done" ? "" : t(`queue.transport.${mode}`);
    },
    onError: (err) => showProblem(err),
    onPow: (share) => drawPow(share),
  });

  let powBar = null;
  function drawPow(share) {
    const pct = Math.round(share * 100);
    if (body.dataset.state !== "pow") {
      powBar = h("div", { class: "bar-progress", role: "progressbar", "aria-label": t("pow.progress"), "aria-valuemin": "0", "aria-valuemax": "100" }, h("span", {}));
      block("pow", t("pow.title"), h("p", {}, t("pow.body")), powBar);
      say(t("pow.title"), true);
    }
    powBar.setAttribute("aria-valuenow", String(pct));
    powBar.firstChild.style.width = `${Math.max(2, pct)}%`;
  }

  async function refreshRoom() {
    if (Date.now() - roomAt < ROOM_EVERY_MS) return;
    roomAt = Date.now();
    try {
      const next = await api.get(`/events/${id}/room`, { auth: false });
      const changed = next.state !== room?.state;
      room = next;
      if (changed) draw();
    } catch {
      // The snapshot only adds the paused banner; the fan's own status is what counts.
    }
  }

  function block(state, title, ...children) {
    stopTimer();
    stopTimer = () => {};
    body.dataset.state = state;
    body.replaceChildren(h("div", { class: "card" }, h("h2", { id: "room-title" }, title), ...children));
  }

  function say(text, force = false) {
    if (force || Date.now() - lastAnnounce > 10000) {
      lastAnnounce = Date.now();
      announce(text);
    }
  }

  function draw() {
    if (!status) return;
    const paused = room?.state === "paused";
    const s = status.state;
    if (s === "prequeue") return drawPrequeue();
    if (s === "waiting") return drawWaiting(paused);
    if (s === "admitted") return drawAdmitted();
    if (s === "expired") {
      block("expired", t("state.expired.title"), h("p", {}, t("state.expired.body")), rejoinButton());
      return say(t("state.expired.title"), true);
    }
    if (s === "phase_ended") {
      // The phase this fan waited in closed before its turn: its place is gone, and the
      // next phase (if its audience takes the fan) is a new join, at the door again.
      const next = h("button", { class: "btn", type: "button" }, t("state.phase_ended.join"));
      next.addEventListener("click", () => {
        next.disabled = true;
        firstPosition = null;
        start();
      });
      block("phase_ended", t("state.phase_ended.title"), h("p", {}, t("state.phase_ended.body")), next,
        h("a", { class: "btn secondary", href: "/" }, t("common.other_events")));
      return say(t("state.phase_ended.title"), true);
    }
    if (s === "closed") {
      const out = soldOut(event);
      block(out ? "soldout" : "closed", t(out ? "state.soldout.title" : "state.closed.title"),
        h("p", {}, t(out ? "state.soldout.body" : "state.closed.body")),
        out ? h("a", { class: "btn", href: `/events/${id}/waitlist` }, t("waitlist.join_link")) : null,
        h("a", { class: "btn secondary", href: "/" }, t("common.other_events")));
      return say(t(out ? "state.soldout.title" : "state.closed.title"), true);
    }
  }

  function drawPrequeue() {
    const clock = h("p", { class: "big countdown", role: "timer", "aria-live": "off" });
    const random = event.waiting_room?.mode === "random_at_open";
    // In an event sold in phases, the room opens when the fan's own phase does (the status
    // says when); otherwise at the event's onsale.
    const opens = status.opens_at || event.onsale_at;
    block("prequeue", t("state.prequeue.title"),
      h("p", {}, t("state.prequeue.opens_in")), clock,
      h("p", { class: "muted" }, h("time", { datetime: opens }, when(opens, event.timezone))),
      h("p", {}, random ? t("state.prequeue.random") : t("state.prequeue.fifo", { n: i18n.number(status.position) })),
      h("p", { class: "muted" }, t("queue.keep_open")));
    stopTimer = countdown(opens, (left) => (clock.textContent = i18n.clock(left)));
    say(t("state.prequeue.title"), true);
  }

  function drawWaiting(paused) {
    firstPosition ??= status.position;
    const done = firstPosition > 1 ? (firstPosition - status.position) / (firstPosition - 1) : 1;
    const eta = paused || status.eta_s == null
      ? t("queue.eta_unknown")
      : t("queue.eta", { time: i18n.duration(status.eta_s) });
    block(paused ? "paused" : "waiting", t(paused ? "state.paused.title" : "state.waiting.title"),
      paused ? notice("warn", t("state.paused.body")) : null,
      h("p", {}, t("queue.your_place")),
      h("p", { class: "big", id: "place" }, `#${i18n.number(status.position)}`),
      progressBar(done),
      h("dl", { class: "stats" },
        h("div", {}, h("dt", {}, t("queue.ahead")), h("dd", { id: "ahead" }, i18n.number(status.ahead))),
        h("div", {}, h("dt", {}, t("queue.wait")), h("dd", { id: "eta" }, eta))),
      chanceLine(),
      h("p", { class: "muted" }, t("queue.keep_open")),
      partyBox(),
      leaveButton());
    say(t("queue.announce", { n: i18n.number(status.position), ahead: i18n.number(status.ahead) }));
  }

  // The width through the CSSOM: the CSP (style-src 'self') refuses style attributes.
  function progressBar(done) {
    const fill = h("span", {});
    fill.style.width = `${Math.max(2, Math.round(done * 100))}%`;
    return h("div", { class: "bar-progress", role: "progressbar", "aria-label": t("queue.progress"), "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(Math.round(done * 100)) }, fill);
  }

  // The chance of seats when this fan's turn comes, only when the API gives one.
  function chanceLine() {
    if (status.chance == null) return null;
    const pct = new Intl.NumberFormat(i18n.lang, { style: "percent" })
      .format(Math.min(0.95, Math.max(0.05, Math.round(status.chance * 20) / 20)));
    const band = status.chance >= 0.8 ? "high" : status.chance <= 0.2 ? "low" : "mid";
    return h("div", { class: "chance", id: "chance", dataset: { band } },
      h("p", {}, h("strong", {}, t(`queue.chance.${band}`, { pct }))),
      h("p", { class: "muted" }, t("queue.chance.hint")));
  }

  function partyBox() {
    party ??= partyPanel(id, {
      onLeft: (wasLeader) => {
        if (wasLeader) return; // the leader keeps the place; a member has none now
        live.stop();
        navigate(`/events/${id}`);
      },
    });
    return party.el;
  }

  // A code the fan typed survives the screen being drawn again (a status update).
  let typedCode = "";

  function drawAdmitted() {
    const clock = h("span", { class: "countdown", role: "timer" });
    const available = event.sections.filter((sec) => sec.available > 0);
    const error = h("div", { role: "alert" });
    if (!available.length) {
      block("soldout", t("state.soldout.title"), h("p", {}, t("state.soldout.body")),
        h("a", { class: "btn", href: `/events/${id}/waitlist` }, t("waitlist.join_link")));
      return;
    }
    let section = available[0];
    let quantity = Math.min(2, maxFor(section));
    const qty = h("output", { id: "qty", "aria-live": "polite" }, String(quantity));
    const price = h("p", { class: "row" },
      h("span", {}, t(typedCode ? "hold.code.total_before" : "hold.total")), h("strong", { id: "total" }));
    // A section sold by ticket type: steppers per type instead of one number.
    let typed = null;
    const update = () => {
      if (typed) {
        price.lastChild.textContent = money(typed.total(), event.currency);
        submit.disabled = typed.count() === 0;
        return;
      }
      submit.disabled = false;
      quantity = Math.max(1, Math.min(quantity, maxFor(section)));
      qty.textContent = String(quantity);
      price.lastChild.textContent = money(section.price_cents * quantity, event.currency);
      minus.disabled = quantity <= 1;
      plus.disabled = quantity >= maxFor(section);
    };
    const minus = h("button", { type: "button", "aria-label": t("hold.fewer"), onclick: () => { quantity--; update(); } }, "−");
    const plus = h("button", { type: "button", "aria-label": t("hold.more"), onclick: () => { quantity++; update(); } }, "+");
    // Each section's price; a section sold by ticket type shows its lowest type's price once
    // the types are read (its own price is not what a fan pays there).
    const sectionPrices = new Map(available.map((sec) => [sec.code, h("strong", {}, money(sec.price_cents, event.currency))]));
    const choices = h("fieldset", {}, h("legend", {}, t("hold.section")),
      available.map((sec, i) => h("label", { class: "choice" },
        h("input", { type: "radio", name: "section", value: sec.code, checked: i === 0, onchange: () => { section = sec; update(); } }),
        h("span", {}, sec.name), sectionPrices.get(sec.code))));
    const showTypePrices = (all) => {
      for (const [code, el] of sectionPrices) {
        const prices = all.filter((ty) => ty.section === code).map((ty) => ty.price_cents);
        if (prices.length) el.textContent = t("hold.price_from", { price: money(Math.min(...prices), event.currency) });
      }
    };
    const submit = h("button", { class: "btn", type: "submit" }, t("hold.submit"));
    // A discount code is checked with the hold itself: its refusal names the code field.
    const codeInput = h("input", {
      id: "discount-code", name: "discount_code", autocomplete: "off", autocapitalize: "characters",
      spellcheck: false, maxlength: 32, "aria-describedby": "discount-hint discount-error",
    });
    const codeError = h("p", { class: "error", id: "discount-error", "aria-live": "polite" });
    const codeField = h("div", { class: "field" },
      h("label", { for: "discount-code" }, h("strong", {}, t("hold.code.label"))), codeInput,
      h("p", { class: "hint", id: "discount-hint" }, t("hold.code.hint")), codeError);
    codeInput.value = typedCode;
    codeInput.addEventListener("input", () => {
      typedCode = codeInput.value.trim();
      codeError.textContent = "";
      codeInput.removeAttribute("aria-invalid");
      // The code's discount is known once the hold is made: until then the total is before it.
      price.firstChild.textContent = t(codeInput.value.trim() ? "hold.code.total_before" : "hold.total");
    });
    const key = newKey();
    const qtyField = h("div", { class: "field" }, h("span", { id: "qty-label", class: "legend" }, h("strong", {}, t("hold.quantity"))),
      h("div", { class: "stepper", role: "group", "aria-labelledby": "qty-label" }, minus, qty, plus),
      h("p", { class: "hint" }, t("hold.limit", { count: event.max_per_order })));
    const typeBox = h("div", { id: "type-box" });
    const gaPart = h("div", { id: "ga-part" }, qtyField, typeBox, codeField, price, error, submit);
    const form = h("form", {}, choices, gaPart);
    // A seated section: the seat picker (map, lists, best available) instead of a number.
    const seatBox = h("div", { id: "seat-box" });
    let picker = null;
    let seated = false;
    const stopPicker = () => {
      picker?.stop();
      picker = null;
    };
    const showSection = async () => {
      const mine = section;
      seated = await isSeated(id, mine).catch(() => false);
      if (mine !== section) return;
      gaPart.hidden = seated;
      stopPicker();
      seatBox.replaceChildren();
      if (!seated) {
        const all = (eventTypes ||= await loadTypes(api, id)).items || [];
        showTypePrices(all);
        if (mine !== section) return;
        const mineTypes = all.filter((ty) => ty.section === mine.code);
        typed = mineTypes.length
          ? typePicker({ types: mineTypes, currency: event.currency, timeZone: event.timezone, max: maxFor(mine), onChange: () => { error.replaceChildren(); update(); } })
          : null;
        qtyField.hidden = Boolean(typed);
        typeBox.replaceChildren(...(typed ? [typed.el] : []));
        return update();
      }
      const seats = await loadSeats(id, mine.code).catch(() => null);
      if (mine !== section || !seats) return;
      picker = seatPicker({
        event, section: mine, seats, max: maxFor(mine), admissionToken: status.admission_token,
        onHold: (hold) => navigate(`/holds/${hold.hold_id}`),
        onRefused: (err) => {
          if (err.code === "admission_expired") {
            status = { ...status, state: "expired" };
            draw();
          }
        },
      });
      seatBox.replaceChildren(picker.el);
    };
    choices.addEventListener("change", () => showSection());
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (seated) return;
      submit.disabled = true;
      error.replaceChildren();
      codeError.textContent = "";
      const code = codeInput.value.trim().toUpperCase();
      const body = code ? { section: section.code, quantity, discount_code: code } : { section: section.code, quantity };
      if (typed) {
        delete body.quantity;
        body.lines = typed.lines();
      }
      const asked = typed ? body.lines.map((l) => `${l.type}=${l.quantity}`).join(",") : quantity;
      try {
        const hold = await api.post(`/events/${id}/holds`, body, {
          idempotent: `${key}:${section.code}:${asked}:${code}`,
          headers: { "X-Admission-Token": status.admission_token },
        });
        navigate(`/holds/${hold.hold_id}`);
      } catch (err) {
        submit.disabled = false;
        if (err instanceof ApiError && err.code === "admission_expired") {
          status = { ...status, state: "expired" };
          return draw();
        }
        if (err instanceof ApiError && err.code === "sold_out") {
          event = await getEvent(id, { fresh: true }).catch(() => event);
        }
        if (err instanceof ApiError && err.code === "companion_required" && typed) {
          // Said with the types' names, as the picker shows them.
          const ty = (eventTypes?.items || []).find((x) => x.section === section.code && x.code === err.problem?.ticket_type);
          const needs = ty && (eventTypes.items.find((x) => x.section === section.code && x.code === ty.companion) || { name: ty.companion });
          if (ty) return error.replaceChildren(notice("bad", t("types.companion_refused", { type: ty.name, companion: needs.name })));
        }
        if (err instanceof ApiError && ["type_sold_out", "type_not_on_sale"].includes(err.code)) {
          // The figures the picker showed are old: draw it again from fresh ones.
          eventTypes = null;
          error.replaceChildren(notice("bad", problemText(err)));
          await showSection();
          error.replaceChildren(notice("bad", problemText(err)));
          return;
        }
        const codeProblem = code && err instanceof ApiError &&
          ({ not_found: "unknown", code_exhausted: "exhausted", code_not_applicable: "not_applicable" })[err.code];
        const badCode = code && err instanceof ApiError && err.errors?.some((f) => /discount_code/.test(f.field));
        if (codeProblem || badCode) {
          codeError.textContent = t(`hold.code.${codeProblem || "invalid"}`);
          codeInput.setAttribute("aria-invalid", "true");
          codeInput.focus();
          return;
        }
        error.replaceChildren(notice("bad", problemText(err)));
      }
    });
    block("admitted", t("state.admitted.title"),
      h("p", {}, t("state.admitted.body"), " ", clock), form, seatBox);
    update();
    showSection();
    const stopClock = countdown(status.admission_expires_at, (left) => {
      clock.textContent = i18n.clock(left);
      if (left <= 0) {
        status = { ...status, state: "expired" };
        draw();
      }
    });
    stopTimer = () => {
      stopClock();
      stopPicker();
    };
    say(t("state.admitted.title"), true);
    form.querySelector("input")?.focus();
  }

  function maxFor(section) {
    return Math.max(1, Math.min(event.max_per_order, section.available));
  }

  function rejoinButton() {
    const b = h("button", { class: "btn", type: "button" }, t("queue.rejoin"));
    b.addEventListener("click", async () => {
      b.disabled = true;
      await api.delete(`/events/${id}/queue`).catch(() => {});
      firstPosition = null;
      start();
    });
    return b;
  }

  function leaveButton() {
    const b = h("button", { class: "linkish", type: "button" }, t("queue.leave"));
    b.addEventListener("click", async () => {
      if (!confirm(t("queue.leave_confirm"))) return;
      live.stop();
      await api.delete(`/events/${id}/queue`).catch(() => {});
      navigate(`/events/${id}`);
    });
    return b;
  }

  function showProblem(err) {
    block("error", t("queue.problem"), notice("bad", problemText(err)), rejoinButton());
  }

  async function start() {
    try {
      await live.start();
    } catch (err) {
      if (err instanceof ApiError && err.code === "sale_not_open") return notYet();
      if (err instanceof ApiError && ["code_required", "code_invalid", "not_on_list"].includes(err.code)) {
        return codeDoor(err);
      }
      if (err instanceof ApiError && err.code === "email_unverified") {
        // A members' phase lets an address in once its owner proved it: the link goes out now.
        await api.post("/me/verify-email", {}).catch(() => {});
        block("members", t("phases.door.members_title"), notice("warn", t("phases.door.verify")),
          h("a", { class: "btn secondary", href: `/events/${id}` }, t("phases.door.back")));
        return say(t("phases.door.members_title"), true);
      }
      if (err instanceof ApiError && err.status === 0) {
        transport.textContent = t("queue.transport.offline");
        setTimeout(start, 5000);
        return;
      }
      showProblem(err);
    }
  }

  // A phase for holders of an access code (or winners of a draw): the code at the door.
  function codeDoor(err) {
    if (err.code === "not_on_list") {
      block("members", t("phases.door.members_title"), notice("warn", t("problem.not_on_list")),
        h("a", { class: "btn secondary", href: `/events/${id}` }, t("phases.door.back")));
      return say(t("phases.door.members_title"), true);
    }
    const input = h("input", { id: "access-code", name: "access_code", autocomplete: "one-time-code",
      autocapitalize: "characters", spellcheck: "false", required: true, "aria-describedby": "code-hint code-error",
      value: live.accessCode || "" });
    const wrong = err.code === "code_invalid";
    const field = h("div", { class: `field${wrong ? " invalid" : ""}` },
      h("label", { for: "access-code" }, t("phases.door.label")), input,
      h("p", { class: "hint", id: "code-hint" }, t("phases.door.hint")),
      h("p", { class: "error", id: "code-error", role: "alert" }, wrong ? t("problem.code_invalid") : ""));
    const form = h("form", { class: "code-door" }, field, h("button", { class: "btn", type: "submit" }, t("phases.door.enter")));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      live.accessCode = input.value.trim();
      if (!live.accessCode) return input.focus();
      block("joining", t("common.loading"));
      start();
    });
    block("code", t("phases.door.title"), h("p", {}, t("phases.door.body")), form);
    if (wrong) input.focus();
    say(t("phases.door.title"), true);
  }

  // Before the pre-queue opens: a countdown, then join by ourselves (with jitter, so the
  // whole crowd does not arrive in the same millisecond).
  async function notYet() {
    let opens = event.waiting_room?.prequeue_opens_at || event.onsale_at;
    if (Date.parse(opens) <= Date.now()) {
      // On sale, yet the door is shut: the event sells in phases and the next one opens later.
      try {
        const { items } = await api.get(`/events/${id}/phases`, { auth: false });
        const next = items.find((p) => Date.parse(p.room?.prequeue_opens_at || p.opens_at) > Date.now());
        if (next) opens = next.room?.prequeue_opens_at || next.opens_at;
      } catch {
        // Keep the event's own time: the retry below still comes, just sooner.
      }
    }
    const clock = h("p", { class: "big countdown", role: "timer" });
    block("notyet", t("state.notyet.title"), h("p", {}, t("state.notyet.body")), clock,
      h("p", { class: "muted" }, when(opens, event.timezone)));
    stopTimer = countdown(opens, (left) => (clock.textContent = i18n.clock(left)));
    // At the opening (clocks differ by a little) retry at once; long past it, there is
    // nothing to wait for but a change, so every 15 s.
    const left = Date.parse(opens) - Date.now();
    const wait = (left > -60000 ? Math.max(1000, left) : 15000) + Math.random() * 2000;
    const timer = setTimeout(start, Math.min(wait, 60000));
    const stop = stopTimer;
    stopTimer = () => {
      stop();
      clearTimeout(timer);
    };
  }

  // The room snapshot (pause, resume) changes without the fan's own place changing.
  const roomTimer = setInterval(() => {
    if (["prequeue", "waiting", "paused"].includes(body.dataset.state)) refreshRoom();
  }, ROOM_EVERY_MS);
  live.accessCode = new URLSearchParams(location.search).get("code");
  start();
  return () => {
    live.stop();
    stopTimer();
    clearInterval(roomTimer);
    party?.stop();
  };
}
