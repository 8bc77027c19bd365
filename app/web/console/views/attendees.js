// An event's attendee details: whether each ticket needs a name (off, optional, required), until
// how many hours before the start fans may change names and answers, and the custom questions
// (text with a maximum length, one choice, several choices; per ticket or once per order).
// The attendee list downloads as CSV, one row per ticket with a column per question.
import { announce, api, link, page, t } from "../core.js";
import { field, h, saveBlob } from "../dom.js";
import { form } from "../parts/forms.js";

const KINDS = ["text", "choice", "multiple"];
const PER = ["ticket", "order"];
const NAMES = ["off", "optional", "required"];

const blank = () => ({ label: "", kind: "text", required: false, per: "ticket", max_length: 200, options: [] });

function select(values, value, prefix) {
  const el = h("select", {}, values.map((v) => h("option", { value: v }, t(`${prefix}.${v}`))));
  el.value = value;
  return el;
}

// One question's fieldset; its inputs carry the API's field names so problems land next to them.
function questionBox(q, i, count, { remove, move }) {
  const name = (f) => `questions[${i}].${f}`;
  const kind = select(KINDS, q.kind, "attendees.kind");
  const options = h("textarea", { rows: 4 }, q.options.join("\n"));
  const optionsField = field({ label: t("attendees.options"), name: name("options"), hint: t("attendees.options_hint"), control: options });
  const maxField = field({ label: t("attendees.max_length"), name: name("max_length"), type: "number", value: String(q.max_length), attrs: { min: 1, max: 2000, inputmode: "numeric" } });
  const shown = () => {
    optionsField.hidden = kind.value === "text";
    maxField.hidden = kind.value !== "text";
  };
  kind.addEventListener("change", shown);
  shown();
  const requiredId = `q-required-${i}`;
  const box = h("fieldset", { class: "question", dataset: { question: String(i), questionId: q.question_id || "" } },
    h("legend", {}, t("attendees.question_n", { n: i + 1 })),
    field({ label: t("attendees.label"), name: name("label"), value: q.label, attrs: { maxlength: 200, required: true } }),
    field({ label: t("attendees.kind_label"), name: name("kind"), control: kind }),
    field({ label: t("attendees.per_label"), name: name("per"), control: select(PER, q.per, "attendees.per") }),
    h("div", { class: "check" },
      h("input", { type: "checkbox", id: requiredId, checked: q.required, dataset: { field: name("required") } }),
      h("label", { for: requiredId }, t("attendees.required"))),
    maxField, optionsField,
    h("div", { class: "actions" },
      i > 0 ? h("button", { type: "button", class: "secondary", onclick: () => move(i, -1) }, t("attendees.up"), h("span", { class: "sr-only" }, ` ${i + 1}`)) : null,
      i < count - 1 ? h("button", { type: "button", class: "secondary", onclick: () => move(i, 1) }, t("attendees.down"), h("span", { class: "sr-only" }, ` ${i + 1}`)) : null,
      h("button", { type: "button", class: "link danger", onclick: () => remove(i) }, t("attendees.remove"), h("span", { class: "sr-only" }, ` ${i + 1}`))));
  return box;
}

function readQuestion(box) {
  const val = (f) => box.querySelector(`[data-field$=".${f}"]`);
  const kind = val("kind").value;
  const q = {
    label: val("label").value.trim(),
    kind,
    required: val("required").checked,
    per: val("per").value,
    max_length: Number(val("max_length").value) || 200,
    options: kind === "text" ? [] : val("options").value.split("\n").map((o) => o.trim()).filter(Boolean),
  };
  if (box.dataset.questionId) q.question_id = box.dataset.questionId;
  return q;
}

export default async function attendees({ params }) {
  const id = params[0];
  const [event, settings] = await Promise.all([api.get(`/events/${id}`), api.get(`/events/${id}/attendee-settings`)]);
  let questions = settings.questions.map((q) => ({ ...q }));
  const list = h("div", { id: "questions" });
  const read = () => [...list.querySelectorAll("fieldset.question")].map(readQuestion);
  const draw = () => {
    const actions = {
      remove: (i) => { questions = read(); questions.splice(i, 1); draw(); announce(t("attendees.removed")); },
      move: (i, by) => {
        questions = read();
        const [q] = questions.splice(i, 1);
        questions.splice(i + by, 0, q);
        draw();
        list.querySelectorAll("fieldset.question")[i + by]?.querySelector("input")?.focus();
      },
    };
    list.replaceChildren(...(questions.length
      ? questions.map((q, i) => questionBox(q, i, questions.length, actions))
      : [h("p", { class: "muted" }, t("attendees.no_questions"))]));
  };
  draw();
  const add = h("button", { type: "button", class: "secondary", id: "add-question", onclick: () => {
    questions = [...read(), blank()];
    draw();
    list.querySelector("fieldset.question:last-of-type input")?.focus();
  } }, t("attendees.add"));

  const names = h("fieldset", { id: "names" }, h("legend", {}, t("attendees.names")),
    h("p", { class: "hint" }, t("attendees.names_hint")),
    NAMES.map((n) => h("div", { class: "check" },
      h("input", { type: "radio", name: "names", id: `names-${n}`, value: n, checked: settings.names === n }),
      h("label", { for: `names-${n}` }, t(`attendees.names_${n}`)))),
    field({ label: t("attendees.cutoff"), name: "cutoff_hours", type: "number", value: String(settings.cutoff_hours), hint: t("attendees.cutoff_hint"), attrs: { min: 0, max: 8760, inputmode: "numeric" } }));

  const saved = h("p", { class: "summary ok", id: "attendees-saved", role: "status", hidden: true }, t("attendees.saved"));
  const f = form([
    names,
    h("h2", {}, t("attendees.questions")),
    h("p", { class: "hint" }, t("attendees.questions_hint")),
    list,
    h("p", {}, add),
  ], async (el) => {
    const body = {
      names: el.querySelector("input[name=names]:checked")?.value || "off",
      cutoff_hours: Number(el.querySelector("[data-field=cutoff_hours]").value) || 0,
      questions: read(),
    };
    const out = await api.put(`/events/${id}/attendee-settings`, body);
    questions = out.questions.map((q) => ({ ...q }));
    draw();
    saved.hidden = false;
    announce(t("attendees.saved"));
  }, "attendees.save");
  f.append(saved);
  f.addEventListener("input", () => { saved.hidden = true; });

  const exportButton = h("button", { type: "button", class: "secondary", id: "export-attendees", onclick: async () => {
    saveBlob(new Blob([await api.get(`/events/${id}/attendees`)], { type: "text/csv" }), `attendees-${id}.csv`);
  } }, t("attendees.export"));

  return {
    nodes: page("attendees.title", { name: event.name },
      h("p", {}, link(`/events/${id}`, t("reports.back"))),
      h("p", { class: "hint" }, t("attendees.intro")),
      f,
      h("h2", {}, t("attendees.list")),
      h("p", { class: "hint" }, t("attendees.list_hint")),
      h("p", {}, exportButton)),
  };
}
