// Create or edit an event: sections, prices, limits, waiting room and the schedule in its zone.
import { ApiError } from "../../shared/api.js";
import { api, announce, currentOrg, i18n, link, navigate, page, t } from "../core.js";
import { field, h } from "../dom.js";
import { isoToZoned, isTimeZone, timeZones, zonedToIso } from "../zoned.js";
import { form } from "../parts/forms.js";

const CURRENCY_DIGITS = (c) => {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency: c }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
};

function defaults() {
  const soon = new Date(Date.now() + 3600_000);
  soon.setMinutes(0, 0, 0);
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  return {
    name: "", venue: "", timezone: tz, currency: "EUR",
    onsale_at: soon.toISOString(),
    offsale_at: new Date(soon.getTime() + 30 * 86400_000).toISOString(),
    starts_at: new Date(soon.getTime() + 31 * 86400_000).toISOString(),
    hold_ttl_s: 600, max_per_order: 6, max_per_user: 6,
    sections: [{ code: "", name: "", price_cents: 0, capacity: 100 }],
    waiting_room: { enabled: true, mode: "fifo", admit_batch_size: 500, admit_interval_s: 10,
      max_active_shoppers: 5000, session_ttl_s: 900, prequeue_opens_at: null },
  };
}

function sectionRow(s, i, currency, remove) {
  const digits = CURRENCY_DIGITS(currency);
  const row = h("fieldset", { class: "section-row", dataset: { index: String(i) } },
    h("legend", {}, t("form.section_n", { n: i + 1 })),
    field({ label: t("form.section_code"), name: `sections[${i}].code`, value: s.code, hint: t("form.section_code_hint"), attrs: { required: true, maxlength: 32 } }),
    field({ label: t("form.section_name"), name: `sections[${i}].name`, value: s.name, attrs: { required: true } }),
    field({ label: t("form.price", { currency }), name: `sections[${i}].price_cents`, type: "number", value: String(s.price_cents / 10 ** digits), attrs: { min: 0, step: String(1 / 10 ** digits), inputmode: "decimal", required: true } }),
    field({ label: t("form.capacity"), name: `sections[${i}].capacity`, type: "number", value: String(s.capacity), attrs: { min: 1, step: 1, required: true } }),
    h("button", { type: "button", class: "link danger", onclick: remove }, t("form.section_remove", { n: i + 1 })),
  );
  return row;
}

export default async function eventForm({ params }) {
  const editing = params.length > 0;
  const event = editing ? await api.get(`/events/${params[0]}`) : defaults();
  const tzList = h("datalist", { id: "tz-list" }, timeZones().map((z) => h("option", { value: z })));
  const sectionsBox = h("div", { class: "sections" });
  let sections = event.sections.map((s) => ({ ...s }));
  // A published event's sections change only through live capacity (the API refuses the rest).
  const sectionsLocked = editing && event.status !== "draft";

  const readSections = (el) =>
    sections.map((_, i) => {
      const v = (n) => el.querySelector(`[data-field="sections[${i}].${n}"]`).value;
      const currency = el.elements.currency.value.toUpperCase();
      return {
        code: v("code").trim(),
        name: v("name").trim(),
        price_cents: Math.round(Number(v("price_cents")) * 10 ** CURRENCY_DIGITS(currency)),
        capacity: Number(v("capacity")),
      };
    });
  const drawSections = (el, currency) => {
    sectionsBox.replaceChildren(
      ...sections.map((s, i) =>
        sectionRow(s, i, currency, () => {
          if (sections.length === 1) return;
          sections = el ? readSections(el) : sections;
          sections.splice(i, 1);
          drawSections(el, currency);
          announce(t("form.section_removed"));
        }),
      ),
    );
  };

  const tz = event.timezone;
  const wr = event.waiting_room;
  const when = (name, iso, hintKey) =>
    field({ label: t(`form.${name.replace("waiting_room.", "")}`), name, type: "datetime-local", value: isoToZoned(iso, tz), hint: t(hintKey || "form.in_zone"), attrs: { required: name !== "waiting_room.prequeue_opens_at" } });

  const f = form(
    [
      h("fieldset", {}, h("legend", {}, t("form.basics")),
        field({ label: t("form.name"), name: "name", value: event.name, attrs: { required: true, maxlength: 300 } }),
        field({ label: t("form.venue"), name: "venue", value: event.venue, attrs: { required: true, maxlength: 300 } }),
        field({ label: t("form.currency"), name: "currency", value: event.currency, hint: t("form.currency_hint"), attrs: { required: true, maxlength: 3, autocapitalize: "characters" } }),
      ),
      h("fieldset", {}, h("legend", {}, t("form.schedule")),
        field({ label: t("form.timezone"), name: "timezone", value: tz, hint: t("form.timezone_hint"), attrs: { list: "tz-list", required: true } }),
        tzList,
        when("onsale_at", event.onsale_at),
        when("offsale_at", event.offsale_at),
        when("starts_at", event.starts_at),
      ),
      sectionsLocked
        ? h("fieldset", {}, h("legend", {}, t("form.sections")),
            h("p", { class: "hint" }, t("form.sections_locked"), " ", link(`/events/${params[0]}`, t("form.sections_live"))),
            h("ul", {}, event.sections.map((x) => h("li", {}, `${x.code} · ${x.name} · ${i18n.money(x.price_cents, event.currency)} · ${t("form.seats_n", { n: i18n.number(x.capacity) })}`))))
        : h("fieldset", {}, h("legend", {}, t("form.sections")), sectionsBox,
          h("button", { type: "button", class: "secondary", id: "add-section", onclick: () => {
            sections = readSections(f);
            sections.push({ code: "", name: "", price_cents: 0, capacity: 100 });
            drawSections(f, f.elements.currency.value.toUpperCase());
            sectionsBox.querySelector(".section-row:last-child input")?.focus();
          } }, t("form.section_add")),
        ),
      h("fieldset", {}, h("legend", {}, t("form.limits")),
        field({ label: t("form.hold_ttl_s"), name: "hold_ttl_s", type: "number", value: String(event.hold_ttl_s), hint: t("form.seconds"), attrs: { min: 1 } }),
        field({ label: t("form.max_per_order"), name: "max_per_order", type: "number", value: String(event.max_per_order), attrs: { min: 1 } }),
        field({ label: t("form.max_per_user"), name: "max_per_user", type: "number", value: String(event.max_per_user), attrs: { min: 1 } }),
      ),
      h("fieldset", {}, h("legend", {}, t("form.waiting_room")),
        h("div", { class: "check" },
          h("input", { type: "checkbox", id: "wr-enabled", name: "waiting_room.enabled", checked: wr.enabled, dataset: { field: "waiting_room.enabled" } }),
          h("label", { for: "wr-enabled" }, t("form.wr_enabled"))),
        field({ label: t("form.wr_mode"), name: "waiting_room.mode", control: h("select", {},
          h("option", { value: "fifo", selected: wr.mode === "fifo" }, t("form.mode_fifo")),
          h("option", { value: "random_at_open", selected: wr.mode === "random_at_open" }, t("form.mode_random"))), hint: t("form.wr_mode_hint") }),
        field({ label: t("form.wr_batch"), name: "waiting_room.admit_batch_size", type: "number", value: String(wr.admit_batch_size), attrs: { min: 1 } }),
        field({ label: t("form.wr_interval"), name: "waiting_room.admit_interval_s", type: "number", value: String(wr.admit_interval_s), hint: t("form.seconds"), attrs: { min: 1 } }),
        field({ label: t("form.wr_max_active"), name: "waiting_room.max_active_shoppers", type: "number", value: String(wr.max_active_shoppers), attrs: { min: 1 } }),
        field({ label: t("form.wr_session_ttl"), name: "waiting_room.session_ttl_s", type: "number", value: String(wr.session_ttl_s), hint: t("form.seconds"), attrs: { min: 5 } }),
        when("waiting_room.prequeue_opens_at", wr.prequeue_opens_at, "form.prequeue_hint"),
      ),
    ],
    async (el) => {
      const zone = el.elements.timezone.value.trim();
      if (!isTimeZone(zone)) {
        throw new ApiError({ errors: [{ field: "timezone", message: t("form.timezone_bad") }] }, 422, null);
      }
      const val = (n) => el.querySelector(`[data-field="${n}"]`).value;
      const num = (n) => Number(val(n));
      const body = {
        name: val("name").trim(),
        venue: val("venue").trim(),
        currency: val("currency").trim().toUpperCase(),
        timezone: zone,
        onsale_at: zonedToIso(val("onsale_at"), zone) || null,
        offsale_at: zonedToIso(val("offsale_at"), zone) || null,
        starts_at: zonedToIso(val("starts_at"), zone) || null,
        hold_ttl_s: num("hold_ttl_s"),
        max_per_order: num("max_per_order"),
        max_per_user: num("max_per_user"),
        ...(sectionsLocked ? {} : { sections: readSections(el) }),
        waiting_room: {
          enabled: el.querySelector("#wr-enabled").checked,
          mode: val("waiting_room.mode"),
          admit_batch_size: num("waiting_room.admit_batch_size"),
          admit_interval_s: num("waiting_room.admit_interval_s"),
          max_active_shoppers: num("waiting_room.max_active_shoppers"),
          session_ttl_s: num("waiting_room.session_ttl_s"),
          prequeue_opens_at: zonedToIso(val("waiting_room.prequeue_opens_at"), zone) || null,
        },
      };
      const saved = editing
        ? await api.patch(`/events/${params[0]}`, body)
        : await api.post("/events", currentOrg() ? { ...body, org_id: currentOrg().org_id } : body, { idempotent: true });
      announce(t("form.saved"));
      navigate(`/events/${saved.event_id}`);
    },
    editing ? "form.save" : "form.create",
  );
  f.elements.currency.addEventListener("change", () => {
    if (sectionsLocked) return;
    sections = readSections(f);
    drawSections(f, f.elements.currency.value.toUpperCase());
  });
  drawSections(f, event.currency);
  return {
    nodes: page(editing ? "form.edit_title" : "form.new_title", { name: event.name }, f),
  };
}
