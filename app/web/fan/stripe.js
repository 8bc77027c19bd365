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

/** Finish what the bank asks for (3-D Secure) on the checkout's PaymentIntent. */
export async function authenticate(stripe, clientSecret) {
  if (!stripe.retrievePaymentIntent) return;
  const { paymentIntent } = await stripe.retrievePaymentIntent(clientSecret);
  if (paymentIntent?.status === "requires_action") {
    const { error } = await stripe.confirmCardPayment(clientSecret);
    if (error) throw new Error(error.message);
  }
}
