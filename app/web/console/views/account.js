// The signed-in account: two-factor status, enrolment for organizers, new recovery codes.
import { ApiError } from "../../shared/api.js";
import { api, navigate, page, profile, t } from "../core.js";
import { field, h } from "../dom.js";
import { form } from "../parts/forms.js";
import { enrolStep } from "../parts/totp.js";

export default async function account() {
  const me = profile();
  const status = await api.get("/auth/totp");
  const main = document.getElementById("main");
  const organizer = me.roles.includes("organizer") || me.roles.includes("admin");
  const parts = [
    h("dl", { class: "pairs" },
      h("dt", {}, t("account.email")), h("dd", {}, me.email),
      h("dt", {}, t("account.roles")), h("dd", {}, me.roles.map((r) => t(`role.${r}`)).join(", ")),
      h("dt", {}, t("account.totp")), h("dd", { dataset: { testid: "totp-state" } }, t(status.enabled ? "account.totp_on" : "account.totp_off")),
      status.enabled ? [h("dt", {}, t("account.codes_left")), h("dd", {}, String(status.recovery_codes_left))] : null),
  ];
  if (!status.enabled && organizer) {
    parts.push(h("button", { type: "button", class: "primary", onclick: async () => {
      try {
        await enrolStep(main, { onDone: () => navigate("/account", { replace: true }) });
      } catch (err) {
        alertBox.textContent = err instanceof ApiError ? err.detail : String(err);
      }
    } }, t("account.enrol")));
  }
  if (status.enabled) {
    const codes = h("div");
    parts.push(h("h2", {}, t("account.new_codes")), h("p", {}, t("account.new_codes_intro")),
      form([field({ label: t("signin.code"), name: "code", attrs: { autocomplete: "one-time-code", required: true } })], async (el) => {
        try {
          const body = await api.post("/auth/totp/recovery-codes", { code: el.elements.code.value.trim() });
          codes.replaceChildren(h("ol", { class: "codes" }, body.recovery_codes.map((c) => h("li", {}, h("code", {}, c)))));
        } catch (err) {
          if (err instanceof ApiError && !err.errors.length) err.errors = [{ field: "code", message: err.detail }];
          throw err;
        }
      }, "account.new_codes_do"), codes);
  }
  if (status.required) parts.push(h("p", { class: "hint" }, t("account.required")));
  const alertBox = h("p", { role: "alert" });
  return { nodes: page("account.title", {}, ...parts, alertBox) };
}
