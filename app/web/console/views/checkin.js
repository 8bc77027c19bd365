// Check-in of one event: lists (sections, re-entry) with live counts per gate, offline conflicts
// to resolve, and who may scan (the scanner role, granted by email). Works at 360 px.
import { ApiError } from "../../shared/api.js";
import { announce, api, i18n, link, page, problemText, t } from "../core.js";
import { clearFieldErrors, field, h, showFieldErrors } from "../dom.js";

const POLL_MS = 3000;

function when(iso) {
  return iso
    ? new Intl.DateTimeFormat(i18n.lang, { dateStyle: "short", timeStyle: "medium" }).format(new Date(iso))
    : t("checkin.never");
}

function listCard(l) {
  const n = (v) => i18n.number(v ?? 0);
  return h("li", { class: "checkin-list", dataset: { listId: l.list_id } },
    h("h3", {}, l.default ? t("checkin.default_list") : l.name),
    h("p", { class: "muted" },
      l.sections?.length ? t("checkin.sections_some", { sections: l.sections.join(", ") }) : t("checkin.sections_all"),
      " · ", l.reentry ? t("checkin.reentry_yes") : t("checkin.reentry_no")),
    h("dl", { class: "pairs counts" },
      h("dt", {}, t("checkin.admitted")), h("dd", { dataset: { count: "admitted" } }, t("checkin.of", { n: n(l.admitted), total: n(l.expected) })),
      h("dt", {}, t("checkin.inside")), h("dd", { dataset: { count: "inside" } }, n(l.inside))),
    l.gates?.length
      ? h("ul", { class: "gates", "aria-label": t("checkin.gates_of", { name: l.name }) },
        l.gates.map((g) => h("li", { dataset: { gate: g.gate } },
          h("strong", {}, g.gate), " ",
          h("span", { dataset: { count: "gate" } }, t("checkin.gate_line", { n: n(g.admitted), count: g.admitted ?? 0 })),
          h("br"), h("span", { class: "muted" }, t("checkin.last_scan", { when: when(g.last_at) })))))
      : h("p", { class: "muted" }, t("checkin.no_scans")));
}

export default async function checkin({ params }) {
  const id = params[0];
  const event = await api.get(`/events/${id}`);
  const message = h("div", { class: "summary", role: "alert", hidden: true, tabindex: "-1" });
  const listsBox = h("ul", { class: "checkin-lists", id: "lists" });
  const conflictsBox = h("div", { id: "conflicts" });
  const scannersBox = h("div", { id: "scanners" });
  const updated = h("p", { class: "muted updated" });

  function fail(err) {
    message.replaceChildren(h("p", {}, problemText(err)));
    message.hidden = false;
    message.focus();
  }

  async function drawLists() {
    const { lists } = await api.get(`/events/${id}/checkin-lists`);
    listsBox.replaceChildren(...lists.map(listCard));
  }

  async function drawConflicts() {
    const { conflicts } = await api.get(`/events/${id}/checkin-conflicts`);
    const open = conflicts.filter((c) => !c.resolved);
    conflictsBox.replaceChildren(...[
      open.length ? h("p", {}, t("checkin.conflicts_intro")) : h("p", { class: "empty" }, t("checkin.no_conflicts")),
      conflicts.length ? h("ul", { class: "conflicts" }, conflicts.map((c) => h("li", {
        dataset: { ticketId: c.ticket_id, resolved: c.resolved ? "1" : "0" },
      },
      h("strong", {}, t("checkin.ticket", { section: c.section, seq: c.seq })), " ",
      c.resolved ? h("span", { class: "tag tag-confirmed" }, t("checkin.resolved")) : h("span", { class: "tag tag-refunded" }, t("checkin.open")),
      h("ul", {}, c.scans.map((s) => h("li", {}, t("checkin.scan_line", { gate: s.gate, device: s.device_id || "-", when: when(s.at) })))),
      c.resolved ? null : h("button", { type: "button", class: "secondary", onclick: async (e) => {
        e.target.disabled = true;
        try {
          await api.post(`/events/${id}/checkin-conflicts/${c.ticket_id}/resolve`, undefined, { idempotent: true });
          announce(t("checkin.did_resolve"));
          await drawConflicts();
        } catch (err) {
          e.target.disabled = false;
          fail(err);
        }
      } }, t("checkin.resolve"))))) : null,
    ].filter(Boolean));
  }

  async function drawScanners() {
    const { scanners } = await api.get(`/events/${id}/scanners`);
    scannersBox.replaceChildren(scanners.length
      ? h("ul", { class: "scanners" }, scanners.map((s) => h("li", { dataset: { email: s.email } },
        h("span", { class: "wrap" }, s.email), " ", h("span", { class: "muted" }, t("checkin.granted", { when: when(s.granted_at) })), " ",
        h("button", { type: "button", class: "link danger", onclick: async () => {
          try {
            await api.delete(`/events/${id}/scanners/${encodeURIComponent(s.email)}`);
            announce(t("checkin.did_revoke", { email: s.email }));
            await drawScanners();
          } catch (err) {
            fail(err);
          }
        } }, t("checkin.revoke")))))
      : h("p", { class: "empty" }, t("checkin.no_scanners")));
  }

  const listForm = h("form", { novalidate: true, class: "new-list" },
    field({ label: t("checkin.list_name"), name: "name", attrs: { required: true, maxlength: 80 } }),
    h("fieldset", {}, h("legend", {}, t("checkin.list_sections")),
      h("p", { class: "hint" }, t("checkin.list_sections_hint")),
      event.sections.map((s) => h("label", { class: "check" },
        h("input", { type: "checkbox", name: "sections", value: s.code }), `${s.code} · ${s.name}`))),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "reentry" }), t("checkin.list_reentry")),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("checkin.create"))));
  listForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFieldErrors(listForm);
    const name = listForm.elements.name.value.trim();
    if (!name) {
      showFieldErrors(listForm, { errors: [{ field: "name", message: t("checkin.name_missing") }] });
      return;
    }
    const sections = [...listForm.querySelectorAll("input[name=sections]:checked")].map((i) => i.value);
    try {
      await api.post(`/events/${id}/checkin-lists`,
        { name, sections, reentry: listForm.elements.reentry.checked }, { idempotent: true });
      listForm.reset();
      announce(t("checkin.did_create", { name }));
      await drawLists();
    } catch (err) {
      if (err instanceof ApiError && err.errors.length) showFieldErrors(listForm, err);
      else fail(err);
    }
  });

  const scannerForm = h("form", { novalidate: true, class: "inline grant" },
    field({ label: t("checkin.scanner_email"), name: "email", type: "email", attrs: { required: true, autocomplete: "off" } }),
    h("button", { type: "submit", class: "primary" }, t("checkin.grant")));
  scannerForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFieldErrors(scannerForm);
    const email = scannerForm.elements.email.value.trim().toLowerCase();
    if (!email.includes("@")) {
      showFieldErrors(scannerForm, { errors: [{ field: "email", message: t("checkin.email_bad") }] });
      return;
    }
    try {
      await api.request(`/events/${id}/scanners/${encodeURIComponent(email)}`, { method: "PUT" });
      scannerForm.reset();
      announce(t("checkin.did_grant", { email }));
      await drawScanners();
    } catch (err) {
      if (err instanceof ApiError && err.errors.length) showFieldErrors(scannerForm, err);
      else fail(err);
    }
  });

  let stopped = false;
  let timer = null;
  async function tick() {
    try {
      await Promise.all([drawLists(), drawConflicts()]);
      updated.textContent = t("checkin.updated", { when: when(new Date().toISOString()) });
      updated.classList.remove("stale");
    } catch (err) {
      updated.textContent = problemText(err);
      updated.classList.add("stale");
    }
    if (!stopped) timer = setTimeout(tick, POLL_MS);
  }
  await Promise.all([drawLists(), drawConflicts(), drawScanners()]);
  updated.textContent = t("checkin.updated", { when: when(new Date().toISOString()) });
  timer = setTimeout(tick, POLL_MS);

  return {
    nodes: page("checkin.title", { name: event.name },
      h("p", {}, link(`/events/${id}`, t("checkin.back")), " · ", h("a", { href: "/scan/" }, t("checkin.open_scanner"))),
      message,
      h("h2", {}, t("checkin.lists")), updated, listsBox,
      h("h2", {}, t("checkin.conflicts")), conflictsBox,
      h("h2", {}, t("checkin.scanners")), h("p", { class: "hint" }, t("checkin.scanners_hint")), scannerForm, scannersBox,
      h("h2", {}, t("checkin.new_list")), listForm),
    cleanup: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
