// Outgoing webhooks: an event's own (/events/<id>/webhooks) or the organizer's catch-all ones for
// every event (/webhooks). Add one (its signing secret shown once), remove one after a
// confirmation, read each one's delivery log (status, attempts, the receiver's last answer) and
// replay a delivery.
import { ApiError } from "../../shared/api.js";
import { announce, api, i18n, link, page, problemText, t } from "../core.js";
import { field, h } from "../dom.js";
import { confirmAction } from "../parts/confirm.js";
import { form } from "../parts/forms.js";

const TOPICS = ["order.confirmed", "order.refunded", "sale.sold_out"];

function when(iso) {
  return iso ? new Intl.DateTimeFormat(i18n.lang, { dateStyle: "short", timeStyle: "medium" }).format(new Date(iso)) : "—";
}

const topicName = (topic) => t(`hooks.topic_${topic.replace(".", "_")}`);

export default async function webhooks({ params }) {
  const eventId = params[0] || null;
  const base = eventId ? `/events/${eventId}/webhooks` : "/organizer/webhooks";
  const event = eventId ? await api.get(`/events/${eventId}`) : null;
  let hooks = (await api.get(base)).items;

  const listBox = h("div");
  const secretBox = h("div", { role: "status" });
  const feedback = h("p", { role: "status" });

  function deliveryItem(hook, d, redraw) {
    const replay = async () => {
      if (d.status === "sent") {
        const ok = await confirmAction({
          title: t("hooks.replay_title"),
          body: t("hooks.replay_sent_body", { url: hook.url }),
          confirm: t("hooks.replay"),
          cancel: t("confirm.cancel"),
          tone: "primary",
          testid: "confirm-replay",
        });
        if (!ok) return;
      }
      try {
        await api.post(`${base}/${hook.webhook_id}/deliveries/${d.delivery_id}/replay`);
        announce(t("hooks.replayed", { id: d.delivery_id }));
        feedback.textContent = t("hooks.replayed", { id: d.delivery_id });
        await redraw();
      } catch (err) {
        feedback.textContent = problemText(err);
      }
    };
    return h("li", { dataset: { deliveryId: String(d.delivery_id), status: d.status } },
      h("h3", {}, topicName(d.topic), " ", h("span", { class: `tag tag-${d.status}` }, t(`hooks.status_${d.status}`))),
      h("dl", { class: "pairs" },
        h("dt", {}, t("hooks.delivery")), h("dd", {}, `#${d.delivery_id}`),
        h("dt", {}, t("hooks.attempts")), h("dd", { dataset: { testid: "attempts" } }, i18n.number(d.attempts)),
        h("dt", {}, t("hooks.answer")), h("dd", {}, d.response_status ? `HTTP ${d.response_status}` : t("hooks.no_answer")),
        d.last_error ? [h("dt", {}, t("hooks.error")), h("dd", {}, h("code", { class: "wrap" }, d.last_error))] : null,
        h("dt", {}, t("hooks.created")), h("dd", {}, when(d.created_at)),
        d.sent_at ? [h("dt", {}, t("hooks.sent_at")), h("dd", {}, when(d.sent_at))] : null,
        d.next_attempt_at ? [h("dt", {}, t("hooks.next_attempt")), h("dd", {}, when(d.next_attempt_at))] : null),
      d.status === "sending"
        ? null
        : h("div", { class: "actions" },
            h("button", { type: "button", class: d.status === "dead" ? "primary" : "secondary", onclick: replay },
              t("hooks.replay"), h("span", { class: "sr-only" }, ` #${d.delivery_id}`))));
  }

  function hookCard(hook) {
    const log = h("div", { class: "deliveries" });
    const toggle = h("button", { type: "button", class: "secondary", "aria-expanded": "false" }, t("hooks.show_log"));
    async function load() {
      try {
        const { items } = await api.get(`${base}/${hook.webhook_id}/deliveries`);
        log.replaceChildren(
          h("h3", { class: "sr-only" }, t("hooks.log_of", { url: hook.url })),
          items.length
            ? h("ul", { class: "cardlist" }, items.map((d) => deliveryItem(hook, d, load)))
            : h("p", { class: "empty" }, t("hooks.no_deliveries")));
      } catch (err) {
        log.replaceChildren(h("p", { class: "error" }, problemText(err)));
      }
    }
    toggle.addEventListener("click", async () => {
      const open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
      toggle.textContent = t(open ? "hooks.show_log" : "hooks.hide_log");
      if (open) log.replaceChildren();
      else await load();
    });
    const remove = h("button", { type: "button", class: "danger", onclick: async () => {
      const ok = await confirmAction({
        title: t("hooks.remove_title"),
        body: t("hooks.remove_body", { url: hook.url }),
        confirm: t("hooks.remove"),
        cancel: t("confirm.cancel"),
        testid: "confirm-remove-webhook",
      });
      if (!ok) return;
      try {
        await api.delete(`${base}/${hook.webhook_id}`);
        hooks = hooks.filter((x) => x.webhook_id !== hook.webhook_id);
        drawList();
        announce(t("hooks.removed"));
      } catch (err) {
        feedback.textContent = problemText(err);
      }
    } }, t("hooks.remove"));
    return h("li", { dataset: { webhookId: hook.webhook_id } },
      h("h3", {}, h("code", { class: "wrap" }, hook.url)),
      h("p", {}, hook.topics.map((tp) => h("span", { class: "tag" }, topicName(tp)))),
      h("p", { class: "muted" }, t(hook.active ? "hooks.active" : "hooks.inactive"), " · ", t("hooks.since", { time: when(hook.created_at) })),
      h("div", { class: "actions wrap" }, toggle, remove),
      log);
  }

  function drawList() {
    listBox.replaceChildren(hooks.length
      ? h("ul", { class: "cardlist" }, hooks.map(hookCard))
      : h("p", { class: "empty" }, t(eventId ? "hooks.none_event" : "hooks.none_all")));
  }

  const topicBoxes = TOPICS.map((topic, i) => {
    const id = `topic-${i}`;
    return h("div", { class: "check" },
      h("input", { type: "checkbox", id, name: "topics", value: topic, checked: true }),
      h("label", { for: id }, topicName(topic)));
  });
  const create = form([
    field({ label: t("hooks.url"), name: "url", type: "url", hint: t("hooks.url_hint"), attrs: { required: true, autocomplete: "off", spellcheck: "false", inputmode: "url" } }),
    h("fieldset", { "data-field": "topics" },
      h("legend", {}, t("hooks.topics")),
      h("p", { class: "error", dataset: { errorFor: "topics" }, hidden: true }),
      topicBoxes),
  ], async (el) => {
    const topics = [...el.querySelectorAll("input[name=topics]:checked")].map((x) => x.value);
    if (!topics.length) throw new ApiError({ errors: [{ field: "topics", message: t("hooks.pick_topic") }] }, 422, null);
    const made = await api.post(base, { url: el.elements.url.value.trim(), topics }, { idempotent: true });
    hooks = [...hooks, made];
    drawList();
    el.reset();
    secretBox.replaceChildren(h("div", { class: "secret-once", tabindex: "-1" },
      h("h3", {}, t("hooks.secret_title")),
      h("p", {}, t("hooks.secret_intro")),
      h("p", {}, h("code", { class: "secret", dataset: { testid: "webhook-secret" } }, made.secret))));
    secretBox.firstChild.focus();
    announce(t("hooks.added"));
  }, "hooks.add");

  drawList();
  return {
    nodes: page(eventId ? "hooks.event_title" : "hooks.all_title", { name: event?.name || "" },
      eventId
        ? h("p", {}, link(`/events/${eventId}`, t("audit.back_event", { name: event.name })), " · ", link("/webhooks", t("hooks.all_title")))
        : h("p", {}, link("/", t("error.back"))),
      h("p", { class: "hint" }, t(eventId ? "hooks.intro_event" : "hooks.intro_all")),
      feedback,
      listBox,
      h("section", { "aria-labelledby": "h-add" }, h("h2", { id: "h-add" }, t("hooks.add_title")), secretBox, create)),
  };
}
