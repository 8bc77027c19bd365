// Sign-in for door staff: email and password, then a second-factor code when the account has one.
import {
  ApiError, BASE, api, h, i18n, navigate, notice, problemText, screen, session, t,
} from "../context.js";

function nextPath(query) {
  const next = query.get("next") || "";
  return next.startsWith(`${BASE}/`) && !next.startsWith(`${BASE}/signin`) ? next.slice(BASE.length) : "/";
}

function field(id, label, attrs) {
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    h("input", { id, name: id, ...attrs }),
    h("p", { class: "error", id: `${id}-err`, hidden: true }));
}

function form(children, submitKey, action) {
  const problem = h("div", { class: "notice bad", role: "alert", hidden: true, tabindex: "-1" });
  const button = h("button", { type: "submit", class: "btn" }, t(submitKey));
  const el = h("form", { novalidate: true }, problem, children, button);
  el.addEventListener("submit", async (e) => {
    e.preventDefault();
    problem.hidden = true;
    button.disabled = true;
    try {
      await action(el);
    } catch (err) {
      problem.textContent = err instanceof ApiError && err.status === 401 && !err.errors.length
        ? t("signin.wrong")
        : problemText(err);
      problem.hidden = false;
      problem.focus();
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

export default async function signin(main, { query }) {
  if (session.signedIn) {
    navigate(nextPath(query), { replace: true });
    return;
  }
  const done = (tokens) => {
    session.set(tokens);
    navigate(nextPath(query), { replace: true });
  };
  const codeStep = (challenge) => {
    screen(main, t("signin.code_title"), form(
      [h("p", {}, t("signin.code_intro")),
        field("f-code", t("signin.code"), { inputmode: "numeric", autocomplete: "one-time-code", required: true })],
      "signin.verify",
      async (el) => {
        const tokens = await api.post("/auth/login/totp",
          { challenge_token: challenge.challenge_token, code: el.elements["f-code"].value.trim() },
          { auth: false });
        done(tokens);
      }));
    main.querySelector("h1").focus();
  };
  screen(main, t("signin.title"),
    h("p", { class: "muted" }, t("signin.intro")),
    form([
      field("f-email", t("signin.email"), { type: "email", autocomplete: "username", required: true }),
      field("f-password", t("signin.password"), { type: "password", autocomplete: "current-password", required: true }),
    ], "signin.submit", async (el) => {
      const email = el.elements["f-email"].value.trim();
      const password = el.elements["f-password"].value;
      if (!email || !password) throw new Error(t("signin.required"));
      const answer = await api.post("/auth/login", { email, password }, { auth: false });
      if (answer.second_factor === "totp") return codeStep(answer);
      if (answer.second_factor) {
        main.querySelector("form").before(notice("warn", t("signin.enrol_first")));
        return;
      }
      done(answer);
    }));
  document.documentElement.lang = i18n.lang;
}
