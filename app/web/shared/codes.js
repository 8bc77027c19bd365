// Ticket codes in the browser: parse a T2 code in its one canonical spelling, check its Ed25519
// signature with WebCrypto, and compute or check the rotating TOTP suffix (HMAC-SHA1, 15 s).
//
// The fan app computes what it shows (signed code + 6 digits of the current step); the scanner
// checks a code offline with only the event's public key and the ticket's rotation secret from
// its check-in data. Mirrors app/tickets/codes.py: one spelling per code, anything a decoder
// would forgive (padding, + and /, stray bits, inner whitespace, case changes) is refused.

export const STEP_S = 15;
export const DIGITS = 6;
export const WINDOW_STEPS = 1; // steps accepted either side of now: a screenshot dies in ≤ 45 s
const VERSION = "T2";
const CODE = /^T2\.([A-Za-z0-9_-]{8,600})\.([A-Za-z0-9_-]{86})(?:\.([0-9]{6}))?$/;

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function b64url(bytes) {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url without padding, only in the spelling that encodes back to itself; else null. */
export function fromB64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text) {
    value = (value << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  const bytes = new Uint8Array(out);
  return b64url(bytes) === text ? bytes : null;
}

/** base32 (RFC 4648, padding optional) as sent for rotation secrets; null when not base32. */
export function fromB32(text) {
  const clean = text.replace(/=+$/, "");
  if (!/^[A-Z2-7]*$/.test(clean)) return null;
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    value = (value << 5) | B32.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  return new Uint8Array(out);
}

/**
 * The parts of a code, signature not yet checked: {kid, ticketId, eventId, section, seq,
 * seat, signed, message, signature, totp}, or null when it is not a canonical T2 code. A
 * ticket with a reserved seat carries its seat id as a sixth member (seat "" without one).
 */
export function parseCode(text) {
  const m = CODE.exec(String(text).trim());
  if (!m) return null;
  const [, payloadText, sigText, totp] = m;
  const payload = fromB64url(payloadText);
  const signature = fromB64url(sigText);
  if (!payload || !signature || signature.length !== 64) return null;
  let json;
  let claim;
  try {
    json = new TextDecoder("utf-8", { fatal: true }).decode(payload);
    claim = JSON.parse(json);
  } catch {
    return null;
  }
  if (!Array.isArray(claim) || (claim.length !== 5 && claim.length !== 6)) return null;
  const [kid, ticketId, eventId, section, seq, seat = ""] = claim;
  const strings = [kid, ticketId, eventId, section, seat].every((s) => typeof s === "string");
  if (!strings || !Number.isSafeInteger(seq)) return null;
  if (claim.length === 6 && seat === "") return null;
  // The compact JSON the server signs, and nothing else that parses to the same array.
  if (JSON.stringify(claim) !== json) return null;
  const message = `${VERSION}.${payloadText}`;
  return {
    kid, ticketId, eventId, section, seq, seat,
    signed: `${message}.${sigText}`,
    message: new TextEncoder().encode(message),
    signature,
    totp: totp ?? null,
  };
}

const keys = new Map(); // public key (base64url) -> Promise<CryptoKey>

/** An event's published public key (raw 32 bytes, base64url) as a WebCrypto verify key. */
export function importPublicKey(raw) {
  if (!keys.has(raw)) {
    const bytes = fromB64url(raw);
    if (!bytes || bytes.length !== 32) return Promise.reject(new Error("not an Ed25519 key"));
    keys.set(raw, crypto.subtle.importKey("raw", bytes, { name: "Ed25519" }, false, ["verify"]));
  }
  return keys.get(raw);
}

/** Whether the published key signed this parsed code. */
export async function signatureOk(publicKeyB64, parsed) {
  const key = await importPublicKey(publicKeyB64);
  return crypto.subtle.verify({ name: "Ed25519" }, key, parsed.signature, parsed.message);
}

export const stepAt = (ms) => Math.floor(ms / 1000 / STEP_S);

const hmacKeys = new Map(); // secret (base32) -> Promise<CryptoKey>

function hmacKey(secretB32) {
  if (!hmacKeys.has(secretB32)) {
    const raw = fromB32(secretB32);
    if (!raw || raw.length === 0) return Promise.reject(new Error("not a base32 secret"));
    hmacKeys.set(
      secretB32,
      crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-1" }, false, ["sign"]),
    );
  }
  return hmacKeys.get(secretB32);
}

/** RFC 6238 TOTP of one step (HMAC-SHA1, dynamic truncation, 6 digits). */
export async function totpAtStep(secretB32, step) {
  const counter = new DataView(new ArrayBuffer(8));
  counter.setUint32(0, Math.floor(step / 2 ** 32));
  counter.setUint32(4, step >>> 0);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secretB32), counter));
  const offset = mac[mac.length - 1] & 0x0f;
  const value =
    (((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) |
      mac[offset + 3]) >>> 0;
  return String(value % 10 ** DIGITS).padStart(DIGITS, "0");
}

/** Whether the digits are the TOTP of the step at `ms` or one step either side. */
export async function totpFresh(secretB32, digits, ms) {
  const now = stepAt(ms);
  let ok = false;
  for (let s = now - WINDOW_STEPS; s <= now + WINDOW_STEPS; s++) {
    ok = (await totpAtStep(secretB32, s)) === digits || ok;
  }
  return ok;
}

/** What the fan app shows at `ms`: the signed code and the current step's digits. */
export async function rotatingCode(signed, secretB32, ms) {
  return `${signed}.${await totpAtStep(secretB32, stepAt(ms))}`;
}
