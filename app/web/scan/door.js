// One gate's check-in on this device: the event's check-in data in IndexedDB, the offline
// check of a code (Ed25519 signature, rotating TOTP, the ticket's status and inside flag),
// scans sent online or queued offline, and the sync that uploads the queue.
//
// The device holds only the event's public keys and the tickets' rotation secrets: it can
// tell a genuine, fresh code from anything else, and cannot sign a ticket.
import { ApiError } from "../shared/api.js";
import { parseCode, signatureOk, totpFresh } from "../shared/codes.js";
import { Store } from "../shared/store.js";

export const db = new Store("onsale-scan", {
  data: { keyPath: "key" }, // check-in data per event and list
  local: { keyPath: "key" }, // what this device saw since the last download: {key, inside, gate, at}
  queue: { keyPath: "id", autoIncrement: true }, // scans made offline, waiting to upload
  meta: { keyPath: "key" }, // last sync per event and list
});

// What a scan may answer (the contract's six, plus a section the list leaves out and the two
// answers of an exit on a re-entry list).
export const RESULTS = [
  "admitted", "already_in", "void", "invalid", "wrong_event", "stale", "wrong_list", "exited", "not_inside",
];

export class Door {
  /** api: the Client; eventId, listId (null: the default list), gate, device: strings. */
  constructor({ api, eventId, listId, gate, device }) {
    this.api = api;
    this.eventId = eventId;
    this.listId = listId;
    this.gate = gate;
    this.device = device;
    this.key = `${eventId}|${listId || "default"}`;
    this.data = null;
    this.tickets = new Map();
    this.local = new Map(); // ticket_id -> {inside, gate, at}
    this.lastSync = null;
    this.syncing = null;
    this.conflicts = 0;
  }

  /** The stored check-in data, if this device downloaded it before (works offline). */
  async load() {
    const stored = await db.get("data", this.key);
    if (stored) this.#use(stored.data);
    const meta = await db.get("meta", this.key);
    this.lastSync = meta?.at || null;
    for (const row of await db.all("local")) {
      if (row.key.startsWith(`${this.key}|`)) this.local.set(row.ticket_id, row);
    }
    return Boolean(stored);
  }

  /** Download the check-in data now (online); the local overlay is superseded by it. */
  async download() {
    const q = this.listId ? `?list_id=${encodeURIComponent(this.listId)}` : "";
    const data = await this.api.get(`/events/${this.eventId}/checkin-data${q}`);
    await db.put("data", { key: this.key, data });
    // What this device admitted is in the server's data now, unless still queued.
    const pending = new Set((await this.pending()).map((s) => s.ticket_id).filter(Boolean));
    for (const [ticketId] of this.local) {
      if (!pending.has(ticketId)) {
        this.local.delete(ticketId);
        await db.delete("local", `${this.key}|${ticketId}`);
      }
    }
    this.#use(data);
    return data;
  }

  #use(data) {
    this.data = data;
    this.tickets = new Map(data.tickets.map((tk) => [tk.ticket_id, tk]));
  }

  get list() {
    return this.data?.list || null;
  }

  /** {admitted, expected}: tickets inside now (with this device's own scans) of the valid ones. */
  counts() {
    let expected = 0;
    let admitted = 0;
    for (const tk of this.tickets.values()) {
      if (tk.status !== "valid") continue;
      expected += 1;
      const mine = this.local.get(tk.ticket_id);
      if (mine ? mine.inside : tk.inside) admitted += 1;
    }
    return { admitted, expected };
  }

  /**
   * The offline verdict of a code: {result, reason?, ticket_id?, section?, seq?, first?}.
   * reason refines a result for the screen (malformed, signature, unknown_ticket,
   * static_not_allowed, expired_code).
   */
  async check(code, { direction = "in", now = Date.now() } = {}) {
    const data = this.data;
    const parsed = parseCode(code);
    if (!parsed) return { result: "invalid", reason: "malformed" };
    const key = data.keys.find((k) => k.kid === parsed.kid);
    if (!key) {
      // Another event's key, or a forged kid: only the claim says which, so "wrong event"
      // is shown only when it names another event.
      return parsed.eventId !== data.event.event_id
        ? { result: "wrong_event" }
        : { result: "invalid", reason: "signature" };
    }
    if (!(await signatureOk(key.public_key, parsed))) return { result: "invalid", reason: "signature" };
    const about = { ticket_id: parsed.ticketId, section: parsed.section, seq: parsed.seq };
    if (parsed.eventId !== data.event.event_id) return { result: "wrong_event", ...about };
    const sections = data.list?.sections;
    if (sections?.length && !sections.includes(parsed.section)) return { result: "wrong_list", ...about };
    const ticket = this.tickets.get(parsed.ticketId);
    if (!ticket) return { result: "invalid", reason: "unknown_ticket", ...about };
    if (ticket.status !== "valid") return { result: "void", ...about };
    // The name on the ticket, from the offline copy (names given after it was downloaded
    // show after the next sync).
    if (ticket.attendee_name) about.attendee_name = ticket.attendee_name;
    if (parsed.totp === null) {
      if (!data.static_codes) return { result: "stale", reason: "static_not_allowed", ...about };
    } else if (!(await totpFresh(ticket.rotation_secret, parsed.totp, now))) {
      return { result: "stale", reason: "expired_code", ...about };
    }
    const mine = this.local.get(parsed.ticketId);
    const inside = mine ? mine.inside : ticket.inside;
    const reentry = Boolean(data.list?.reentry);
    if (direction === "out") return { result: reentry && inside ? "exited" : "not_inside", ...about };
    if (inside) {
      const first = mine?.gate ? { gate: mine.gate, at: mine.at } : null;
      return { result: "already_in", first, ...about };
    }
    return { result: "admitted", ...about };
  }

  /**
   * Scan a code at this gate: online through POST /checkins, else (or when the network
   * fails) checked here and queued. Resolves to the verdict plus {offline, ms}.
   */
  async scan(code, { direction = "in" } = {}) {
    const scannedAt = new Date().toISOString();
    const body = {
      code: code.trim(), gate: this.gate, device_id: this.device, scanned_at: scannedAt, direction,
      event_id: this.eventId,
    };
    if (this.listId) body.list_id = this.listId;
    if (navigator.onLine) {
      try {
        const verdict = await this.api.post("/checkins", body);
        if (RESULTS.includes(verdict.result)) {
          await this.#remember(verdict, direction, scannedAt);
          // The server says "stale" either way; the code itself tells the gate which one.
          if (verdict.result === "stale") {
            verdict.reason = parseCode(code)?.totp ? "expired_code" : "static_not_allowed";
          }
          return { ...verdict, offline: false };
        }
      } catch (err) {
        // Offline, or the server cannot answer now (503): the door keeps working locally.
        if (!(err instanceof ApiError) || (err.status !== 0 && err.status < 500)) throw err;
      }
    }
    const started = performance.now();
    const verdict = await this.check(code, { direction });
    const ms = performance.now() - started;
    if (verdict.ticket_id) {
      await db.put("queue", {
        key: this.key, code: body.code, gate: this.gate, scanned_at: scannedAt, direction,
        local_result: verdict.result, ticket_id: verdict.ticket_id,
      });
      await this.#remember(verdict, direction, scannedAt);
    }
    return { ...verdict, offline: true, ms };
  }

  async #remember(verdict, direction, at) {
    if (!["admitted", "exited"].includes(verdict.result) || !verdict.ticket_id) return;
    const row = {
      key: `${this.key}|${verdict.ticket_id}`, ticket_id: verdict.ticket_id,
      inside: verdict.result === "admitted", gate: this.gate, at,
    };
    this.local.set(verdict.ticket_id, row);
    await db.put("local", row);
  }

  /** Scans of this event and list still waiting to upload. */
  async pending() {
    return (await db.all("queue")).filter((s) => s.key === this.key);
  }

  /**
   * Upload the queued scans (POST /checkins/sync), then download fresh data. Resolves to
   * {uploaded, conflicts}; one sync at a time; throws ApiError when the server is not reached.
   */
  sync() {
    if (!this.syncing) {
      this.syncing = this.#sync().finally(() => (this.syncing = null));
    }
    return this.syncing;
  }

  async #sync() {
    const queued = await this.pending();
    let conflicts = 0;
    if (queued.length) {
      const body = {
        device_id: this.device,
        event_id: this.eventId,
        scans: queued.map((s) => ({
          code: s.code, gate: s.gate, scanned_at: s.scanned_at, direction: s.direction,
          local_result: s.local_result,
        })),
      };
      if (this.listId) body.list_id = this.listId;
      const answer = await this.api.post("/checkins/sync", body);
      conflicts = answer.results.filter((r) => r.conflict).length;
      for (const s of queued) await db.delete("queue", s.id);
    }
    await this.download();
    this.lastSync = new Date().toISOString();
    this.conflicts += conflicts;
    await db.put("meta", { key: this.key, at: this.lastSync });
    return { uploaded: queued.length, conflicts };
  }
}
