// A fan's place, kept live: Server-Sent Events with ?token=, polling at poll_after_s when the
// stream is cut, and back to the stream once it answers again. Survives reloads (the place is
// the account's, so joining again returns it) and dropped networks.
import { ApiError } from "../shared/api.js";
import { api } from "./core.js";

const FINAL = new Set(["admitted", "expired", "closed", "phase_ended"]);
const SSE_RETRY_MIN_S = 3;
const SSE_RETRY_MAX_S = 60;
// The server pushes at least every 30 s; silence beyond this means the stream is dead.
const STREAM_SILENCE_S = 45;

export class QueueLive {
  /** onStatus(status), onTransport("sse" | "poll" | "offline" | "done"), onError(err),
   * onPow(share 0..1) while a proof of work for the join is being solved. */
  constructor(eventId, { onStatus, onTransport, onError, onPow = () => {} }) {
    this.onPow = onPow;
    this.eventId = eventId;
    this.path = `/events/${eventId}/queue`;
    this.onStatus = onStatus;
    this.onTransport = onTransport;
    this.onError = onError;
    this.es = null;
    this.pollTimer = null;
    this.watchdog = null;
    this.sseRetryS = SSE_RETRY_MIN_S;
    this.sseRetryAt = 0;
    this.last = null;
    this.stopped = false;
    this.accessCode = null;
    this.online = () => this.poll();
    // A phone that loses its network has lost its stream too, whatever the socket says yet.
    this.offline = () => this.streamLost();
    addEventListener("online", this.online);
    addEventListener("offline", this.offline);
  }

  /** Join (or find our place again after a reload) and go live. */
  async start() {
    let status;
    let headers = {};
    for (let attempt = 0; ; attempt++) {
      try {
        // In a phase that asks for one, the access code opens the door (bound to us at first use).
        const body = this.accessCode ? { access_code: this.accessCode } : undefined;
        status = await api.post(this.path, body, { headers });
        break;
      } catch (err) {
        // Where the server asks joins for a proof of work (bots pay, one fan barely does).
        if (!(err instanceof ApiError) || err.code !== "pow_required" || attempt >= 2) throw err;
        headers = await this.proofOfWork();
      }
    }
    this.handle(status);
    if (!FINAL.has(status.state)) this.openStream(status.stream_token);
    return status;
  }

  async proofOfWork() {
    const { challenge, difficulty } = await api.get(`${this.path}/challenge`);
    if (!difficulty) return {};
    const { solve } = await import("./pow.js");
    this.onPow(0);
    const nonce = await solve(challenge, difficulty, (share) => this.onPow(share));
    return { "X-PoW-Challenge": challenge, "X-PoW-Nonce": nonce };
  }

  stop() {
    this.stopped = true;
    removeEventListener("online", this.online);
    removeEventListener("offline", this.offline);
    this.closeStream();
    clearTimeout(this.pollTimer);
  }

  handle(status) {
    if (this.stopped) return;
    this.last = status;
    this.onStatus(status);
    if (FINAL.has(status.state)) {
      this.closeStream();
      clearTimeout(this.pollTimer);
      this.onTransport("done");
    }
  }

  openStream(token) {
    if (this.stopped || !token || !window.EventSource) return this.schedulePoll();
    this.closeStream();
    const url = `/api/v1${this.path}/stream?token=${encodeURIComponent(token)}`;
    const es = new EventSource(url);
    this.es = es;
    this.armWatchdog(); // a stream that neither opens nor fails counts as lost
    es.addEventListener("open", () => {
      this.sseRetryS = SSE_RETRY_MIN_S;
      clearTimeout(this.pollTimer);
      this.onTransport("sse");
      this.armWatchdog();
    });
    es.addEventListener("status", (e) => {
      this.armWatchdog();
      this.handle(JSON.parse(e.data));
    });
    // Cut, refused (expired token) or ended by the server: poll, and try the stream later.
    es.addEventListener("error", () => this.streamLost());
  }

  armWatchdog() {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.streamLost(), STREAM_SILENCE_S * 1000);
  }

  closeStream() {
    clearTimeout(this.watchdog);
    if (this.es) {
      this.es.close();
      this.es = null;
    }
  }

  streamLost() {
    if (this.stopped || !this.es) return;
    this.closeStream();
    if (this.last && FINAL.has(this.last.state)) return;
    this.sseRetryAt = Date.now() + this.sseRetryS * 1000;
    this.sseRetryS = Math.min(this.sseRetryS * 2, SSE_RETRY_MAX_S);
    this.onTransport(navigator.onLine ? "poll" : "offline");
    this.poll();
  }

  schedulePoll(seconds) {
    clearTimeout(this.pollTimer);
    if (this.stopped) return;
    const wait = seconds ?? this.last?.poll_after_s ?? 5;
    // A little jitter keeps a crowd that lost its streams together from polling in lockstep.
    this.pollTimer = setTimeout(() => this.poll(), wait * 1000 * (0.9 + Math.random() * 0.2));
  }

  async poll() {
    if (this.stopped || this.es) return;
    clearTimeout(this.pollTimer);
    try {
      const status = await api.get(this.path);
      this.handle(status);
      if (FINAL.has(status.state)) return;
      this.onTransport("poll");
      if (Date.now() >= this.sseRetryAt) {
        this.openStream(status.stream_token);
        // Until the stream says it is open, the next poll stays scheduled.
      }
      this.schedulePoll(Math.min(status.poll_after_s, this.es ? this.sseRetryS : status.poll_after_s));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        // Our place is gone (left in another tab, or never joined): join again.
        try {
          await this.start();
        } catch (e) {
          this.onError(e);
        }
        return;
      }
      if (err instanceof ApiError && err.status && err.status !== 429 && err.status < 500) {
        this.onError(err);
        return;
      }
      this.onTransport(navigator.onLine ? "poll" : "offline");
      this.schedulePoll(err.retryAfter || Math.min((this.last?.poll_after_s ?? 5) * 2, 30));
    }
  }
}
