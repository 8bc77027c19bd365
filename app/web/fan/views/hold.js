// The hold: seats kept for a few minutes (countdown), and payment with Stripe Elements.
import { ApiError, newKey } from "../../shared/api.js";
import { announce, api, h, i18n, navigate, problemText, requireSignIn, screen, t } from "../core.js";
import { seatLines } from "../parts/seat_words.js";
import { countdown, getEvent, money, notice } from "../parts/common.js";
import { priceCard } from "../parts/price.js";

export default async function holdPage(main, { params: [id] }) {
  if (!requireSignIn()) return;
  let hold;
  let event;
  let price;
  try {
    hold = await api.get(`/holds/${id}`);
    [event, price] = await Promise.all([getEvent(hold.event_id), api.get(`/holds/${id}/price`)]);
  } catch (err) {
    screen(main, t("hold.title"), notice("bad", problemText(err)));
    return;
  }
  const section = event.sections.find((s) => s.code === hold.section) || { name: hold.section };
  const clock = h("span", { class: "countdown", role: "timer", id: "hold-clock" });
  const summary = h("div", { class: "card" },
    h("p", {}, h("strong", {}, event.name)),
    h("p", { class: "row" }, h("span", {}, t("hold.seats", { count: hold.quantity, section: section.name })),
      h("strong", { id: "amount" }, money(hold.amount_cents, hold.currency))),
    hold.discount_code ? h("p", { class: "row muted", id: "discount" },
      h("span", {}, t("hold.code.applied", { code: hold.discount_code })),
      h("span", {}, "−" + money(hold.discount_cents || 0, hold.currency))) : null,
    seatLines(hold.seats, { id: "held-seats", "aria-label": t("seats.yours") }),
    h("p", {}, t("hold.kept_for"), " ", clock));
  // Fees and tax before paying: the total is what the card is charged.
  const total = money(price.total_cents, price.currency);
  const status = h("div", { role: "alert", id: "pay-status" });
  const cardBox = h("div", { id: "card-element" });
  const cardError = h("p", { class: "error", id: "card-error" });
  const pay = h("button", { class: "btn", type: "submit", disabled: true }, t("pay.submit", { amount: total }));
  const form = h("form", { id: "pay-form", "aria-describedby": "card-error" },
    h("div", { class: "field" }, h("span", { class: "label", id: "card-label" }, h("strong", {}, t("pay.card"))),
      h("div", { role: "group", "aria-labelledby": "card-label" }, cardBox), cardError,
      h("p", { class: "hint" }, t("pay.secure"))),
    status, pay);
  const release = h("button", { class: "btn secondary", type: "button" }, t("hold.release"));
  screen(main, t("hold.title"), summary, priceCard(price, section.name), h("h2", {}, t("pay.title")), form, h("p", {}), release);

  let stop = () => {};
  const expired = () => {
    stop();
    // The headline follows: the seats are no longer held.
    const h1 = main.querySelector("h1");
    if (h1) h1.textContent = t("hold.expired_title");
    document.title = `${t("hold.expired_title")} · Onsale`;
    form.replaceWith(notice("bad", t("hold.expired")), h("a", { class: "btn", href: `/events/${hold.event_id}` }, t("hold.back")));
    release.remove();
    announce(t("hold.expired"));
  };
  if (!["active", "checking_out"].includes(hold.status)) {
    expired();
    return;
  }
  let warned = false;
  stop = countdown(hold.expires_at, (left) => {
    clock.textContent = i18n.clock(left);
    if (left < 60 && !warned) {
      warned = true;
      announce(t("hold.one_minute"));
    }
    if (left <= 0) expired();
  });

  release.addEventListener("click", async () => {
    release.disabled = true;
    try {
      await api.delete(`/holds/${id}`);
    } catch (err) {
      release.disabled = false;
      if (err instanceof ApiError && err.code === "hold_not_active") {
        // Ended meanwhile: paid (the bank said yes after all: the order stands) or run out.
        const now = await api.get(`/holds/${id}`).catch(() => null);
        if (now?.status === "converted") {
          stop();
          return navigate("/orders");
        }
        if (now && !["active", "checking_out"].includes(now.status)) return expired();
      }
      // Not given back (payment service unreachable, the bank still deciding): say so, and
      // keep the fan here rather than send them off believing the seats are free.
      status.replaceChildren(notice("bad", t("hold.release_failed")));
      announce(t("hold.release_failed"));
      return;
    }
    stop();
    navigate(`/events/${hold.event_id}`);
  });

  let stripe;
  let card;
  try {
    const { mountCard } = await import("../stripe.js");
    ({ stripe, card } = await mountCard(cardBox, i18n.lang));
    pay.disabled = false;
  } catch (err) {
    status.replaceChildren(notice("bad", t("pay.unavailable")));
    return stop;
  }

  let attempt = newKey();
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    pay.disabled = true;
    cardError.textContent = "";
    status.replaceChildren(h("p", {}, h("span", { class: "spinner" }), " ", t("pay.processing")));
    const { paymentMethod, authenticate, AuthenticationFailed } = await import("../stripe.js");
    let method;
    try {
      method = await paymentMethod(stripe, card);
    } catch (err) {
      pay.disabled = false;
      status.replaceChildren();
      cardError.textContent = err.message || t("pay.card_invalid");
      return;
    }
    try {
      const checkout = await api.post(`/holds/${id}/checkout`, { payment_method: method }, { idempotent: attempt });
      if (checkout.requires_action) {
        status.replaceChildren(h("p", {}, h("span", { class: "spinner" }), " ", t("pay.authenticating")));
        announce(t("pay.authenticating"));
      }
      if (await authenticate(stripe, checkout)) {
        // Authenticated in the browser: the server confirms the order now (no webhook needed);
        // if this report is lost, the order page's reads confirm it.
        await api.post(`/orders/${checkout.order_id}/payment-confirmed`).catch(() => {});
      }
      stop();
      navigate(`/orders/${checkout.order_id}`);
    } catch (err) {
      attempt = newKey(); // a declined card may be retried: that is a new attempt
      pay.disabled = false;
      status.replaceChildren();
      if (err instanceof ApiError && ["hold_expired", "hold_not_active"].includes(err.code)) return expired();
      cardError.textContent = err instanceof AuthenticationFailed
        ? t(err.code === "card_declined" ? "problem.payment_declined" : "pay.auth_failed")
        : problemText(err);
      announce(cardError.textContent);
    }
  });
  return stop;
}
