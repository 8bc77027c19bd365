// An invitation link opened: which team and role it offers, and a button that joins it. The account
// signed in must have the invited address (the API says so in words otherwise).
import { ApiError } from "../../shared/api.js";
import { announce, api, chooseOrg, link, page, problemText, reloadOrgs, t } from "../core.js";
import { h } from "../dom.js";

export default async function invitation({ query }) {
  const token = query.get("token") || "";
  const result = h("div", { role: "status" });
  const button = h("button", { type: "button", class: "primary", dataset: { testid: "accept" } }, t("invite.accept"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const joined = await api.post("/invitations/accept", { token });
      await reloadOrgs();
      chooseOrg(joined.org_id);
      announce(t("invite.joined", { org: joined.name }));
      result.replaceChildren(
        h("p", {}, t("invite.joined_as", { org: joined.name, role: t(`team.role.${joined.role}`) })),
        h("p", { class: "actions wrap" },
          link("/team", t("invite.to_team"), { class: "button secondary" }),
          link("/", t("invite.to_events"), { class: "button primary" })),
      );
      button.hidden = true;
    } catch (err) {
      button.disabled = false;
      result.replaceChildren(h("p", { class: "summary", role: "alert" },
        err instanceof ApiError ? problemText(err) : String(err)));
    }
  });
  return { nodes: page("invite.title", {}, h("p", {}, t("invite.intro")), button, result) };
}
