// Sign-in: password, then the second factor (a TOTP code or a recovery code), or first enrolment.
import { ApiError } from "../../shared/api.js";
import { announce, api, loadProfile, navigate, page, session, t, BASE } from "../app.js";
import { clearFieldErrors, field, h, showFieldErrors } from "../dom.js";

function nextPath(query) {
  const next = query.get("next") || "";
  return next.startsWith(`${BASE}/`) && !next.startsWith(`${BASE}/signin`)
    ? next.slice(BASE.length)
    : "/";
}

/** A form whose submit runs action(form); problems land next to fields or in the summary. */
export function form(children, action, submitKey) {
  const summary = h("div", { class: "summary", role: "alert", hidden: true });
  const button = h("button", { type: "submit", class: "primary" }, t(submitKey));
  const el = h("form", { novalidate: true }, summary, children, h("div", { class: "actions" }, button));
  el.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFieldErrors(el);
    summary.hidden = true;
    button.disabled = true;
    try {
      await action(el);
    } catch (err) {
      const rest = err instanceof ApiError ? showFieldErrors(el, err) : [];
      if (!(err instanceof ApiError) || !err.errors.length || rest.length) {
        summary.replaceChildren(
          h("h2", {}, t("form.problem")),
          // With field errors the list says it all, translated; `detail` is the server's English.
          ...(rest.length ? [] : [h("p", {}, err instanceof ApiError ? err.detail || err.title : String(err))]),
          ...(rest.length ? [h("ul", {}, rest.map((m) => h("li", {}, m)))] : []),
        );
        summary.hidden = false;
        summary.focus?.();
      }
    } finally {
      button.disabled = false;
    }
  });
  summary.tabIndex = -1;
  return el;
}

async function finish(tokens, query) {
  session.set(tokens);
  await loadProfile();
  navigate(nextPath(query), { replace: true });
}

function codeField() {
  return field({
    label: t("signin.code"),
    name: "code",
    hint: t("signin.code_hint"),
    attrs: { inputmode: "text", autocomplete: "one-time-code", required: true, spellcheck: "false" },
  });
}

function codeStep(main, challenge, query) {
  const f = form(
    [h("p", {}, t("signin.code_intro")), codeField()],
    async (el) => {
      const code = el.elements.code.value.trim();
      if (!code) throw new ApiError({ errors: [{ field: "code", message: t("signin.code_missing") }] }, 422, null);
      try {
        const tokens = await api.post(
          "/auth/login/totp",
          { challenge_token: challenge.challenge_token, code },
          { auth: false },
        );
        await finish(tokens, query);
      } catch (err) {
        if (err instanceof ApiError && (err.status === 401 || err.status === 429) && !err.errors.length) {
          err.errors = [{ field: "code", message: err.status === 429 ? t("signin.locked") : t("signin.code_wrong") }];
        }
        throw err;
      }
    },
    "signin.verify",
  );
  main.replaceChildren(...page("signin.code_title"), f);
  main.querySelector("h1").focus();
}

function recoveryStep(main, codes, onDone) {
  const ack = h("input", { type: "checkbox", id: "ack" });
  const go = h("button", { type: "button", class: "primary", disabled: true, onclick: onDone }, t("signin.continue"));
  ack.addEventListener("change", () => (go.disabled = !ack.checked));
  main.replaceChildren(
    ...page("signin.recovery_title"),
    h("p", {}, t("signin.recovery_intro")),
    h("ol", { class: "codes", "aria-label": t("signin.recovery_title") }, codes.map((c) => h("li", {}, h("code", {}, c)))),
    h("div", { class: "check" }, ack, h("label", { for: "ack" }, t("signin.recovery_ack"))),
    h("div", { class: "actions" }, go),
  );
  main.querySelector("h1").focus();
}

/** Enrolment: QR code + secret, then a first code confirms it; recovery codes are shown once. */
export async function enrolStep(main, { challenge = null, onDone }) {
  const body = challenge ? { challenge_token: challenge.challenge_token } : {};
  const enrolment = await api.post("/auth/totp/enrol", body, { auth: !challenge });
  const f = form(
    [codeField()],
    async (el) => {
      const code = el.elements.code.value.trim();
      const done = await api.post("/auth/totp/confirm", { ...body, code }, { auth: !challenge });
      announce(t("signin.enrolled"));
      recoveryStep(main, done.recovery_codes, () => onDone(done));
    },
    "signin.enable",
  );
  main.replaceChildren(
    ...page("signin.enrol_title"),
    h("p", {}, t("signin.enrol_intro")),
    h("div", { class: "enrol" },
      h("img", { src: enrolment.qr_svg, alt: t("signin.qr_alt"), width: 220, height: 220, class: "qr" }),
      h("div", {},
        h("p", {}, t("signin.secret_intro")),
        h("p", {}, h("code", { class: "secret", "data-testid": "totp-secret" }, enrolment.secret)),
        h("p", { class: "muted" }, t("signin.account", { account: enrolment.account })),
      ),
    ),
    f,
  );
  main.querySelector("h1").focus();
}

export default async function signin({ query }) {
  if (session.signedIn && (await loadProfile())) {
    navigate(nextPath(query), { replace: true });
    return { nodes: [] };
  }
  const main = document.getElementById("main");
  const f = form(
    [
      field({ label: t("signin.email"), name: "email", type: "email", attrs: { autocomplete: "username", required: true } }),
      field({ label: t("signin.password"), name: "password", type: "password", attrs: { autocomplete: "current-password", required: true } }),
    ],
    async (el) => {
      const email = el.elements.email.value.trim();
      const password = el.elements.password.value;
      let answer;
      try {
        answer = await api.post("/auth/login", { email, password }, { auth: false });
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) {
          err.errors = [{ field: "password", message: t("signin.wrong") }];
        }
        throw err;
      }
      if (answer.access_token) return finish(answer, query);
      if (answer.second_factor === "totp") return codeStep(main, answer, query);
      return enrolStep(main, { challenge: answer, onDone: (done) => finish(done.session, query) });
    },
    "signin.submit",
  );
  return { nodes: [...page("signin.title"), h("p", {}, t("signin.intro")), f] };
}
