"""What a message says, in the recipient's language: subject, paragraphs, a one-line text
for SMS and push, the tickets to draw as QR codes and the calendar file.

Every sentence is a msgid of the catalogs (app/locale); dates are shown in the event's
time zone and money in the recipient's language (Babel).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from app.attendees import answers as attendee_rules
from app.attendees import service as attendees
from app.auth import links
from app.auth import repo as auth_repo
from app.core.clock import from_epoch_ms, utcnow
from app.core.db import Conn
from app.core.i18n import N_, Np_, format_money, format_when, render, render_plural
from app.money.service import receipt_for_message
from app.notifications import kinds, repo
from app.notifications.calendar import event_ics
from app.orders import repo as orders_repo
from app.orgs import invitations
from app.orgs import repo as orgs_repo

# Why an order was cancelled, as the fan reads it (orders.cancel_reason values).
CANCEL_REASONS = {
    "payment_canceled": N_("The payment was not completed."),
    "checkout_expired": N_("The time to pay ran out."),
}
DEFAULT_CANCEL_REASON = N_("The order could not be completed.")


@dataclass
class Ticket:
    seq: int
    code: str


@dataclass
class Content:
    subject: str
    greeting: str
    paragraphs: list[str]
    short: str
    tickets: list[Ticket] = field(default_factory=list)
    ticket_label: str = ""
    calendar: bytes | None = None
    # The order's receipt (PDF, in the message's language), attached to the confirmation.
    receipt: bytes | None = None
    signature: str = ""
    # One action by link (account messages): the address and its words.
    link: str = ""
    link_label: str = ""


class Gone(Exception):
    """What the message is about no longer exists; nothing to send."""


def _seat_words(rows: Iterable[asyncpg.Record], t: Callable[..., str]) -> str:
    """'row A, seat 5; row A, seat 6' for the rows that have a reserved seat ('' for none)."""
    return "; ".join(
        t(N_("row {row}, seat {number}"), row=row["seat_row"], number=row["seat_number"])
        for row in rows
        if row["seat_row"] is not None
    )


async def _attendee_lines(
    conn: Conn,
    order: Any,
    tickets: list[Any],
    t: Callable[..., str],
    locale: str,
) -> list[str]:
    """The names on the tickets, and where to add them while the event asks for them."""
    names, cutoff, questions = await attendees.rules_of(conn, str(order["event_id"]))
    lines: list[str] = []
    given = [str(row["attendee_name"]) for row in tickets if row["attendee_name"]]
    if given:
        lines.append(t(N_("Names on your tickets: {names}."), names="; ".join(given)))
    until = attendee_rules.changes_until(order["starts_at"], cutoff)
    asks = names != "off" or bool(questions)
    if asks and utcnow() < until and len(given) < len(tickets):
        lines.append(
            t(
                N_("Add the name for each ticket in the app (My orders) before {until}."),
                until=format_when(locale, until, order["timezone"]),
            )
        )
    return lines


async def build(
    conn: Conn,
    kind: str,
    payload: dict[str, Any],
    locale: str,
    name: str,
    *,
    secret: str = "",
    public_url: str = "",
) -> Content:
    def t(msgid: str, **params: object) -> str:
        return render(locale, msgid, params)

    def tn(msgids: tuple[str, str], n: int, **params: object) -> str:
        return render_plural(locale, msgids, n, params)

    greeting = t(N_("Hello {name},"), name=name) if name else t(N_("Hello,"))
    signature = t(N_("The Onsale team"))

    if kind in kinds.ACCOUNT_KINDS:
        return await _account(conn, kind, payload, t, greeting, signature, secret, public_url)
    if kind == kinds.ORG_INVITATION:
        return await _invitation(conn, payload, t, greeting, signature, secret, public_url)

    if kind in (
        kinds.ORDER_CONFIRMED,
        kinds.ORDER_REFUNDED,
        kinds.ORDER_CANCELLED,
        kinds.EVENT_REMINDER,
    ):
        order = await repo.order_for_message(conn, str(payload["order_id"]))
        if order is None:
            raise Gone(f"order {payload['order_id']}")
        event = order["event_name"]
        when = format_when(locale, order["starts_at"], order["timezone"])
        amount = format_money(locale, order["amount_cents"], order["currency"])
        order_ref = str(order["order_id"])[:8]
        if kind == kinds.ORDER_CONFIRMED:
            # A static code in an email gets in only where the organizer allows static codes;
            # elsewhere the door wants the app's live, rotating code, so none is sent.
            static = bool(order["static_codes"])
            rows = await repo.tickets_for_message(conn, str(order["order_id"]))
            tickets = [Ticket(row["seq"], row["code"]) for row in rows] if static else []
            seat_list = _seat_words(rows, t)
            # Tickets by type, in the order they were sold: "2 × Adult, 1 × Child".
            per_type: dict[str, int] = {}
            for row in rows:
                if row["type_name"] is not None:
                    per_type[row["type_name"]] = per_type.get(row["type_name"], 0) + 1
            type_list = ", ".join(f"{n} × {name}" for name, n in per_type.items())
            details = tn(
                Np_(
                    "{quantity} ticket in section {section}, {amount} paid, order {order}.",
                    "{quantity} tickets in section {section}, {amount} paid, order {order}.",
                ),
                int(order["quantity"]),
                quantity=order["quantity"],
                section=order["section_name"],
                amount=amount,
                order=order_ref,
            )
            return Content(
                subject=t(N_("Your tickets for {event}"), event=event),
                greeting=greeting,
                paragraphs=[
                    t(
                        N_("Thank you for your order. Here are your tickets for {event}."),
                        event=event,
                    ),
                    t(
                        N_("{event} starts {when} at {venue}."),
                        event=event,
                        when=when,
                        venue=order["venue"],
                    ),
                    details,
                    *([t(N_("Your seats: {seats}."), seats=seat_list)] if seat_list else []),
                    *await _attendee_lines(conn, order, rows, t, locale),
                    *([t(N_("Ticket types: {types}."), types=type_list)] if type_list else []),
                    t(
                        N_(
                            "Show one QR code per person at the entrance. The calendar file in "
                            "the attachment adds the event to your calendar."
                        )
                    )
                    if static
                    else t(
                        N_(
                            "At the entrance, show your tickets in the Onsale app: their codes "
                            "change every few seconds, so a copy or screenshot does not get in. "
                            "The calendar file in the attachment adds the event to your calendar."
                        )
                    ),
                ],
                short=t(N_("Your tickets for {event} are in your email."), event=event),
                tickets=tickets,
                # A template: each ticket's number is filled in where the QR code is drawn.
                ticket_label=t(N_("Ticket {seq}")),
                calendar=event_ics(
                    uid=f"order-{order['order_id']}@onsale",
                    name=event,
                    venue=order["venue"],
                    starts_at=order["starts_at"],
                    description=details,
                ),
                receipt=await receipt_for_message(conn, str(order["order_id"]), locale),
                signature=signature,
            )
        if kind == kinds.ORDER_REFUNDED:
            # What the refund gave back: less than the order when the organizer kept the fees.
            refund = await orders_repo.refund_of_order(conn, str(order["order_id"]))
            if refund is not None:
                amount = format_money(locale, int(refund["amount_cents"]), order["currency"])
            return Content(
                subject=t(N_("Your refund for {event}"), event=event),
                greeting=greeting,
                paragraphs=[
                    t(
                        N_(
                            "Your order {order} for {event} was refunded: {amount}. Its tickets "
                            "are no longer valid."
                        ),
                        order=order_ref,
                        event=event,
                        amount=amount,
                    ),
                ],
                short=t(
                    N_("Your order for {event} was refunded: {amount}."), event=event, amount=amount
                ),
                signature=signature,
            )
        if kind == kinds.ORDER_CANCELLED:
            reason = CANCEL_REASONS.get(order["cancel_reason"] or "", DEFAULT_CANCEL_REASON)
            return Content(
                subject=t(N_("Your order for {event} was cancelled"), event=event),
                greeting=greeting,
                paragraphs=[
                    t(
                        N_(
                            "Your order {order} for {event} was cancelled and you were not charged."
                        ),
                        order=order_ref,
                        event=event,
                    ),
                    t(reason),
                ],
                short=t(
                    N_("Your order for {event} was cancelled; you were not charged."), event=event
                ),
                signature=signature,
            )
        return Content(
            subject=t(N_("Reminder: {event} is coming up"), event=event),
            greeting=greeting,
            paragraphs=[
                t(
                    N_("{event} starts {when} at {venue}."),
                    event=event,
                    when=when,
                    venue=order["venue"],
                ),
                t(N_("Your tickets are in your order confirmation and in the app.")),
                *await _attendee_lines(
                    conn,
                    order,
                    await repo.tickets_for_message(conn, str(order["order_id"])),
                    t,
                    locale,
                ),
            ],
            short=t(N_("{event} starts {when}."), event=event, when=when),
            signature=signature,
        )

    event_row = await repo.event_for_message(conn, str(payload["event_id"]))
    if event_row is None:
        raise Gone(f"event {payload['event_id']}")
    event = event_row["event_name"]
    zone = event_row["timezone"]
    if kind == kinds.YOUR_TURN:
        until = format_when(locale, from_epoch_ms(int(payload["expires_ms"])), zone)
        return Content(
            subject=t(N_("It's your turn for {event}"), event=event),
            greeting=greeting,
            paragraphs=[
                t(N_("It's your turn! You are admitted to the sale of {event}."), event=event),
                t(
                    N_("Your shopping session ends {when}; come back now to choose your seats."),
                    when=until,
                ),
            ],
            short=t(N_("It's your turn for {event}: come back now."), event=event),
            signature=signature,
        )
    if kind == kinds.HOLD_NUDGE:
        until = format_when(locale, from_epoch_ms(int(payload["expires_ms"])), zone)
        return Content(
            subject=t(N_("Your seats for {event} are held until {when}"), event=event, when=until),
            greeting=greeting,
            paragraphs=[
                tn(
                    Np_(
                        "You hold {quantity} seat in section {section} for {event} until {when}.",
                        "You hold {quantity} seats in section {section} for {event} until {when}.",
                    ),
                    int(payload["quantity"]),
                    quantity=payload["quantity"],
                    section=payload["section"],
                    event=event,
                    when=until,
                ),
                t(N_("Complete your purchase before then, or the seats go back on sale.")),
            ],
            short=t(
                N_("Your seats for {event} are held until {when}: pay now."),
                event=event,
                when=until,
            ),
            signature=signature,
        )
    if kind == kinds.DRAW_WON:
        opens = format_when(locale, datetime.fromisoformat(str(payload["opens_at"])), zone)
        closes = format_when(locale, datetime.fromisoformat(str(payload["closes_at"])), zone)
        code = str(payload["code"])
        return Content(
            subject=t(N_("You're in: your access code for {event}"), event=event),
            greeting=greeting,
            paragraphs=[
                t(
                    N_("You were drawn for {phase} of {event}. Your access code: {code}"),
                    phase=payload["phase"],
                    event=event,
                    code=code,
                ),
                t(
                    N_(
                        "It works from {opens} until {closes}: enter it at the waiting room's "
                        "door in the app. It is yours alone and works on your account only."
                    ),
                    opens=opens,
                    closes=closes,
                ),
            ],
            short=t(
                N_("You're in for {event}: code {code}, from {opens}."),
                event=event,
                code=code,
                opens=opens,
            ),
            signature=signature,
        )
    if kind == kinds.DRAW_LISTED:
        opens = format_when(locale, datetime.fromisoformat(str(payload["opens_at"])), zone)
        ahead = int(payload["place"]) - 1
        return Content(
            subject=t(N_("On the list for {event}"), event=event),
            greeting=greeting,
            paragraphs=[
                t(
                    N_(
                        "The draw for {phase} of {event} has run. You were not among the first "
                        "drawn, but you are on the list for the codes that go unused."
                    ),
                    phase=payload["phase"],
                    event=event,
                ),
                tn(
                    Np_(
                        "{ahead} fan is ahead of you on the list.",
                        "{ahead} fans are ahead of you on the list.",
                    ),
                    ahead,
                    ahead=ahead,
                ),
                t(
                    N_("If a code reaches you, we send it by email; the phase opens at {opens}."),
                    opens=opens,
                ),
            ],
            short=t(N_("On the list for {event}: we'll write if a code reaches you."), event=event),
            signature=signature,
        )
    if kind == kinds.DRAW_NOT_DRAWN:
        return Content(
            subject=t(N_("Not this time: {event}"), event=event),
            greeting=greeting,
            paragraphs=[
                t(
                    N_(
                        "The draw for {phase} of {event} has run, and this account was not in "
                        "it: each person takes part once, and another account of yours (the "
                        "same phone number or card) registered first."
                    ),
                    phase=payload["phase"],
                    event=event,
                ),
                t(N_("That account receives the draw's news for you.")),
            ],
            short=t(
                N_("Not this time for {event}: another account of yours is in the draw."),
                event=event,
            ),
            signature=signature,
        )
    if kind == kinds.WAITLIST_OFFER:
        until = format_when(locale, datetime.fromisoformat(str(payload["expires_at"])), zone)
        amount = format_money(locale, int(payload["amount_cents"]), str(payload["currency"]))
        section = await repo.section_name(conn, str(payload["event_id"]), str(payload["section"]))
        seat_ids = [s for s in str(payload.get("seats") or "").split(",") if s]
        seat_list = (
            _seat_words(
                await repo.seat_labels(
                    conn, str(payload["event_id"]), str(payload["section"]), seat_ids
                ),
                t,
            )
            if seat_ids
            else ""
        )
        return Content(
            subject=t(N_("Seats for {event} came back: they are held for you"), event=event),
            greeting=greeting,
            paragraphs=[
                t(
                    N_(
                        "Seats for {event} came back, and you were next on the waiting list. "
                        "They are held for you until {when}."
                    ),
                    event=event,
                    when=until,
                ),
                t(
                    N_("Section: {section}. Seats: {quantity}. Total: {amount}."),
                    section=section or payload["section"],
                    quantity=payload["quantity"],
                    amount=amount,
                ),
                *([t(N_("Your seats: {seats}."), seats=seat_list)] if seat_list else []),
                t(
                    N_(
                        "Open Onsale and pay before then, or say no thanks there: the seats "
                        "then go to the next fan on the list."
                    )
                ),
            ],
            short=t(
                N_("Seats for {event} are held for you until {when}: open Onsale to pay."),
                event=event,
                when=until,
            ),
            signature=signature,
        )
    if kind in (kinds.TRANSFER_OFFERED, kinds.TRANSFER_ACCEPTED, kinds.TICKET_RECEIVED):
        return _transfer_message(kind, payload, event, t, greeting, signature)
    if kind == kinds.RESALE_SOLD:
        amount = format_money(locale, int(payload["amount_cents"]), str(payload["currency"]))
        return Content(
            subject=t(N_("Your ticket for {event} was resold"), event=event),
            greeting=greeting,
            paragraphs=[
                t(
                    N_(
                        "Another fan bought the ticket you listed for {event}. Its code is no "
                        "longer valid; {amount} goes back to your card."
                    ),
                    event=event,
                    amount=amount,
                ),
            ],
            short=t(
                N_("Your ticket for {event} was resold: {amount} back."), event=event, amount=amount
            ),
            signature=signature,
        )
    raise Gone(f"no fan message of kind {kind}")


async def _account(
    conn: Conn,
    kind: str,
    payload: dict[str, Any],
    t: Callable[..., str],
    greeting: str,
    signature: str,
    secret: str,
    public_url: str,
) -> Content:
    """Account messages; their links are minted now, so no usable link is ever stored."""
    user = await auth_repo.by_id(conn, str(payload["user_id"]))
    if user is None:
        raise Gone(f"user {payload['user_id']}")
    reset = links.url(
        public_url, links.RESET_PATH, links.reset_token(secret, user.user_id, user.password_hash)
    )
    if kind == kinds.PASSWORD_RESET:
        return Content(
            subject=t(N_("Reset your Onsale password")),
            greeting=greeting,
            paragraphs=[
                t(N_("Someone asked to reset the password of your Onsale account.")),
                t(
                    N_(
                        "The link works once, for 30 minutes. If you did not ask for it, "
                        "ignore this email: your password stays as it is."
                    )
                ),
            ],
            short=t(N_("Reset your Onsale password with the link in your email.")),
            link=reset,
            link_label=t(N_("Choose a new password")),
            signature=signature,
        )
    if kind == kinds.EMAIL_VERIFY:
        if str(payload.get("email", "")).lower() != user.email.lower():
            raise Gone(f"address of {user.user_id} changed")
        verify = links.url(
            public_url, links.VERIFY_PATH, links.verify_token(secret, user.user_id, user.email)
        )
        return Content(
            subject=t(N_("Confirm your email address for Onsale")),
            greeting=greeting,
            paragraphs=[
                t(N_("Please confirm that this is your email address.")),
                t(N_("Some sales need a confirmed address before you can pay.")),
            ],
            short=t(N_("Confirm your email address with the link in your email.")),
            link=verify,
            link_label=t(N_("Confirm my email address")),
            signature=signature,
        )
    return Content(
        subject=t(N_("You already have an Onsale account")),
        greeting=greeting,
        paragraphs=[
            t(
                N_(
                    "Someone tried to create an Onsale account with this email address, "
                    "which already has one. If it was you, sign in with your password."
                )
            ),
            t(
                N_(
                    "Forgot it? Choose a new one with the link below (it works once, for 30 "
                    "minutes). If it was not you, ignore this email."
                )
            ),
        ],
        short=t(N_("You already have an Onsale account: sign in or reset your password.")),
        link=reset,
        link_label=t(N_("Choose a new password")),
        signature=signature,
    )


# How an invitation names each role, as the invitee reads it.
ROLE_NAMES = {
    "owner": N_("owner"),
    "manager": N_("manager"),
    "box_office": N_("box office"),
    "scanner": N_("scanner"),
    "viewer": N_("viewer"),
}


async def _invitation(
    conn: Conn,
    payload: dict[str, Any],
    t: Callable[..., str],
    greeting: str,
    signature: str,
    secret: str,
    public_url: str,
) -> Content:
    """The link is minted now, for the invitation and the address it goes to."""
    invitation_id = str(payload["invitation_id"])
    row = await orgs_repo.invitation_by_id(conn, invitation_id)
    if row is None or row["accepted_at"] is not None or row["revoked_at"] is not None:
        raise Gone(f"invitation {invitation_id}")
    org = row["org_name"]
    role = t(ROLE_NAMES.get(row["role"], N_("viewer")))
    link = invitations.url(public_url, invitations.token(secret, invitation_id, row["email"]))
    return Content(
        subject=t(N_("Join {org} on Onsale"), org=org),
        greeting=greeting,
        paragraphs=[
            t(
                N_("{inviter} invites you to the team of {org} as {role}."),
                inviter=payload.get("inviter") or org,
                org=org,
                role=role,
            ),
            t(
                N_(
                    "Open the link and sign in with this email address (or create an account "
                    "with it) to accept. The invitation is valid for 14 days."
                )
            ),
        ],
        short=t(N_("You are invited to the team of {org} on Onsale."), org=org),
        link=link,
        link_label=t(N_("Accept the invitation")),
        signature=signature,
    )


def _transfer_message(
    kind: str,
    payload: dict[str, Any],
    event: str,
    t: Callable[..., str],
    greeting: str,
    signature: str,
) -> Content:
    seat = t(
        N_("Ticket {seq} in section {section}"), seq=payload["seq"], section=payload["section"]
    )
    if kind == kinds.TRANSFER_OFFERED:
        return Content(
            subject=t(N_("A ticket for {event} is waiting for you"), event=event),
            greeting=greeting,
            paragraphs=[
                t(
                    N_("Someone is giving you a ticket for {event}: {seat}."),
                    event=event,
                    seat=seat,
                ),
                t(N_("Open My tickets in the app and accept it to get your own ticket code.")),
            ],
            short=t(N_("A ticket for {event} is waiting for you in the app."), event=event),
            signature=signature,
        )
    if kind == kinds.TRANSFER_ACCEPTED:
        return Content(
            subject=t(N_("Your ticket for {event} was transferred"), event=event),
            greeting=greeting,
            paragraphs=[
                t(
                    N_("The ticket you gave away for {event} was accepted: {seat}."),
                    event=event,
                    seat=seat,
                ),
                t(N_("Its old code no longer admits anyone.")),
            ],
            short=t(N_("Your ticket for {event} was transferred."), event=event),
            signature=signature,
        )
    return Content(
        subject=t(N_("Your ticket for {event}"), event=event),
        greeting=greeting,
        paragraphs=[
            t(N_("The ticket is yours now: {seat} for {event}."), event=event, seat=seat),
            t(N_("Show its code from My tickets in the app at the entrance.")),
        ],
        short=t(N_("Your ticket for {event} is in the app."), event=event),
        signature=signature,
    )
