// Two-factor pieces shared by sign-in and the account page: the code field and first enrolment.
import { announce, api, page, t } from "../core.js";
import { field, h } from "../dom.js";
import { form } from "./forms.js";

export function codeField() {
  return field({
    label: t("signin.code"),
    name: "code",
    hint: t("signin.code_hint"),
    attrs: { inputmode: "text", autocomplete: "one-time-code", required: true, spellcheck: "false" },
  });
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
