// The fan's tickets kept on this phone (IndexedDB) after an online view, for the door offline.
import { Store } from "../shared/store.js";

const db = new Store("onsale-fan", { tickets: { keyPath: "key" } });

/** Keep the latest list of tickets (what GET /me/tickets answered). */
export async function keepTickets(items) {
  await db.put("tickets", { key: "mine", items, at: new Date().toISOString() });
}

/** {items, at} as last kept, or null. */
export async function keptTickets() {
  try {
    return (await db.get("tickets", "mine")) || null;
  } catch {
    return null;
  }
}

/** Nothing of the fan's tickets stays on a phone after signing out. */
export async function forgetTickets() {
  await db.clear("tickets").catch(() => {});
}
