// Loads Stripe.js once from the configured URL (Stripe's own in production, the local
// stand-in in dev and tests) and collects a card: a PaymentMethod where Stripe.js offers
// createPaymentMethod, else a tokenized card (the stand-in's only way).
let loading = null;

function config(name) {
  return document.querySelector(`meta[name="onsale:${name}"]`)?.content || "";
}

export function loadStripe() {
  loading ??= new Promise((resolve, reject) => {
    if (window.Stripe) return resolve(window.Stripe);
    const script = document.createElement("script");
    script.src = config("stripe-js");
    script.onload = () => resolve(window.Stripe);
    script.onerror = () => {
      loading = null;
      reject(new Error("Stripe.js could not be loaded"));
    };
    document.head.append(script);
  });
  return loading;
}

/** Mount a card Element in `container`; returns {stripe, card}. */
export async function mountCard(container, locale) {
  const Stripe = await loadStripe();
  const stripe = Stripe(config("stripe-key"), { locale });
  const elements = stripe.elements({ locale });
  const card = elements.create("card", { hidePostalCode: true });
  card.mount(container);
  return { stripe, card };
}

/** A payment method id for the card, or throws with Stripe's message. */
export async function paymentMethod(stripe, card) {
  const made = await stripe.createPaymentMethod?.({ type: "card", card });
  if (made?.paymentMethod) return made.paymentMethod.id;
  if (made?.error) throw new Error(made.error.message);
  const { token, error } = await stripe.createToken(card);
  if (error) throw new Error(error.message || "card error");
  return token.card.id;
}

// PaymentIntent states after a successful authentication: authorized, taken or at the bank.
const PAID = ["requires_capture", "succeeded", "processing"];

/** The bank did not confirm the payment (3-D Secure failed or was cancelled, or it declined). */
export class AuthenticationFailed extends Error {
  constructor(code) {
    super(code || "authentication_failed");
    this.code = code || "";
  }
}

/**
 * Finish what the bank asks for (3-D Secure) when the checkout says so (`requires_action`,
 * from the server: no need for Stripe.js to read the PaymentIntent back). Throws
 * AuthenticationFailed when the fan fails or cancels it; Stripe.js shows the bank's step
 * (the stand-in a confirm/fail box).
 */
export async function authenticate(stripe, checkout) {
  if (!checkout.requires_action) return false;
  const { paymentIntent, error } = await stripe.confirmCardPayment(checkout.client_secret);
  if (error) throw new AuthenticationFailed(error.code || error.decline_code);
  if (!PAID.includes(paymentIntent?.status)) {
    // Stripe.js reports a failed authentication as an error; the stand-in returns the
    // PaymentIntent, back to requires_payment_method with last_payment_error.
    throw new AuthenticationFailed(paymentIntent?.last_payment_error?.code);
  }
  return true;
}
