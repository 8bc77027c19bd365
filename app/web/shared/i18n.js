// Message catalogs (one JSON file per language) and Intl formatting in the user's locale.
//
// Markup carries keys, never text: <h1 data-i18n="title"></h1>, <input data-i18n-attr=
// "placeholder:email.hint">. t("key", {n: 3}) fills {n}; plural keys are objects
// {"one": "...", "other": "..."} chosen by Intl.PluralRules.

export class I18n {
  /**
   * languages: the catalogs that exist (["en", "de", ...]); url(lang): where its JSON lives
   * (use import.meta.resolve so the import map's fingerprinted URL is fetched).
   */
  constructor({ languages, url, storageKey = "onsale.lang" }) {
    this.languages = languages;
    this.url = url;
    this.storageKey = storageKey;
    this.lang = languages[0];
    this.messages = {};
    this.fallback = {};
    this.listeners = new Set();
  }

  /** The language to use: explicit choice, then profile, then browser, then the first. */
  pick(profileLocale) {
    const wanted = [localStorage.getItem(this.storageKey), profileLocale, ...navigator.languages];
    for (const tag of wanted) {
      const base = (tag || "").toLowerCase().split(/[-_]/)[0];
      if (this.languages.includes(base)) return base;
    }
    return this.languages[0];
  }

  /** Load and switch to a language; remember = the user chose it explicitly. */
  async use(lang, { remember = false } = {}) {
    if (!this.languages.includes(lang)) lang = this.languages[0];
    if (remember) localStorage.setItem(this.storageKey, lang);
    const [messages, fallback] = await Promise.all([
      this.#load(lang),
      lang === this.languages[0] ? null : this.#load(this.languages[0]),
    ]);
    this.lang = lang;
    this.messages = messages;
    this.fallback = fallback || messages;
    document.documentElement.lang = lang;
    for (const cb of this.listeners) cb(lang);
    return lang;
  }

  onChange(cb) {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** The message for key, with {name} placeholders filled; plural forms by params.count. */
  t(key, params = {}) {
    let msg = lookup(this.messages, key) ?? lookup(this.fallback, key) ?? key;
    if (typeof msg === "object") {
      const form = new Intl.PluralRules(this.lang).select(params.count ?? 0);
      msg = msg[form] ?? msg.other;
    }
    return msg.replace(/\{(\w+)\}/g, (_, name) => (name in params ? params[name] : `{${name}}`));
  }

  /**
   * One field error of a problem ({field, rule, message}) as a sentence in this language,
   * chosen by its stable `rule`, never the server's English `message`. Errors the app makes
   * itself carry no rule and are already translated.
   */
  fieldError(error) {
    if (!error?.rule) return error?.message || this.t("rules.invalid");
    const key = `rules.${error.rule}`;
    const text = this.t(key);
    return text === key ? this.t("rules.invalid") : text;
  }

  /** Fill data-i18n (textContent) and data-i18n-attr ("attr:key;attr:key") under root. */
  apply(root = document) {
    for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = this.t(el.dataset.i18n);
    for (const el of root.querySelectorAll("[data-i18n-attr]")) {
      for (const pair of el.dataset.i18nAttr.split(";")) {
        const [attr, key] = pair.split(":");
        el.setAttribute(attr.trim(), this.t(key.trim()));
      }
    }
  }

  /** Money from minor units, e.g. money(8900, "EUR") -> "89,00 €" in German. */
  money(cents, currency) {
    const digits = new Intl.NumberFormat("en", { style: "currency", currency })
      .resolvedOptions().maximumFractionDigits;
    return new Intl.NumberFormat(this.lang, { style: "currency", currency }).format(
      cents / 10 ** digits,
    );
  }

  /** Date and time in the event's time zone (opts override the Intl options). */
  dateTime(iso, timeZone, opts = { dateStyle: "full", timeStyle: "short" }) {
    return new Intl.DateTimeFormat(this.lang, { ...opts, timeZone }).format(new Date(iso));
  }

  number(n) {
    return new Intl.NumberFormat(this.lang).format(n);
  }

  /** A span of seconds in words: "about 3 minutes" style through Intl. */
  duration(seconds) {
    const s = Math.max(0, Math.round(seconds));
    const unit = s < 90 ? "second" : s < 5400 ? "minute" : s < 172800 ? "hour" : "day";
    const div = { second: 1, minute: 60, hour: 3600, day: 86400 }[unit];
    return new Intl.NumberFormat(this.lang, { style: "unit", unit, unitDisplay: "long" }).format(
      Math.round(s / div),
    );
  }

  /** "mm:ss" (or "h:mm:ss") countdown text. */
  clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, "0");
    const ss = String(s % 60).padStart(2, "0");
    return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
  }

  async #load(lang) {
    const res = await fetch(this.url(lang));
    if (!res.ok) throw new Error(`catalog ${lang}: HTTP ${res.status}`);
    return res.json();
  }
}

function lookup(messages, key) {
  return key.split(".").reduce((node, part) => (node == null ? undefined : node[part]), messages);
}
