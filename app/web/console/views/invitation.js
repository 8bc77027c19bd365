// An invitation link opened: a button that joins the team (then its team page opens). The account
// signed in must have the invited address (the API says so in words otherwise).
import { ApiError } from "../../shared/api.js";
import { announce, api, chooseOrg, navigate, page, problemText, reloadOrgs, t } from "../core.js";
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
      // The team page of the organization joined, with the menu of a member.
      announce(t("invite.joined_as", { org: joined.name, role: t(`team.role.${joined.role}`) }));
      navigate("/team", { replace: true });
    } catch (err) {
      button.disabled = false;
      result.replaceChildren(h("p", { class: "summary", role: "alert" },
        err instanceof ApiError ? problemText(err) : String(err)));
    }
  });
  return { nodes: page("invite.title", {}, h("p", {}, t("invite.intro")), button, result) };
}
