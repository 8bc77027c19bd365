// Sign-in: password, then the second factor (a TOTP code or a recovery code), or first enrolment.
import { ApiError } from "../../shared/api.js";
import { api, BASE, loadProfile, navigate, page, session, t } from "../core.js";
import { field, h } from "../dom.js";
import { form } from "../parts/forms.js";
import { codeField, enrolStep } from "../parts/totp.js";

function nextPath(query) {
  const next = query.get("next") || "";
  return next.startsWith(`${BASE}/`) && !next.startsWith(`${BASE}/signin`)
    ? next.slice(BASE.length)
    : "/";
}

async function finish(tokens, query) {
  session.set(tokens);
  await loadProfile();
  navigate(nextPath(query), { replace: true });
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
