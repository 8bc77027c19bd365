// The waiting list of a sold-out event: join (section, quantity), the place on the list, and
// an offer of seats that came back (in a seated section, the seats it holds: row and seat;
// countdown; buy goes straight to paying, no thanks frees them).
import { ApiError } from "../../shared/api.js";
import { announce, api, h, i18n, navigate, problemText, requireSignIn, screen, t } from "../core.js";
import { postWithPow } from "../entry.js";
import { countdown, getEvent, money, notice } from "../parts/common.js";
import { seatLines } from "../parts/seat_words.js";

const POLL_S = 5;

export default async function waitlistPage(main, { params: [id] }) {
  if (!requireSignIn()) return;
  let event;
  try {
    event = await getEvent(id, { fresh: true });
  } catch (err) {
    screen(main, t("notfound.title"), notice("bad", problemText(err)));
    return;
  }
  const box = h("div", { id: "waitlist", "aria-live": "off" });
  screen(main, t("waitlist.title"), h("p", { class: "muted" }, event.name), box);

  let timer = null;
  let stopClock = () => {};
  let lastState = null;
  const stop = () => {
    clearTimeout(timer);
    stopClock();
  };
  const sectionName = (code) => event.sections.find((s) => s.code === code)?.name || code;
  const draw = (state, ...children) => {
    stopClock();
    box.dataset.state = state;
    box.replaceChildren(...children);
  };
  const back = () => h("a", { class: "btn secondary", href: `/events/${id}` }, t("hold.back"));

  function drawForm(message = null) {
    const maxQty = Math.max(1, Math.min(event.max_per_order, event.max_per_user));
    const section = h("select", { id: "wl-section", name: "section" },
      event.sections.map((s) => h("option", { value: s.code }, `${s.name} · ${money(s.price_cents, event.currency)}`)));
    const quantity = h("select", { id: "wl-quantity", name: "quantity" },
      Array.from({ length: maxQty }, (_, i) => h("option", { value: String(i + 1) }, i18n.number(i + 1))));
    quantity.value = String(Math.min(2, maxQty));
    const status = h("div", { role: "alert" }, message);
    const submit = h("button", { class: "btn", type: "submit" }, t("waitlist.join"));
    const form = h("form", { id: "wl-form", novalidate: true },
      h("p", {}, t("waitlist.explain")),
      event.sections.length > 1
        ? h("div", { class: "field" }, h("label", { for: "wl-section" }, t("hold.section")), section)
        : null,
      h("div", { class: "field" }, h("label", { for: "wl-quantity" }, t("hold.quantity")), quantity),
      status, submit);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      submit.disabled = true;
      status.replaceChildren();
      try {
        const body = { section: event.sections.length > 1 ? section.value : event.sections[0].code, quantity: Number(quantity.value) };
        show(await postWithPow(id, `/events/${id}/waitlist`, body, () => status.replaceChildren(h("p", {}, h("span", { class: "spinner" }), " ", t("pow.title")))));
        announce(t("waitlist.joined"));
      } catch (err) {
        submit.disabled = false;
        if (err instanceof ApiError && err.code === "seats_available") {
          status.replaceChildren(notice("warn", t("waitlist.seats_available"), " ",
            h("a", { href: `/events/${id}/queue` }, t("event.join"))));
        } else {
          status.replaceChildren(notice("bad", problemText(err)));
        }
      }
    });
    draw("join", form);
  }

  function drawWaiting(s) {
    const leave = h("button", { class: "btn secondary", type: "button" }, t("waitlist.leave"));
    leave.addEventListener("click", async () => {
      leave.disabled = true;
      try {
        await api.delete(`/events/${id}/waitlist`);
        drawForm(notice("ok", t("waitlist.left")));
      } catch (err) {
        leave.disabled = false;
        box.append(notice("bad", problemText(err)));
      }
    });
    draw("waiting",
      h("h2", {}, t("waitlist.on_list")),
      h("p", {}, t("waitlist.your_place")),
      h("p", { class: "big", id: "wl-place" }, `#${i18n.number(s.position)}`),
      h("p", {}, t("waitlist.wants", { count: s.quantity, section: sectionName(s.section) })),
      h("p", { class: "muted" }, t("waitlist.how")),
      leave);
  }

  function drawOffer(s) {
    const offer = s.offer;
    const clock = h("strong", { class: "countdown", role: "timer", id: "wl-clock" });
    const buy = h("a", { class: "btn", id: "wl-buy", href: `/holds/${offer.hold_id}` }, t("waitlist.buy", { amount: money(offer.amount_cents, offer.currency) }));
    const decline = h("button", { class: "btn secondary", type: "button", id: "wl-decline" }, t("waitlist.decline"));
    decline.addEventListener("click", async () => {
      decline.disabled = true;
      try {
        await api.delete(`/events/${id}/waitlist`);
        stop();
        draw("declined", notice("ok", t("waitlist.declined")), back());
        announce(t("waitlist.declined"));
      } catch (err) {
        decline.disabled = false;
        box.append(notice("bad", problemText(err)));
      }
    });
    draw("offered",
      notice("ok", h("strong", {}, t("waitlist.offer_title"))),
      h("div", { class: "card" },
        h("p", { class: "row" }, h("span", {}, t("hold.seats", { count: offer.quantity, section: sectionName(offer.section) })),
          h("strong", { id: "wl-amount" }, money(offer.amount_cents, offer.currency))),
        seatLines(offer.seats, { id: "wl-seats" }),
        h("p", {}, t("waitlist.offer_until"), " ", clock)),
      buy, h("p", {}), decline);
    stopClock = countdown(offer.expires_at, (left) => {
      clock.textContent = i18n.clock(left);
      if (left <= 0) refresh();
    });
  }

  function show(s) {
    const changed = s.state !== lastState;
    lastState = s.state;
    if (s.state === "waiting") drawWaiting(s);
    else if (s.state === "offered") {
      if (changed) {
        drawOffer(s);
        announce(t("waitlist.offer_title"));
      }
    } else if (s.state === "accepted") {
      draw("accepted", notice("ok", t("waitlist.accepted")),
        h("a", { class: "btn", href: `/holds/${s.offer.hold_id}` }, t("waitlist.to_payment")),
        h("p", {}), h("a", { href: "/orders" }, t("nav.orders")));
    } else {
      const again = h("button", { class: "btn", type: "button" }, t("waitlist.join_again"));
      again.addEventListener("click", async () => {
        again.disabled = true;
        await api.delete(`/events/${id}/waitlist`).catch(() => {});
        drawForm();
      });
      draw("lapsed", notice("warn", t("waitlist.lapsed")), again, h("p", {}), back());
    }
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    if (["waiting", "offered"].includes(lastState)) timer = setTimeout(refresh, POLL_S * 1000);
  }

  async function refresh() {
    try {
      show(await api.get(`/events/${id}/waitlist`));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        lastState = null;
        if (box.dataset.state !== "join" && box.dataset.state !== "declined") drawForm();
      } else {
        schedule(); // keep the last known state; try again later
      }
    }
  }

  await refresh();
  if (!box.dataset.state) drawForm();
  return stop;
}
