// Sign in and register: one form each, errors next to the field they concern.
import { ApiError } from "../../shared/api.js";
import { api, h, i18n, navigate, problemText, screen, t } from "../core.js";
import { notice } from "../parts/common.js";

function field(name, type, autocomplete, extra = {}, hint = "") {
  const id = `f-${name}`;
  const described = hint ? `${id}-hint ${id}-err` : `${id}-err`;
  const input = h("input", { id, name, type, autocomplete, required: true, "aria-describedby": described, ...extra });
  const error = h("p", { class: "error", id: `${id}-err` });
  const wrap = h("div", { class: "field" }, h("label", { for: id }, t(`auth.${name}`)),
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null, input, error);
  return { wrap, input, error };
}

export default async function auth(main, { mode, query }) {
  const register = mode === "register";
  const next = query.get("next") || "/";
  const safeNext = next.startsWith("/") && !next.startsWith("//") ? next : "/";
  const fields = register
    ? [field("name", "text", "name", { required: false }), field("email", "email", "email"), field("password", "password", "new-password", { minlength: 12 }, t("auth.password_hint"))]
    : [field("email", "email", "username"), field("password", "password", "current-password")];
  const status = h("div", { role: "alert" });
  const submit = h("button", { class: "btn", type: "submit" }, t(register ? "auth.register" : "auth.signin"));
  const form = h("form", { novalidate: true }, status, ...fields.map((f) => f.wrap), submit);
  const other = register
    ? h("p", {}, t("auth.have_account"), " ", h("a", { href: `/signin?next=${encodeURIComponent(safeNext)}` }, t("auth.signin")))
    : h("p", {}, t("auth.no_account"), " ", h("a", { href: `/register?next=${encodeURIComponent(safeNext)}` }, t("auth.register")));
  const forgot = register ? [] : [h("p", {}, h("a", { href: "/forgot", id: "forgot-link" }, t("account.forgot_link")))];
  screen(main, t(register ? "auth.register_title" : "auth.signin_title"), form, other, ...forgot);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    status.replaceChildren();
    for (const f of fields) {
      f.error.textContent = "";
      f.wrap.classList.remove("invalid");
      f.input.removeAttribute("aria-invalid");
    }
    const values = Object.fromEntries(fields.map((f) => [f.input.name, f.input.value.trim()]));
    values.password = fields.find((f) => f.input.name === "password").input.value;
    const missing = fields.filter((f) => f.input.required && !f.input.value);
    if (missing.length) {
      for (const f of missing) showError(f, t("auth.required"));
      missing[0].input.focus();
      return;
    }
    submit.disabled = true;
    try {
      if (register) {
        // The language only when the fan picked one; otherwise the server takes the phone's
        // (Accept-Language) and the profile keeps following it.
        const body = { email: values.email, password: values.password };
        if (localStorage.getItem("onsale.lang")) body.locale = i18n.lang;
        if (values.name) body.name = values.name;
        await api.register(body);
        try {
          await api.login(values.email, values.password);
        } catch (err) {
          if (!(err instanceof ApiError) || err.status !== 401) throw err;
          // Registering answers the same for a taken address; its owner got an email. Say
          // so here, in words that fit this page, without telling whether it exists.
          submit.disabled = false;
          form.replaceWith(notice("warn", t("account.exists_maybe", { email: values.email })),
            h("p", {}, h("a", { class: "btn", href: `/signin?next=${encodeURIComponent(safeNext)}` }, t("auth.signin"))),
            h("p", {}, h("a", { href: "/forgot" }, t("account.forgot_link"))));
          return;
        }
        navigate(safeNext, { replace: true });
        return;
      }
      await api.login(values.email, values.password);
      navigate(safeNext, { replace: true });
    } catch (err) {
      submit.disabled = false;
      let shown = false;
      if (err instanceof ApiError) {
        const names = fields.map((f) => f.input.name);
        for (const f of fields) {
          const errors = err.errorsFor(f.input.name);
          if (errors.length) {
            showError(f, errors.map((e) => i18n.fieldError(e)).join(" "));
            shown = true;
          }
        }
        // Errors about anything not on the form still reach the fan, translated.
        const rest = err.errors.filter((e) => !names.some((n) => e.field === n || e.field?.endsWith(`.${n}`)));
        if (shown && rest.length) status.replaceChildren(notice("bad", rest.map((e) => i18n.fieldError(e)).join(" ")));
      }
      if (!shown) status.replaceChildren(notice("bad", err.status === 401 ? t("auth.wrong") : problemText(err)));
      (fields.find((f) => f.input.getAttribute("aria-invalid")) || fields[0]).input.focus();
    }
  });
}

function showError(f, message) {
  f.error.textContent = message;
  f.wrap.classList.add("invalid");
  f.input.setAttribute("aria-invalid", "true");
}
