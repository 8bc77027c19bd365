// The names and answers of one order: a name per ticket and the organizer's questions (per
// ticket, or once for the order), saved whole. Every input has its own label; a problem lands
// next to its field (by the API's field path) and in a list at the top, in the fan's language.
import { ApiError } from "../../shared/api.js";
import { announce, api, h, i18n, problemText, requireSignIn, screen, t } from "../core.js";
import { seatWords } from "../parts/seat_words.js";
import { getEvent, notice, when } from "../parts/common.js";

let uid = 0;

// A control with its label, hint and error slot; `path` is the API field it answers.
function slot(path, label, control, { hint, required } = {}) {
  const id = `a-${++uid}`;
  const errId = `${id}-err`;
  const hintId = hint ? `${id}-hint` : null;
  control.id = id;
  control.dataset.path = path;
  control.setAttribute("aria-describedby", [hintId, errId].filter(Boolean).join(" "));
  if (required) control.setAttribute("aria-required", "true");
  return h("div", { class: "field", dataset: { for: path } },
    h("label", { for: id }, label, required ? h("span", { class: "muted" }, ` (${t("attendees.required")})`) : null),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    h("p", { class: "error", id: errId, dataset: { errorFor: path } }),
    control);
}

// Radios or checkboxes in a fieldset whose legend is the question.
function group(path, q, value, type) {
  const name = `g-${++uid}`;
  const errId = `${name}-err`;
  const chosen = Array.isArray(value) ? value : value ? [value] : [];
  return h("fieldset", { class: "choices", dataset: { for: path, path, kind: type }, "aria-describedby": errId },
    h("legend", {}, q.label, q.required ? h("span", { class: "muted" }, ` (${t("attendees.required")})`) : null),
    type === "checkbox" ? h("p", { class: "hint" }, t("attendees.pick_any")) : null,
    h("p", { class: "error", id: errId, dataset: { errorFor: path } }),
    q.options.map((option, i) => h("label", { class: "choice" },
      h("input", { type, name, value: option, checked: chosen.includes(option), ...(type === "radio" && q.required && i === 0 ? { required: true } : {}) }),
      h("span", {}, option))));
}

function questionField(path, q, value) {
  if (q.kind === "choice") return group(path, q, value, "radio");
  if (q.kind === "multiple") return group(path, q, value, "checkbox");
  const input = q.max_length > 120
    ? h("textarea", { rows: 3, maxlength: q.max_length })
    : h("input", { type: "text", maxlength: q.max_length, autocomplete: "off" });
  input.value = value || "";
  return slot(path, q.label, input, { required: q.required, hint: t("attendees.max", { n: i18n.number(q.max_length) }) });
}

function readAnswers(root, prefix) {
  const answers = {};
  for (const el of root.querySelectorAll(`[data-path^="${prefix}answers."]`)) {
    const qid = el.dataset.path.slice(`${prefix}answers.`.length);
    if (el.tagName === "FIELDSET") {
      const ticked = [...el.querySelectorAll("input:checked")].map((i) => i.value);
      answers[qid] = el.dataset.kind === "checkbox" ? ticked : ticked[0] || "";
    } else {
      answers[qid] = el.value;
    }
  }
  return answers;
}

function answerText(q, value) {
  return Array.isArray(value) ? value.join(", ") : value || "—";
}

export default async function attendeesPage(main, { params: [id] }) {
  if (!requireSignIn()) return;
  const body = h("div", { id: "attendees", dataset: { status: "loading" } });
  screen(main, t("attendees.title"), body);
  let form;
  let event;
  try {
    form = await api.get(`/orders/${id}/attendees`);
    event = await getEvent(form.event_id);
  } catch (err) {
    body.replaceChildren(notice("bad", problemText(err)));
    return;
  }
  const back = h("p", {}, h("a", { href: `/orders/${id}` }, t("attendees.back")));
  const perTicket = form.questions.filter((q) => q.per === "ticket");
  const perOrder = form.questions.filter((q) => q.per === "order");
  const sectionName = (code) => event.sections.find((s) => s.code === code)?.name || code;
  const ticketTitle = (ticket, i) => [t("order.ticket_label", { n: i + 1, count: form.tickets.length, section: sectionName(ticket.section) }),
    ticket.seat_row != null ? ` · ${seatWords({ row: ticket.seat_row, number: ticket.seat_number })}` : ""].join("");
  const until = h("p", { class: "muted", id: "changes-until" }, t(form.editable ? "attendees.until" : "attendees.closed",
    { when: when(form.changes_until, event.timezone) }));
  body.dataset.status = form.editable ? "open" : "closed";

  if (form.names === "off" && !form.questions.length) {
    body.replaceChildren(notice("ok", t("attendees.nothing")), back);
    return;
  }
  if (!form.editable) {
    // After the cut-off (or for an order no longer paid): what was given, read only.
    body.replaceChildren(notice("warn", t("attendees.closed_note")), until,
      h("ol", { class: "list" }, form.tickets.map((ticket, i) => h("li", { class: "card" },
        h("h2", {}, ticketTitle(ticket, i)),
        h("dl", { class: "pairs" },
          form.names !== "off" ? [h("dt", {}, t("attendees.name")), h("dd", {}, ticket.name || t("attendees.missing"))] : null,
          perTicket.flatMap((q) => [h("dt", {}, q.label), h("dd", {}, answerText(q, ticket.answers[q.question_id]))]))))),
      perOrder.length ? h("dl", { class: "pairs card" }, perOrder.flatMap((q) => [h("dt", {}, q.label), h("dd", {}, answerText(q, form.answers[q.question_id]))])) : null,
      back);
    return;
  }

  const status = h("div", { role: "alert", id: "attendees-problem" });
  const saved = h("div", { role: "status", id: "attendees-saved" });
  const tickets = form.tickets.map((ticket, i) => {
    const prefix = `tickets[${i}].`;
    const parts = [h("legend", {}, ticketTitle(ticket, i))];
    if (form.names !== "off") {
      const input = h("input", { type: "text", maxlength: 200, autocomplete: i === 0 ? "name" : "off", value: ticket.name, ...(form.names === "required" ? { required: true } : {}) });
      parts.push(slot(`${prefix}name`, t("attendees.name_of", { n: i + 1 }), input,
        { required: form.names === "required", hint: t("attendees.name_hint") }));
    }
    for (const q of perTicket) parts.push(questionField(`${prefix}answers.${q.question_id}`, q, ticket.answers[q.question_id]));
    return h("fieldset", { class: "card ticket-form", dataset: { ticketId: ticket.ticket_id, prefix } }, parts);
  });
  const orderPart = perOrder.length
    ? h("fieldset", { class: "card", id: "order-questions" }, h("legend", {}, t("attendees.about_order")),
      perOrder.map((q) => questionField(`answers.${q.question_id}`, q, form.answers[q.question_id])))
    : null;
  const submit = h("button", { class: "btn", type: "submit" }, t("attendees.save"));
  const el = h("form", { novalidate: true }, status, tickets, orderPart, submit);

  const clear = () => {
    status.replaceChildren();
    saved.replaceChildren();
    for (const e of el.querySelectorAll("[data-error-for]")) e.textContent = "";
    for (const e of el.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
    for (const e of el.querySelectorAll(".invalid")) e.classList.remove("invalid");
  };
  const show = (path, message) => {
    const slotEl = el.querySelector(`[data-error-for="${CSS.escape(path)}"]`);
    if (!slotEl) return false;
    slotEl.textContent = slotEl.textContent ? `${slotEl.textContent} ${message}` : message;
    const wrap = slotEl.closest(".field, .choices");
    wrap?.classList.add("invalid");
    const control = el.querySelector(`[data-path="${CSS.escape(path)}"]`);
    (control?.tagName === "FIELDSET" ? control.querySelector("input") : control)?.setAttribute("aria-invalid", "true");
    return true;
  };

  el.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear();
    const payload = {
      tickets: tickets.map((box) => {
        const prefix = box.dataset.prefix;
        const name = box.querySelector(`[data-path="${prefix}name"]`);
        return { ticket_id: box.dataset.ticketId, ...(name ? { name: name.value.trim() } : {}), answers: readAnswers(box, prefix) };
      }),
      answers: orderPart ? readAnswers(orderPart, "") : {},
    };
    submit.disabled = true;
    try {
      const out = await api.put(`/orders/${id}/attendees`, payload);
      saved.replaceChildren(notice("ok", out.missing ? t("attendees.saved_missing", { count: out.missing, n: i18n.number(out.missing) }) : t("attendees.saved")),
        h("p", {}, h("a", { class: "btn secondary", href: `/orders/${id}` }, t("attendees.to_order"))));
      announce(out.missing ? t("attendees.saved_missing", { count: out.missing, n: i18n.number(out.missing) }) : t("attendees.saved"));
    } catch (err) {
      const placed = [];
      if (err instanceof ApiError && err.errors.length) {
        for (const fe of err.errors) if (show(fe.field, i18n.fieldError(fe))) placed.push(fe);
      }
      const heading = err instanceof ApiError && err.code && t(`problem.${err.code}`) !== `problem.${err.code}` ? t(`problem.${err.code}`) : problemText(err);
      status.replaceChildren(notice("bad", h("strong", {}, heading),
        placed.length ? h("span", {}, " ", t("attendees.fix", { count: placed.length, n: i18n.number(placed.length) })) : null));
      announce(heading);
      const first = el.querySelector("[aria-invalid=true]");
      if (first) first.focus();
    } finally {
      submit.disabled = false;
    }
  });

  body.replaceChildren(
    form.missing ? notice("warn", t("attendees.missing_count", { count: form.missing, n: i18n.number(form.missing) })) : null,
    h("p", {}, t("attendees.intro")), until, el, saved, back);
}
