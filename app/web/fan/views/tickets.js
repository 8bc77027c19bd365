// My tickets: every ticket the fan holds or held, with its state, and tickets offered to them.
import { announce, api, h, navigate, problemText, requireSignIn, screen, t } from "../app.js";
import { notice, ticketState, when } from "./common.js";

export default async function tickets(main) {
  if (!requireSignIn()) return;
  screen(main, t("tickets.title"), h("p", {}, h("span", { class: "spinner" }), " ", t("common.loading")));
  let mine;
  try {
    mine = await api.get("/me/tickets");
  } catch (err) {
    screen(main, t("tickets.title"), notice("bad", problemText(err)));
    return;
  }
  const incoming = mine.incoming.map((x) => {
    const status = h("p", { class: "error", role: "alert", hidden: true });
    const accept = h("button", { type: "button", class: "btn" }, t("tickets.accept"));
    const decline = h("button", { type: "button", class: "btn secondary" }, t("tickets.decline"));
    accept.addEventListener("click", async () => {
      accept.disabled = decline.disabled = true;
      try {
        const got = await api.post(`/transfers/${x.transfer_id}/accept`);
        announce(t("tickets.accepted"));
        navigate(`/tickets/${got.ticket_id}`);
      } catch (err) {
        status.hidden = false;
        status.textContent = problemText(err);
        accept.disabled = decline.disabled = false;
      }
    });
    decline.addEventListener("click", async () => {
      accept.disabled = decline.disabled = true;
      try {
        await api.delete(`/transfers/${x.transfer_id}`);
        navigate("/tickets", { replace: true });
      } catch (err) {
        status.hidden = false;
        status.textContent = problemText(err);
        accept.disabled = decline.disabled = false;
      }
    });
    return h("li", { class: "card incoming", dataset: { transfer: x.transfer_id } },
      h("p", {}, h("strong", {}, x.event_name), h("br"),
        h("span", { class: "muted" }, when(x.starts_at, x.timezone, "medium"))),
      h("p", {}, t("tickets.offered_by", { email: x.from_email, seq: x.seq, section: x.section_name })),
      h("div", { class: "row actions" }, accept, decline), status);
  });
  const rows = mine.tickets.map((x) =>
    h("li", {}, h("a", { class: "card", href: `/tickets/${x.ticket_id}`, dataset: { status: x.status } },
      h("strong", {}, x.event_name), h("br"),
      h("span", { class: "muted" }, when(x.starts_at, x.timezone, "medium")), h("br"),
      h("span", {}, t("tickets.line", { seq: x.seq, section: x.section_name })), h("br"),
      h("span", { class: `badge ${x.status}` }, ticketState(x)))));
  const parts = [];
  if (incoming.length) {
    parts.push(h("section", { "aria-labelledby": "incoming-h" },
      h("h2", { id: "incoming-h" }, t("tickets.incoming")), h("ul", { class: "list" }, incoming)));
  }
  screen(main, t("tickets.title"), ...parts,
    rows.length ? h("ul", { class: "list", id: "my-tickets" }, rows)
      : h("p", {}, t("tickets.none"), " ", h("a", { href: "/" }, t("common.other_events"))),
    h("p", {}, h("a", { href: "/orders" }, t("tickets.orders"))));
}
