// POSTs that need the account's proof of work where the server asks for one (a party, the
// waiting list): try, and on `pow_required` solve the event's challenge and try again.
import { ApiError } from "../shared/api.js";
import { api } from "./core.js";

/** api.post(path, body) with the PoW headers when asked; onPow() when a solve starts. */
export async function postWithPow(eventId, path, body, onPow = () => {}) {
  let headers = {};
  for (let attempt = 0; ; attempt++) {
    try {
      return await api.post(path, body, { headers });
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== "pow_required" || attempt >= 2) throw err;
      const { challenge, difficulty } = await api.get(`/events/${eventId}/queue/challenge`);
      if (!difficulty) continue;
      const { solve } = await import("./pow.js");
      onPow();
      const nonce = await solve(challenge, difficulty);
      headers = { "X-PoW-Challenge": challenge, "X-PoW-Nonce": nonce };
    }
  }
}
