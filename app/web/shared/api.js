// Onsale API client: JSON in and out, RFC 9457 problems as ApiError, session kept by refresh token.
//
// Used by the fan app and the organizer console. The session (access and refresh token)
// lives in localStorage under one key per app, so a reload or a new tab keeps it.

const API = "/api/v1";

/** A problem answer (RFC 9457) or a network failure (status 0, code "network"). */
export class ApiError extends Error {
  constructor(problem, status, retryAfter) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || (status ? `http_${status}` : "network");
    this.title = problem.title || "";
    this.detail = problem.detail || "";
    this.errors = problem.errors || [];
    this.retryAfter = retryAfter; // seconds, or null
    this.problem = problem; // every member, e.g. the `seats` of a seats_taken refusal
  }
  /** Every validation error ({field, rule, message}) of one field. */
  errorsFor(field) {
    return this.errors.filter((e) => e.field === field || e.field?.endsWith(`.${field}`));
  }
  /** The message of one field's first validation error, or "". */
  fieldError(field) {
    return this.errorsFor(field)[0]?.message || "";
  }
}

/** Access and refresh token of one app ("fan", "console"), in localStorage. */
export class Session {
  constructor(name) {
    this.key = `onsale.session.${name}`;
    this.listeners = new Set();
  }
  get() {
    try {
      return JSON.parse(localStorage.getItem(this.key)) || null;
    } catch {
      return null;
    }
  }
  /** Store a login/refresh answer: {access_token, expires_in, refresh_token?}. */
  set(login) {
    const old = this.get() || {};
    const value = {
      access_token: login.access_token,
      refresh_token: login.refresh_token || old.refresh_token || null,
      expires_at: Date.now() + (login.expires_in || 3600) * 1000,
    };
    localStorage.setItem(this.key, JSON.stringify(value));
    this.#emit(value);
  }
  clear() {
    localStorage.removeItem(this.key);
    this.#emit(null);
  }
  get signedIn() {
    return Boolean(this.get()?.access_token);
  }
  /** cb(session|null) whenever it changes (this tab or another). Returns an unsubscribe. */
  onChange(cb) {
    this.listeners.add(cb);
    const storage = (e) => e.key === this.key && cb(this.get());
    addEventListener("storage", storage);
    return () => {
      this.listeners.delete(cb);
      removeEventListener("storage", storage);
    };
  }
  #emit(value) {
    for (const cb of this.listeners) cb(value);
  }
}

export class Client {
  /** session: a Session; lang(): the Accept-Language to send (localized problem details). */
  constructor({ session, lang = () => navigator.language, base = API } = {}) {
    this.session = session;
    this.lang = lang;
    this.base = base;
    this.refreshing = null; // one refresh in flight, shared by every caller
    this.refreshMissing = false; // the server has no /auth/refresh (404): do not ask again
  }

  /**
   * fetch + JSON. opts: {method, body, headers, auth (default true), idempotent (adds an
   * Idempotency-Key; pass a string to reuse one on retries), signal, contentType (a string
   * body sent as is with this type, e.g. a CSV file; JSON otherwise), blob (true: a file
   * such as a PDF comes back as a Blob)}.
   */
  async request(path, opts = {}) {
    const res = await this.#send(path, opts);
    if (res.status === 401 && opts.auth !== false && (await this.refresh())) {
      return this.#read(await this.#send(path, opts), opts.blob);
    }
    if (res.status === 401 && opts.auth !== false && this.session?.signedIn) this.session.clear();
    return this.#read(res, opts.blob);
  }

  get(path, opts) {
    return this.request(path, { ...opts, method: "GET" });
  }
  post(path, body, opts) {
    return this.request(path, { ...opts, method: "POST", body });
  }
  put(path, body, opts) {
    return this.request(path, { ...opts, method: "PUT", body });
  }
  patch(path, body, opts) {
    return this.request(path, { ...opts, method: "PATCH", body });
  }
  delete(path, opts) {
    return this.request(path, { ...opts, method: "DELETE" });
  }

  async login(email, password) {
    const body = await this.post("/auth/login", { email, password }, { auth: false });
    this.session.set(body);
    return body;
  }

  async register(fields) {
    return this.post("/auth/register", fields, { auth: false });
  }

  /** Ends the session here and, where the server knows how, on the server too. */
  async logout() {
    const refresh_token = this.session.get()?.refresh_token;
    try {
      await this.post("/auth/logout", refresh_token ? { refresh_token } : {});
    } catch {
      // Logging out locally is what the user asked for; the server side is best effort.
    }
    this.session.clear();
  }

  /** Trade the refresh token for a new pair. False when there is none or it was refused. */
  async refresh() {
    const current = this.session?.get();
    if (!current?.refresh_token || this.refreshMissing) return false;
    if (!this.refreshing) {
      this.refreshing = (async () => {
        try {
          const res = await this.#send("/auth/refresh", {
            method: "POST",
            body: { refresh_token: current.refresh_token },
            auth: false,
          });
          if (res.status === 404) {
            this.refreshMissing = true; // older server: keep the access token until it expires
            return false;
          }
          if (!res.ok) {
            this.session.clear();
            return false;
          }
          this.session.set(await res.json());
          return true;
        } catch {
          return false;
        } finally {
          setTimeout(() => (this.refreshing = null), 0);
        }
      })();
    }
    return this.refreshing;
  }

  async #send(path, { method = "GET", body, headers = {}, auth = true, idempotent, signal, contentType }) {
    const h = { Accept: "application/json", "Accept-Language": this.lang(), ...headers };
    const raw = contentType && typeof body === "string";
    if (body !== undefined) h["Content-Type"] = raw ? contentType : "application/json";
    const token = auth ? this.session?.get()?.access_token : null;
    if (token) h.Authorization = `Bearer ${token}`;
    if (idempotent) h["Idempotency-Key"] = idempotent === true ? newKey() : idempotent;
    try {
      return await fetch(this.base + path, {
        method,
        headers: h,
        body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError({ title: "Network error", detail: String(err.message || err) }, 0, null);
    }
  }

  async #read(res, blob = false) {
    if (res.status === 204) return null;
    if (blob && res.ok) return res.blob();
    const type = res.headers.get("Content-Type") || "";
    const body = type.includes("json") ? await res.json().catch(() => ({})) : await res.text();
    if (res.ok) return body;
    const retry = res.headers.get("Retry-After");
    throw new ApiError(
      typeof body === "object" ? body : { detail: body },
      res.status,
      retry === null ? null : Number(retry),
    );
  }
}

/** A fresh Idempotency-Key (keep it for retries of the same action). */
export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`.slice(2);
}
