// Account recovery and proof of address: ask for a reset link, set a new password from it,
// and open an email-verification link. The answers never say whether an account exists.
import { ApiError } from "../../shared/api.js";
import { announce, api, h, i18n, problemText, screen, t } from "../core.js";
import { notice } from "../parts/common.js";

function field(name, type, autocomplete, label, hint = "") {
  const id = `f-${name}`;
  const input = h("input", { id, name, type, autocomplete, required: true,
    "aria-describedby": hint ? `${id}-hint ${id}-err` : `${id}-err` });
  const error = h("p", { class: "error", id: `${id}-err` });
  const wrap = h("div", { class: "field" }, h("label", { for: id }, label),
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null, input, error);
  const show = (message) => {
    error.textContent = message;
    wrap.classList.toggle("invalid", Boolean(message));
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  return { wrap, input, show };
}

function forgot(main) {
  const email = field("email", "email", "username", t("auth.email"));
  const status = h("div", { role: "alert", id: "account-status" });
  const submit = h("button", { class: "btn", type: "submit" }, t("account.send_link"));
  const form = h("form", { novalidate: true, id: "forgot-form" }, h("p", {}, t("account.forgot_intro")), email.wrap, status, submit);
  screen(main, t("account.forgot_title"), form, h("p", {}, h("a", { href: "/signin" }, t("account.back_to_signin"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    email.show("");
    status.replaceChildren();
    if (!email.input.value.trim()) {
      email.show(t("auth.required"));
      email.input.focus();
      return;
    }
    submit.disabled = true;
    try {
      await api.post("/auth/password-reset", { email: email.input.value.trim() }, { auth: false });
      // The same words whether or not the address has an account.
      form.replaceWith(notice("ok", t("account.link_sent", { email: email.input.value.trim() })),
        h("p", { class: "muted" }, t("account.link_sent_hint")));
      announce(t("account.link_sent", { email: email.input.value.trim() }));
    } catch (err) {
      submit.disabled = false;
      status.replaceChildren(notice("bad", problemText(err)));
    }
  });
}

function reset(main, token) {
  const password = field("password", "password", "new-password", t("account.new_password"), t("auth.password_hint"));
  password.input.minLength = 12;
  const status = h("div", { role: "alert", id: "account-status" });
  const submit = h("button", { class: "btn", type: "submit" }, t("account.set_password"));
  const form = h("form", { novalidate: true, id: "reset-form" }, password.wrap, status, submit);
  screen(main, t("account.reset_title"), form);
  if (!token) {
    form.replaceWith(invalidLink());
    return;
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    password.show("");
    status.replaceChildren();
    if (!password.input.value) {
      password.show(t("auth.required"));
      password.input.focus();
      return;
    }
    submit.disabled = true;
    try {
      await api.post("/auth/password-reset/confirm", { token, password: password.input.value }, { auth: false });
      form.replaceWith(notice("ok", t("account.password_set")),
        h("a", { class: "btn", href: "/signin" }, t("auth.signin")));
      announce(t("account.password_set"));
    } catch (err) {
      submit.disabled = false;
      if (err instanceof ApiError && err.code === "link_invalid") {
        form.replaceWith(invalidLink());
        return;
      }
      const fieldErrors = err instanceof ApiError ? err.errorsFor("password") : [];
      if (fieldErrors.length) {
        password.show(fieldErrors.map((x) => i18n.fieldError(x)).join(" "));
        password.input.focus();
      } else {
        status.replaceChildren(notice("bad", problemText(err)));
      }
    }
  });
}

function invalidLink() {
  return h("div", { id: "account-status" }, notice("bad", t("account.link_invalid")),
    h("a", { class: "btn", href: "/forgot" }, t("account.new_link")));
}

async function verify(main, token) {
  const box = h("div", { id: "account-status", role: "status" }, h("p", {}, h("span", { class: "spinner" }), " ", t("common.loading")));
  screen(main, t("account.verify_title"), box);
  try {
    if (!token) throw new ApiError({ code: "link_invalid" }, 400);
    await api.post("/auth/verify-email", { token }, { auth: false });
    box.replaceChildren(notice("ok", t("account.verified")), h("a", { class: "btn", href: "/" }, t("notfound.back")));
    announce(t("account.verified"));
  } catch (err) {
    box.replaceChildren(err instanceof ApiError && err.code === "link_invalid"
      ? notice("bad", t("account.verify_invalid"))
      : notice("bad", problemText(err)));
  }
}

export default async function account(main, { mode, query }) {
  if (mode === "forgot") return forgot(main);
  const token = query.get("token") || "";
  // The link's token leaves the address bar (and history) once read.
  if (token) history.replaceState(null, "", location.pathname);
  if (mode === "reset") return reset(main, token);
  return verify(main, token);
}
