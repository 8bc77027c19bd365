// Sale phases of one event on a timeline: create (window in the event's zone, audience,
// sections, limit, room settings), per-phase live figures, access codes (generate, export,
// import), member lists, the registration draw (run, verify, refill) and each phase's
// pre-queue draw (its entrants, to recompute the shuffle). Works at 360 px.
import { ApiError } from "../../shared/api.js";
import { announce, api, i18n, link, page, problemText, t } from "../core.js";
import { clearFieldErrors, field, h, saveBlob, showFieldErrors } from "../dom.js";
import { isoToZoned, zonedToIso } from "../zoned.js";

const AUDIENCES = ["everyone", "code", "list", "draw"];
const FIGURES_MS = 5000;

function at(iso, tz) {
  return new Intl.DateTimeFormat(i18n.lang, {
    year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZone: tz, timeZoneName: "short",
  }).format(new Date(iso));
}

function readFile(input) {
  const file = input.files?.[0];
  return file ? file.text() : Promise.resolve("");
}

export default async function phases({ params }) {
  const id = params[0];
  const event = await api.get(`/events/${id}`);
  const tz = event.timezone;
  const message = h("div", { class: "summary", role: "alert", hidden: true, tabindex: "-1" });
  const listBox = h("ol", { class: "phase-timeline", id: "phases" });

  function fail(err) {
    message.replaceChildren(h("p", {}, problemText(err)));
    message.hidden = false;
    message.focus();
  }

  function said(text) {
    message.hidden = true;
    announce(text);
  }

  async function drawList() {
    const { items } = await api.get(`/events/${id}/phases`);
    listBox.replaceChildren(...(items.length ? items.map(card) : [h("li", { class: "empty" }, t("phases.none"))]));
  }

  // The phase's own figures first (registrations, codes sent, used), then the room's and the
  // sale's in this phase (joined, admitted, on hold, sold); refreshed while the page is open.
  function figures(p) {
    const f = p.figures || {};
    const n = (v) => i18n.number(v ?? 0);
    const pairs = [];
    if (p.audience === "draw") pairs.push(["registrations", f.registrations], ["duplicates", f.duplicates], ["winners", f.winners], ["redeemed", f.redeemed]);
    if (p.audience === "code") pairs.push(["codes", f.codes], ["redeemed", f.redeemed]);
    if (p.audience === "list") pairs.push(["members", f.members]);
    pairs.push(["joined", f.joined], ["admitted", f.admitted], ["held", f.held], ["sold", f.sold]);
    return h("dl", { class: "pairs counts" }, pairs.flatMap(([k, v]) => [h("dt", {}, t(`phases.fig.${k}`)), h("dd", { dataset: { count: k } }, n(v))]));
  }

  let timer = null;
  let stopped = false;
  async function refreshFigures() {
    try {
      const { items } = await api.get(`/events/${id}/phases`);
      for (const p of items) {
        const old = listBox.querySelector(`[data-phase-id="${p.phase_id}"] dl.counts`);
        old?.replaceWith(figures(p));
      }
    } catch {
      // The next refresh tries again; the figures on screen stay until then.
    }
    if (!stopped) timer = setTimeout(refreshFigures, FIGURES_MS);
  }

  function entrantTools(p) {
    return h("div", { class: "actions wrap" }, h("button", { type: "button", class: "secondary", onclick: async () => {
      try {
        const proof = await api.get(`/events/${id}/phases/${p.phase_id}/entrants`);
        saveBlob(new Blob([JSON.stringify(proof, null, 2)], { type: "application/json" }), `prequeue-${p.phase_id}.json`);
        said(t("phases.entrants_saved", { n: i18n.number(proof.entrants.length) }));
      } catch (err) {
        fail(err);
      }
    } }, t("phases.entrants")));
  }

  function card(p) {
    const tools = h("div", { class: "phase-tools" });
    if (p.audience === "code") tools.append(codeTools(p));
    if (p.audience === "list") tools.append(memberTools(p));
    if (p.audience === "draw") tools.append(drawTools(p));
    if ((p.room?.mode || event.waiting_room.mode) === "random_at_open") tools.append(entrantTools(p));
    return h("li", { class: "phase-card", dataset: { phaseId: p.phase_id, audience: p.audience, state: p.state } },
      h("h3", {}, p.name, " ", h("span", { class: `tag tag-${p.state === "open" ? "on_sale" : p.state === "upcoming" ? "published" : "ended"}` }, t(`phases.state.${p.state}`))),
      h("p", {}, h("time", { datetime: p.opens_at }, at(p.opens_at, tz)), " – ", h("time", { datetime: p.closes_at }, at(p.closes_at, tz))),
      h("p", { class: "muted" }, t(`phases.audience.${p.audience}`), " · ",
        p.sections?.length ? p.sections.join(", ") : t("phases.all_sections"),
        p.max_per_user ? [" · ", t("phases.limit", { n: p.max_per_user })] : null),
      figures(p),
      h("p", { class: "muted hash" }, t("phases.seed_sha256"), " ", h("code", {}, p.seed_sha256),
        p.seed ? [h("br"), t("phases.seed"), " ", h("code", {}, p.seed)] : null),
      tools,
      h("div", { class: "actions tight" }, h("button", { type: "button", class: "link danger", onclick: async () => {
        try {
          await api.delete(`/events/${id}/phases/${p.phase_id}`);
          said(t("phases.did_delete", { name: p.name }));
          await drawList();
        } catch (err) {
          fail(err);
        }
      } }, t("phases.delete"))));
  }

  const outputs = new Map(); // phase_id -> what its last code action said (kept across redraws)

  function codeTools(p) {
    const out = h("div", { class: "codes-out", role: "status" }, ...(outputs.get(p.phase_id) || []));
    const tell = (...nodes) => {
      outputs.set(p.phase_id, nodes);
      out.replaceChildren(...nodes);
    };
    const gen = h("form", { novalidate: true, class: "inline gen-codes" },
      field({ label: t("phases.count"), name: "count", type: "number", value: "100", attrs: { min: 1, max: 100000, required: true } }),
      field({ label: t("phases.uses"), name: "uses", type: "number", value: "1", attrs: { min: 1, required: true } }),
      h("button", { type: "submit", class: "primary" }, t("phases.generate")));
    gen.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearFieldErrors(gen);
      try {
        const { codes } = await api.post(`/events/${id}/phases/${p.phase_id}/codes`,
          { count: Number(gen.elements.count.value), uses: Number(gen.elements.uses.value) }, { idempotent: true });
        tell(h("p", {}, t("phases.generated", { n: i18n.number(codes.length) })),
          h("pre", { class: "codes" }, codes.slice(0, 5).join("\n") + (codes.length > 5 ? "\n…" : "")));
        said(t("phases.generated", { n: codes.length }));
        await drawList();
      } catch (err) {
        if (err instanceof ApiError && err.errors.length) showFieldErrors(gen, err);
        else fail(err);
      }
    });
    const file = h("input", { type: "file", accept: ".csv,text/csv", id: `import-${p.phase_id}`, name: "csv" });
    const importForm = h("form", { class: "inline import-codes" },
      h("div", { class: "field" }, h("label", { for: file.id }, t("phases.import_label")), file),
      h("button", { type: "submit", class: "secondary" }, t("phases.import")));
    importForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const r = await api.post(`/events/${id}/phases/${p.phase_id}/codes/import`, { csv: await readFile(file) }, { idempotent: true });
        said(t("phases.imported", { n: r.imported, skipped: r.skipped }));
        tell(h("p", {}, t("phases.imported", { n: r.imported, skipped: r.skipped })));
        await drawList();
      } catch (err) {
        fail(err);
      }
    });
    return h("div", {}, gen, out,
      h("div", { class: "actions wrap" }, h("button", { type: "button", class: "secondary", onclick: async () => {
        try {
          const text = await api.get(`/events/${id}/phases/${p.phase_id}/codes`);
          saveBlob(new Blob([text], { type: "text/csv" }), `codes-${p.phase_id}.csv`);
        } catch (err) {
          fail(err);
        }
      } }, t("phases.export"))),
      importForm);
  }

  function memberTools(p) {
    const file = h("input", { type: "file", accept: ".csv,text/csv", id: `members-${p.phase_id}`, name: "csv" });
    const form = h("form", { class: "inline members" },
      h("div", { class: "field" }, h("label", { for: file.id }, t("phases.members_label")), h("p", { class: "hint" }, t("phases.members_hint")), file),
      h("button", { type: "submit", class: "secondary" }, t("phases.upload")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const r = await api.request(`/events/${id}/phases/${p.phase_id}/members`, { method: "PUT", body: { csv: await readFile(file) } });
        said(t("phases.uploaded", { n: r.members }));
        await drawList();
      } catch (err) {
        fail(err);
      }
    });
    return form;
  }

  function drawTools(p) {
    const closes = p.registration_closes_at || p.opens_at;
    const result = h("div", { class: "draw-result", role: "status" });
    const form = h("form", { novalidate: true, class: "inline run-draw" },
      field({ label: t("phases.draw_codes"), name: "codes", type: "number", hint: t("phases.draw_codes_hint", { ratio: p.codes_per_seat }), attrs: { min: 0 } }),
      h("button", { type: "submit", class: "primary" }, t("phases.run_draw")));
    const show = (r) => result.replaceChildren(
      h("p", {}, t("phases.drawn", { n: i18n.number(r.registrations), winners: i18n.number(r.winners) })),
      h("p", { class: "muted hash" }, t("phases.registrations_sha256"), " ", h("code", {}, r.registrations_sha256)),
      h("p", { class: "muted" }, t("phases.verify_hint"), " ", h("code", {}, `onsale phases verify-draw --event ${id} --phase ${p.phase_id}`)));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      const v = form.elements.codes.value;
      try {
        const r = await api.post(`/events/${id}/phases/${p.phase_id}/draw`, v ? { codes: Number(v) } : {}, { idempotent: true });
        show(r);
        said(t("phases.drawn", { n: r.registrations, winners: r.winners }));
        await drawList();
      } catch (err) {
        if (err instanceof ApiError && err.errors.length) showFieldErrors(form, err);
        else fail(err);
      }
    });
    const refill = h("button", { type: "button", class: "secondary", onclick: async () => {
      try {
        const r = await api.post(`/events/${id}/phases/${p.phase_id}/draw/refill`, {}, { idempotent: true });
        said(t("phases.refilled", { voided: r.voided, issued: r.issued }));
        result.append(h("p", {}, t("phases.refilled", { voided: r.voided, issued: r.issued })));
        await drawList();
      } catch (err) {
        fail(err);
      }
    } }, t("phases.refill"));
    api.get(`/events/${id}/phases/${p.phase_id}/draw`).then((r) => r.drawn && show(r)).catch(() => {});
    return h("div", {}, h("p", {}, t("phases.registration_until", { when: at(closes, tz) })), form,
      h("div", { class: "actions wrap" }, refill), result);
  }

  // --- the new phase form ---------------------------------------------------------------
  const local = (iso) => isoToZoned(iso, tz);
  const audience = h("select", {}, AUDIENCES.map((a) => h("option", { value: a }, t(`phases.audience.${a}`))));
  const drawOnly = h("div", { class: "draw-only", hidden: true },
    field({ label: t("phases.registration_closes_at"), name: "registration_closes_at", type: "datetime-local", hint: t("phases.in_zone", { tz }) }),
    field({ label: t("phases.codes_per_seat"), name: "codes_per_seat", type: "number", value: "1", hint: t("phases.codes_per_seat_hint"), attrs: { min: 0.01, step: 0.01 } }));
  audience.addEventListener("change", () => (drawOnly.hidden = audience.value !== "draw"));
  const form = h("form", { novalidate: true, class: "new-phase" },
    field({ label: t("phases.name"), name: "name", attrs: { required: true, maxlength: 120 } }),
    field({ label: t("phases.audience_label"), name: "audience", control: audience }),
    field({ label: t("phases.opens_at"), name: "opens_at", type: "datetime-local", value: local(event.onsale_at), hint: t("phases.in_zone", { tz }), attrs: { required: true } }),
    field({ label: t("phases.closes_at"), name: "closes_at", type: "datetime-local", value: local(event.offsale_at), hint: t("phases.in_zone", { tz }), attrs: { required: true } }),
    drawOnly,
    h("fieldset", {}, h("legend", {}, t("phases.sections")), h("p", { class: "hint" }, t("phases.sections_hint")),
      event.sections.map((s) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "sections", value: s.code }), `${s.code} · ${s.name}`))),
    field({ label: t("phases.max_per_user"), name: "max_per_user", type: "number", hint: t("phases.max_per_user_hint", { n: event.max_per_user }), attrs: { min: 1, max: event.max_per_user } }),
    h("fieldset", {}, h("legend", {}, t("phases.room")), h("p", { class: "hint" }, t("phases.room_hint")),
      field({ label: t("phases.admit_batch_size"), name: "room.admit_batch_size", type: "number", attrs: { min: 1 } }),
      field({ label: t("phases.admit_interval_s"), name: "room.admit_interval_s", type: "number", attrs: { min: 1 } }),
      field({ label: t("phases.pow_difficulty"), name: "room.pow_difficulty", type: "number", attrs: { min: 0, max: 32 } }),
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "shuffle" }), t("phases.shuffle"))),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("phases.create"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const val = (n) => form.querySelector(`[data-field="${n}"]`)?.value?.trim() ?? "";
    const num = (n) => (val(n) === "" ? undefined : Number(val(n)));
    const sections = [...form.querySelectorAll("input[name=sections]:checked")].map((i) => i.value);
    const room = {};
    for (const k of ["admit_batch_size", "admit_interval_s", "pow_difficulty"]) {
      if (num(`room.${k}`) !== undefined) room[k] = num(`room.${k}`);
    }
    if (form.elements.shuffle.checked) room.mode = "random_at_open";
    const body = {
      name: val("name"),
      audience: audience.value,
      opens_at: zonedToIso(val("opens_at"), tz) || null,
      closes_at: zonedToIso(val("closes_at"), tz) || null,
      room,
    };
    if (sections.length) body.sections = sections;
    if (num("max_per_user") !== undefined) body.max_per_user = num("max_per_user");
    if (audience.value === "draw") {
      if (val("registration_closes_at")) body.registration_closes_at = zonedToIso(val("registration_closes_at"), tz);
      if (num("codes_per_seat") !== undefined) body.codes_per_seat = num("codes_per_seat");
    }
    if (!body.name) {
      showFieldErrors(form, { errors: [{ field: "name", message: t("phases.name_missing") }] });
      return;
    }
    try {
      await api.post(`/events/${id}/phases`, body, { idempotent: true });
      said(t("phases.did_create", { name: body.name }));
      // The times stay (the next phase often starts where this one ends); the name clears.
      form.querySelector('[data-field="name"]').value = "";
      await drawList();
    } catch (err) {
      if (err instanceof ApiError && err.code === "phase_overlap") {
        // Said in the console's language, naming what is wrong (not a generic field rule).
        showFieldErrors(form, { errors: [{ field: "opens_at", rule: "overlap" }] });
        const slot = form.querySelector('[data-error-for="opens_at"]');
        if (slot) slot.textContent = t("phases.overlap");
        return;
      }
      if (err instanceof ApiError && err.errors.length) {
        const rest = showFieldErrors(form, err);
        if (rest.length) fail(err);
      } else fail(err);
    }
  });

  await drawList();
  timer = setTimeout(refreshFigures, FIGURES_MS);
  return {
    nodes: page("phases.title", { name: event.name },
      h("p", {}, link(`/events/${id}`, t("phases.back"))),
      h("p", { class: "hint" }, t("phases.intro", { tz })),
      message,
      listBox,
      h("h2", {}, t("phases.new")), form),
    cleanup: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
