// Status tags: an event's sale status and an order's status, as the console draws them everywhere.
import { t } from "../core.js";
import { h } from "../dom.js";

/** The event's status, with "on sale" for a published event inside its sale window. */
export function statusTag(event) {
  const key = event.archived_at ? "archived" : event.on_sale ? "on_sale" : event.status;
  return h("span", { class: `tag tag-${key}` }, t(`status.${key}`));
}

/** An order's status (pending, confirmed, refunded, cancelled). */
export function orderStatus(status) {
  return h("span", { class: `tag tag-${status}` }, t(`order_status.${status}`));
}
