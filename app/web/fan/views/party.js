// Joining a friend's party from an invite link (or its QR code): one place, let in together.
import { ApiError } from "../../shared/api.js";
import { announce, h, navigate, problemText, screen, session, t } from "../core.js";
import { postWithPow } from "../entry.js";
import { getEvent, notice, when } from "../parts/common.js";

export default async function partyInvite(main, { params: [id], query }) {
  const code = query.get("code") || "";
  if (!session.signedIn) {
    navigate(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    return;
  }
  let event;
  try {
    event = await getEvent(id, { fresh: true });
  } catch (err) {
    screen(main, t("notfound.title"), notice("bad", problemText(err)));
    return;
  }
  const status = h("div", { role: "alert", id: "party-status" });
  const join = h("button", { class: "btn", type: "button", id: "party-join" }, t("party.join"));
  screen(main, t("party.join_title"),
    h("p", {}, h("strong", {}, event.name), h("br"),
      h("span", { class: "muted" }, event.venue, " · ", when(event.starts_at, event.timezone, "medium"))),
    h("p", {}, t("party.join_explain")), status, join);
  if (!code) {
    status.replaceChildren(notice("bad", t("party.invalid")));
    join.remove();
    return;
  }
  join.addEventListener("click", async () => {
    join.disabled = true;
    status.replaceChildren();
    try {
      await postWithPow(id, `/events/${id}/party/join`, { invite_code: code });
      announce(t("party.joined"));
      navigate(`/events/${id}/queue`, { replace: true });
    } catch (err) {
      join.disabled = false;
      status.replaceChildren(notice("bad", err instanceof ApiError && err.status === 404 ? t("party.invalid") : problemText(err)));
    }
  });
}
