"""Every operation of the API is placed: it has a console screen (checked: the view calls it), it
belongs to the fan app (or the scanner), or it stays API-only for a reason written down here.

A new endpoint fails this test until it is placed, so no capability lives only in the API by
accident. The console's column is verified against its views; the fan app's column is the fan
app's to verify (its own check can reuse FAN below).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.asgi import create_app
from app.core.settings import Settings

CONSOLE = Path(__file__).resolve().parents[2] / "app" / "web" / "console"

# operationId -> (console module that calls it, a literal of the call only that operation makes)
SCREENS: dict[str, tuple[str, str]] = {
    "listEvents": ("views/events.js", "api.get(`/events?${params}`)"),
    "createEvent": ("views/event_form.js", '"/events"'),
    "getEvent": ("views/live.js", "api.get(`/events/${id}`)"),
    "patchEvent": ("views/event_form.js", "api.patch("),
    "publishEvent": ("views/live.js", 'btn("publish"'),
    "pauseEvent": ("views/live.js", 'btn("pause"'),
    "resumeEvent": ("views/live.js", 'btn("resume"'),
    "changeSectionCapacity": ("views/live.js", "/capacity`"),
    "getLiveSale": ("views/live.js", "/live`"),
    "exportEventOrders": ("views/orders.js", "/orders?format=csv`"),
    "getFunnelReport": ("views/reports.js", "/reports/funnel?format=json`"),
    "getSalesReport": ("views/reports.js", "/reports/sales?format=json`"),
    "getOccupancyReport": ("views/reports.js", "/reports/occupancy?format=json`"),
    "getRevenueReport": ("views/reports.js", "/reports/revenue?format=json`"),
    "getEventMoney": ("views/money.js", "api.get(`/events/${id}/money`)"),
    "putEventMoney": ("views/money.js", "api.put(`/events/${id}/money`"),
    "exportQueueEntrants": ("parts/fairness.js", "/queue/entrants`"),
    "searchOrders": ("views/orders.js", "/manage/orders?"),
    "getOrder": ("views/order.js", "api.get(`/orders/${id}`)"),
    "refundOrder": ("views/order.js", "/refund`"),
    "listUsers": ("views/admin.js", "/admin/users?"),
    "grantRoles": ("views/admin.js", "/roles`, { roles"),
    "revokeRole": ("views/admin.js", "/roles/${role}`"),
    "resetUserTotp": ("views/admin.js", "/totp`"),
    "listAudit": ("views/audit.js", '"/admin/audit"'),
    "listEventAudit": ("views/audit.js", "/audit`"),
    "getAdmissionControl": ("views/admission.js", "/admission`"),
    "setAdmissionTargets": ("views/admission.js", "/admission/targets`"),
    "listEventWebhooks": ("views/webhooks.js", "`/events/${eventId}/webhooks`"),
    "createEventWebhook": ("views/webhooks.js", "api.post(base,"),
    "deleteEventWebhook": ("views/webhooks.js", "api.delete(`${base}/${hook.webhook_id}`)"),
    "listEventWebhookDeliveries": ("views/webhooks.js", "/deliveries`)"),
    "replayEventWebhookDelivery": ("views/webhooks.js", "/replay`"),
    "listOrganizerWebhooks": ("views/webhooks.js", '"/organizer/webhooks"'),
    "createOrganizerWebhook": ("views/webhooks.js", "api.post(base,"),
    "deleteOrganizerWebhook": ("views/webhooks.js", "api.delete(`${base}/${hook.webhook_id}`)"),
    "listOrganizerWebhookDeliveries": ("views/webhooks.js", "/deliveries`)"),
    "replayOrganizerWebhookDelivery": ("views/webhooks.js", "/replay`"),
    "login": ("views/signin.js", '"/auth/login"'),
    "loginTotp": ("views/signin.js", '"/auth/login/totp"'),
    "logout": ("core.js", "api.logout()"),
    "getMe": ("core.js", 'api.get("/me")'),
    "getTotpStatus": ("views/account.js", '"/auth/totp"'),
    "startTotpEnrolment": ("parts/totp.js", '"/auth/totp/enrol"'),
    "confirmTotpEnrolment": ("parts/totp.js", '"/auth/totp/confirm"'),
    "regenerateRecoveryCodes": ("views/account.js", '"/auth/totp/recovery-codes"'),
    "listCheckinLists": ("views/checkin.js", "api.get(`/events/${id}/checkin-lists`)"),
    "createCheckinList": ("views/checkin.js", "api.post(`/events/${id}/checkin-lists`"),
    "listCheckinConflicts": ("views/checkin.js", "/checkin-conflicts`)"),
    "resolveCheckinConflict": ("views/checkin.js", "/resolve`"),
    "listScanners": ("views/checkin.js", "api.get(`/events/${id}/scanners`)"),
    "grantScanner": (
        "views/checkin.js",
        '/scanners/${encodeURIComponent(email)}`, { method: "PUT" }',
    ),
    "revokeScanner": ("views/checkin.js", "api.delete(`/events/${id}/scanners/"),
    "getMoveRules": ("parts/moves.js", "/move-rules`)"),
    "setMoveRules": ("parts/moves.js", '/move-rules`, { method: "PUT"'),
    "listEventMoves": ("parts/moves.js", "/moves`)"),
    "listPhases": ("views/phases.js", "api.get(`/events/${id}/phases`)"),
    "createPhase": ("views/phases.js", "api.post(`/events/${id}/phases`, body"),
    "deletePhase": ("views/phases.js", "api.delete(`/events/${id}/phases/${p.phase_id}`)"),
    "createPhaseCodes": ("views/phases.js", "/codes`,\n"),
    "exportPhaseCodes": ("views/phases.js", "api.get(`/events/${id}/phases/${p.phase_id}/codes`)"),
    "importPhaseCodes": ("views/phases.js", "/codes/import`"),
    "createDiscount": ("views/discounts.js", "api.post(`/events/${id}/discounts`, body"),
    "listDiscounts": ("views/discounts.js", "api.get(`/events/${id}/discounts`)"),
    "disableDiscount": ("views/discounts.js", "/disable`"),
    "listTicketTypes": ("views/types.js", "api.get(`/events/${id}/types`)"),
    "createTicketType": ("views/types.js", "api.post(`/events/${id}/sections/${where}/types`"),
    "replaceTicketType": ("views/types.js", "api.put(`/events/${id}/sections/${where}/types/"),
    "deleteTicketType": (
        "views/types.js",
        "api.delete(`/events/${id}/sections/${ty.section}/types/",
    ),
    "putPhaseMembers": ("views/phases.js", '/members`, { method: "PUT"'),
    "runDraw": ("views/phases.js", "/draw`, v ?"),
    "getDraw": ("views/phases.js", "api.get(`/events/${id}/phases/${p.phase_id}/draw`)"),
    "refillDraw": ("views/phases.js", "/draw/refill`"),
    "exportPhaseEntrants": ("views/phases.js", "/entrants`"),
    "importSeatMap": ("views/seats.js", "/seatmap`, plan.text"),
    "exportSeatMap": ("views/seats.js", "/seatmap?format="),
    "getSectionSeats": ("views/seats.js", "api.get(seatsPath(id, code)"),
    "blockSeats": ("views/seats.js", '"block" : "unblock"'),
    "unblockSeats": ("views/seats.js", '"block" : "unblock"'),
    "unpublishEvent": ("views/live.js", 'btn("unpublish"'),
    "archiveEvent": ("views/live.js", 'btn("archive"'),
    "duplicateEvent": ("views/live.js", "/duplicate`"),
    "listOrgs": ("core.js", 'api.get("/orgs")'),
    "createOrg": ("views/team.js", 'api.post("/orgs"'),
    "getTeam": ("views/team.js", "/team`)"),
    "inviteMember": ("views/team.js", "/invitations`, body)"),
    "revokeInvitation": ("views/team.js", "/invitations/${inv.invitation_id}`)"),
    "acceptInvitation": ("views/invitation.js", '"/invitations/accept"'),
    "changeMemberRole": ("views/team.js", "api.patch(`/orgs/"),
    "removeMember": ("views/team.js", "api.delete(`/orgs/${org.org_id}/members/"),
    "listOrgAudit": ("views/audit.js", "`/orgs/${org.org_id}/audit`"),
    "getAttendeeSettings": ("views/attendees.js", "api.get(`/events/${id}/attendee-settings`)"),
    "putAttendeeSettings": ("views/attendees.js", "api.put(`/events/${id}/attendee-settings`"),
    "exportAttendees": ("views/attendees.js", "api.get(`/events/${id}/attendees`)"),
    "getOrgSeller": ("views/team.js", "api.get(`/orgs/${org.org_id}/seller`)"),
    "putOrgSeller": ("views/team.js", "api.put(`/orgs/${org.org_id}/seller`"),
}

# The fan app's (and the door scanner's) operations: theirs to show.
FAN = {
    "register", "refreshToken", "patchMe", "getQueueStatus", "joinQueue", "leaveQueue",
    "getQueueChallenge", "streamQueueStatus", "getRoomSnapshot", "createHold", "getHold",
    "releaseHold", "checkoutHold", "listMyOrders", "reportPaymentConfirmed",
    "getNotificationPreferences", "putNotificationPreferences", "getWaitlistStatus",
    "joinWaitlist", "leaveWaitlist", "getParty", "createParty", "leaveParty", "joinParty",
    "requestPasswordReset", "confirmPasswordReset", "verifyEmail", "sendVerificationEmail",
    "cancelMyOrder", "transferTicket", "acceptTransfer", "cancelTransfer", "listTicketForResale",
    "getResaleListing", "withdrawResale", "listMyTickets", "getEventCalendar",
    "getHoldPrice", "getOrderReceipt", "getOrderAttendees", "putOrderAttendees",
    # the door scanner app (app/web/scan)
    "registerForDraw", "getDrawRegistration",
    "getScannerKeys", "checkIn", "syncCheckins", "getCheckinData", "listMyScannerEvents",
    # the standalone room's page (app/web/room), in front of a shop that is not an event
    "joinRoom", "getRoomStatus",
}  # fmt: skip

# Operations no screen shows, and why.
API_ONLY = {
    "healthLive": "a probe for the process supervisor",
    "healthReady": "a probe for the load balancer",
    "stripeWebhook": "called by Stripe, not by people",
    "getEventStats": "the live sale view reads the same figures through getLiveSale",
    "stepUp": "the console's sessions start with the second factor, so never need to step up",
    "disableTotp": "organizers and admins must keep two-factor sign-in; a lost phone is an "
    "admin's reset (resetUserTotp)",
    "setQueuePowDifficulty": "an operator's lever during an attack, set from the command line "
    "or the API, not a routine organizer choice",
    "checkRoomGate": "asked by nginx's auth_request on every request to a protected shop, "
    "never by a person",
    "rotateScannerKey": "rotating the ticket signing key is an operator's step (`onsale tickets "
    "rotate-key`, docs: ticket codes and scanner keys); no console screen yet",
}


def operations() -> set[str]:
    doc = create_app(Settings()).openapi_schema.to_schema()
    return {
        op["operationId"]
        for item in doc["paths"].values()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_every_operation_has_a_place() -> None:
    ops = operations()
    placed = set(SCREENS) | FAN | set(API_ONLY)
    assert sorted(ops - placed) == [], "place these in SCREENS, FAN or API_ONLY (with a reason)"
    assert sorted(placed - ops) == []  # nothing listed that the API no longer has
    assert not set(SCREENS) & FAN
    assert not set(SCREENS) & set(API_ONLY)
    assert not FAN & set(API_ONLY)


@pytest.mark.parametrize("operation", sorted(SCREENS))
def test_the_console_calls_what_it_claims(operation: str) -> None:
    module, call = SCREENS[operation]
    assert call in (CONSOLE / module).read_text(), (operation, module, call)
