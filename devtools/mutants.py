"""Mutation run: one-line bugs put into a copy of the tree, each alone, against the tests that
should catch them; prints a caught/missed table.

    python -m devtools.mutants            # every mutant
    python -m devtools.mutants -k convert # mutants whose name contains "convert"
    python -m devtools.mutants --list

Each mutant replaces one exact snippet (which must occur exactly once) in a fresh
copy of the working tree; the copy comes first on PYTHONPATH, so the test run and
any process it starts import the mutated code and Lua. Exit status 1 when a mutant
is missed, 2 when a mutant no longer applies (the code moved: update its snippet).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LUA = ["tests/lua"]
LIMITS = [*LUA, "tests/integration/test_limit_straddle.py"]
WEBHOOK = ["tests/integration/test_webhook_jobs.py"]
FINALIZE = [
    "tests/integration/test_finalize_faults.py",
    "tests/integration/test_finalize_group.py",
]
RETRY = ["tests/integration/test_finalize_faults.py"]
OUTAGE = ["tests/integration/test_checkout_outage.py"]
THREE_DS = ["tests/integration/test_checkout_3ds.py"]
DRIFT = ["tests/integration/test_drift_rule.py"]
SESSION = ["tests/integration/test_session_ends_on_purchase.py"]
CLAIM = ["tests/integration/test_claiming_worker.py"]
SHARED_TX = ["tests/integration/test_shared_transactions.py"]
INBOX = ["tests/integration/test_webhook_inbox.py", "tests/integration/test_webhook_jobs.py"]
LIFECYCLE = ["tests/integration/test_event_lifecycle.py"]
ETA = ["tests/lua/test_queue_eta.py", "tests/integration/test_queue_eta.py"]
SWEEPER = ["tests/integration/test_sweeper_batches.py"]
CONFIRM = ["tests/integration/test_confirm_without_webhooks.py"]
RECONCILER = ["tests/integration/test_payment_reconciler.py"]
CANONICAL = ["tests/integration/test_canonical_ids.py"]
PUBLIC_VIEW = [
    "tests/integration/test_holds.py::test_the_public_view_shows_an_organizer_change_at_once"
]
TOTP_RESET = ["tests/integration/test_manage.py::test_admin_resets_a_lost_authenticator"]
RELEASE_PAGE = [
    "tests/browser/test_fan_payment.py"
    "::test_seats_not_given_back_say_so_and_a_sale_that_stood_shows_the_orders"
]
SEATS_TAKEN_PAGE = [
    "tests/browser/test_fan_seats.py"
    "::test_a_seat_taken_by_someone_else_turns_grey_and_a_refusal_names_the_seats"
]
SOLD_OUT_PAGE = ["tests/browser/test_fan_waiting_room.py::test_not_yet_open_and_sold_out_are_drawn"]
HOLD_RATE = ["tests/lua/test_hold_scripts.py"]
JOIN_RATE = ["tests/integration/test_queue.py::test_the_join_limit_still_limits"]
TOTP_BOUND = [
    "tests/integration/test_totp.py::test_a_sealed_secret_copied_to_another_account_does_not_verify"
]
SESSION_RULES = "tests/integration/test_session_rules.py::"
SECOND_FACTOR = [
    SESSION_RULES + "test_promoted_account_gets_no_admin_role_at_refresh_until_it_steps_up"
]
REFRESH_LOCK = [
    SESSION_RULES + "test_concurrent_refreshes_of_one_token_issue_one_pair_and_keep_the_session"
]
REFRESH_GRACE = [SESSION_RULES + "test_a_second_refresh_within_the_grace_gets_the_same_pair"]
DEMOTION = [SESSION_RULES + "test_removing_a_role_ends_the_accounts_sessions"]
STREAM_SESSION = [SESSION_RULES + "test_stream_token_ends_with_its_session"]
ENTRY_POW = [
    "tests/integration/test_entry_costs.py"
    "::test_party_members_and_the_waiting_list_each_pay_a_proof_of_work"
]
ENTRY_LIMITS = [
    "tests/integration/test_entry_costs.py::test_party_and_waiting_list_are_rate_limited_per_account"
]
SESSION_MIRROR = ["tests/integration/test_session_mirror.py"]
STREAM_LIMIT = ["tests/integration/test_queue_costs.py::test_the_stream_limit_still_limits"]
PARTY_JOIN = ["tests/integration/test_party.py"]
STREAM_SLOTS = [
    "tests/acceptance/test_security_live.py"
    "::test_a_closed_stream_gives_its_slot_back_and_retry_after_tells_when"
]
CODECS = ["tests/unit/test_codecs.py"]
MOVES = "tests/integration/test_moves.py::"
MOVES_MACHINE = ["tests/lua/test_moves_machine.py"]
INPUT_EDGE = ["tests/integration/test_input_edge.py"]
HEADER_MAIL = [
    "tests/integration/test_notifications.py"
    "::test_an_event_name_with_line_breaks_or_unicode_still_mails_without_a_new_header"
]
CSV_TAB = [
    "tests/integration/test_security.py"
    "::test_csv_export_escapes_cells_starting_with_tab_or_carriage_return"
]
AUDIT_ORIGIN = [
    "tests/integration/test_client_address.py"
    "::test_a_malformed_forwarded_for_reaches_no_key_and_no_audit_entry"
]
REPLAY = [
    "tests/integration/test_notifications.py"
    "::test_a_dead_webhook_delivery_is_replayed_by_its_owner_only"
]
TOTP_OLD_ROWS = [
    "tests/integration/test_totp.py::test_authenticators_from_before_sealing_are_sealed_and_keep_working"
]
TICKET_CODES = ["tests/unit/test_ticket_codes.py"]
CHECKIN = "tests/integration/test_checkin.py::"
CHECKIN_MACHINE = ["tests/integration/test_checkin_machine.py"]
ONLINE_ONCE = [CHECKIN + "test_online_checkin_admits_once_then_says_where_and_when"]
REENTRY = [CHECKIN + "test_exit_and_reentry_on_a_list_that_allows_it"]
CONFLICT = [CHECKIN + "test_offline_scans_sync_and_two_gates_make_a_conflict"]
STALE = [CHECKIN + "test_a_screenshot_goes_stale_and_static_codes_follow_the_event"]
SCANNER_ROLE = [CHECKIN + "test_the_scanner_role_is_per_event"]
SCANNER_TESTS = "tests/browser/test_scanner.py::"
SCANNER_OFFLINE = [SCANNER_TESTS + "test_scanner_works_offline_and_syncs_when_the_network_returns"]
FAN_OFFLINE = [SCANNER_TESTS + "test_fan_tickets_open_with_the_network_cut"]
PRICING = ["tests/unit/test_pricing.py"]
MONEY = "tests/integration/test_money.py::"
ORGS = "tests/integration/test_orgs.py::"
ORGS_MATRIX = [ORGS + "test_each_role_is_allowed_and_refused_on_each_route"]
ORGS_APART = [ORGS + "test_two_organizations_see_nothing_of_each_other"]
ORGS_TEAM = [ORGS + "test_the_last_owner_stays_and_only_owners_change_the_team"]
ORGS_INVITE = [ORGS + "test_an_invitation_by_email_in_the_invitees_language_joins_with_its_role"]
COPIES = "tests/integration/test_event_copies.py::"
ATTENDEES = "tests/integration/test_attendees.py::"
ATT_SAVED = [ATTENDEES + "test_names_and_answers_are_saved_shown_and_exported"]
ATT_FORM = [ATTENDEES + "test_the_form_is_checked_field_by_field_in_the_fans_language"]
ATT_CUTOFF = [ATTENDEES + "test_names_close_at_the_cut_off"]
ATT_WHO = [ATTENDEES + "test_only_the_buyer_names_and_only_the_organization_configures"]
ATT_DOOR = [ATTENDEES + "test_the_scanner_shows_the_name_and_admits_a_ticket_without_one"]
ATT_SELLER = [ATTENDEES + "test_the_receipt_names_the_seller_as_the_owner_set_it"]


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


def m(name: str, path: str, old: str, new: str, tests: list[str]) -> Mutant:
    return Mutant(name, path, old, new, tuple(tests))


ACCOUNTS = ["tests/integration/test_accounts.py"]
STREAM = "tests/integration/test_stream.py"
ROOM_PASSES = "tests/unit/test_room_passes.py"
ROOM_GATE = "tests/lua/test_gate_tick.py"
WAITLIST_OFFERS = [
    "tests/integration/test_waitlist_offers.py",
    "tests/lua/test_inventory_machine.py",
]
ADMISSION = [
    "tests/integration/test_queue.py::test_the_room_admits_no_more_fans_than_the_seats_left_can_serve",
    "tests/integration/test_queue.py::test_sold_out_room_closes_and_reopens",
    "tests/lua/test_queue_scripts.py",
]
CHANCE = [
    "tests/unit/test_chance_calibration.py",
    "tests/unit/test_chance.py",
    "tests/integration/test_chance.py",
]
TALLY_LUA = ["tests/lua/test_tally_orders.py"]
TALLY = ["tests/integration/test_order_tally.py"]

SEATS = ["tests/lua/test_seat_scripts.py", "tests/lua/test_seat_machine.py"]
SEAT_CODES = ["tests/integration/test_seating_orders.py"]
SEAT_RESALE = "tests/integration/test_seat_resale.py::"


PHASES = "tests/integration/test_phases.py::"
PHASE_DRAW = "tests/integration/test_phase_draw.py::"
PHASE_PREQUEUE = (
    "tests/integration/test_phase_rooms.py::"
    "test_a_phases_pre_queue_holds_the_room_until_the_phase_opens"
)
PHASE_ROOMS = (
    "tests/integration/test_phase_rooms.py::"
    "test_a_presale_runs_the_room_by_its_settings_then_the_general_sale_by_its_own"
)

PHASE_EDGES = "tests/integration/test_phase_boundaries.py::"
PHASE_LEFT = [
    PHASE_EDGES + "test_a_fan_left_in_line_when_its_phase_closes_is_told_and_joins_the_next"
]
PHASE_RACE = [
    PHASE_EDGES + "test_the_join_script_refuses_a_phase_that_closed_after_the_door_chose_it"
]
PHASE_ROLES = [
    "tests/integration/test_team_roles_phases.py"
    "::test_each_role_is_allowed_and_refused_on_phases_seat_maps_and_webhooks"
]

DISCOUNT_LUA = ["tests/lua/test_discount_scripts.py"]
TYPE_LUA = ["tests/lua/test_type_scripts.py"]
TYPE_MACHINE = ["tests/lua/test_type_machine.py"]
TYPE_API = ["tests/integration/test_ticket_types.py::test_a_replayed_typed_hold_is_one_hold"]
DISCOUNT_MACHINE = ["tests/lua/test_inventory_machine.py"]
DISCOUNT_API = [
    "tests/integration/test_discounts.py"
    "::test_a_code_lowers_the_hold_and_the_payment_and_goes_back_with_the_hold",
    "tests/integration/test_discounts.py"
    "::test_a_replayed_hold_with_a_code_takes_one_use_and_one_round_trip",
]

MUTANTS = [
    # --- ticket types: quota, limit, window, companion, price, the way back per type -------
    m(
        "types: a type's quota is not checked (the section alone bounds it)",
        "lua/reserve_seats.lua",
        "    if left < q then",
        "    if left < 0 then",
        TYPE_LUA,
    ),
    m(
        "types: the companion rule is not checked",
        "lua/reserve_seats.lua",
        "    if companion ~= '' and (counts[companion] or 0) < 1 then",
        "    if false then",
        TYPE_LUA,
    ),
    m(
        "types: a type's per-order limit lets one more through",
        "lua/reserve_seats.lua",
        "    if limit > 0 and q > limit then",
        "    if limit > 0 and q > limit + 1 then",
        TYPE_LUA,
    ),
    m(
        "types: a type not on sale yet sells",
        "lua/reserve_seats.lua",
        "    if opens > 0 and now < opens then",
        "    if false then",
        TYPE_LUA,
    ),
    m(
        "types: a line is priced at one ticket whatever its quantity",
        "lua/reserve_seats.lua",
        "    line[3] = tonumber(d[1] or '0') * q",
        "    line[3] = tonumber(d[1] or '0')",
        TYPE_LUA,
    ),
    m(
        "types: a hold that ends gives nothing back to its types",
        "lua/_types.lua",
        "    redis.call('HINCRBY', types_key, f .. to, line[2])",
        "    redis.call('HINCRBY', types_key, f .. to, 0)",
        TYPE_LUA,
    ),
    m(
        "types: a refund gives nothing back to its types",
        "lua/return_seats.lua",
        "types_move(types_key, section, lines, 'sold', 'available')",
        "",
        TYPE_MACHINE,
    ),
    m(
        "types: a late payment retakes its lines past a type's quota",
        "lua/convert_hold.lua",
        "if not code_left or not types_available(types_key, section, lines)",
        "if not code_left",
        TYPE_MACHINE,
    ),
    m(
        "types: a quota may go below the tickets held and sold",
        "lua/put_ticket_type.lua",
        "elseif quota < held + sold then",
        "elseif quota < 0 then",
        TYPE_MACHINE,
    ),
    m(
        "types: the Idempotency-Key fingerprint leaves out the lines",
        "app/holds/service.py",
        '        fingerprint += "\\x1flines=" + ",".join(f"{c}:{q}" for c, q in _lines(data))',
        "        pass",
        TYPE_API,
    ),
    # --- discount codes: the limit, the amount, the scope, the use's way back ---------------
    m(
        "discounts: a code's limit > instead of >= (N + 1 uses)",
        "lua/reserve_seats.lua",
        "  if tonumber(d[4] or '0') >= max then",
        "  if tonumber(d[4] or '0') > max then",
        DISCOUNT_LUA,
    ),
    m(
        "discounts: a general-admission hold takes the discount without counting the use",
        "lua/reserve_seats.lua",
        "  if discount_code ~= '' then\n    redis.call('HINCRBY', discounts_key",
        "  if false then\n    redis.call('HINCRBY', discounts_key",
        DISCOUNT_LUA,
    ),
    m(
        "discounts: percent off rounds up",
        "lua/reserve_seats.lua",
        "return OK, math.floor(amount * tonumber(d[2]) / 100), 0",
        "return OK, math.ceil(amount * tonumber(d[2]) / 100), 0",
        DISCOUNT_LUA,
    ),
    m(
        "discounts: an amount off may pass the order's amount",
        "lua/reserve_seats.lua",
        "return OK, math.min(tonumber(d[2]), amount), 0",
        "return OK, tonumber(d[2]), 0",
        DISCOUNT_LUA,
    ),
    m(
        "discounts: the section and phase scope is ignored",
        "lua/reserve_seats.lua",
        "  if (d[5] and d[5] ~= '' and d[5] ~= section)",
        "  if false and (d[5] and d[5] ~= '' and d[5] ~= section)",
        DISCOUNT_LUA,
    ),
    m(
        "discounts: a disabled code still takes uses",
        "lua/reserve_seats.lua",
        "  if not d[1] or d[7] == '1' then",
        "  if not d[1] then",
        DISCOUNT_LUA,
    ),
    m(
        "discounts: a hold that ends without a sale keeps its use",
        "lua/_discounts.lua",
        "redis.call('HINCRBY', discounts_key, code .. ':used', -1)",
        "redis.call('HINCRBY', discounts_key, code .. ':used', 0)",
        DISCOUNT_LUA,
    ),
    m(
        "discounts: a late payment retakes a use past the code's limit",
        "lua/convert_hold.lua",
        "  code_left = d[1] ~= false and tonumber(d[2] or '0') < tonumber(d[1])",
        "  code_left = true",
        DISCOUNT_LUA,
    ),
    m(
        "discounts: the machine's late payment check (limit) loosened",
        "lua/convert_hold.lua",
        "if not code_left or not types_available(",
        "if not types_available(",
        DISCOUNT_MACHINE,
    ),
    m(
        "discounts: the Idempotency-Key fingerprint leaves out the code",
        "app/holds/service.py",
        '        fingerprint += "\\x1fcode=" + data.discount_code.upper()',
        "        pass",
        DISCOUNT_API,
    ),
    m(
        "discounts: a fan's code is not upper-cased before the script",
        "app/holds/service.py",
        'DiscountRequest(data.discount_code.upper(), admission.phase_id or "")',
        'DiscountRequest(data.discount_code, admission.phase_id or "")',
        DISCOUNT_API,
    ),
    # --- reserved seating (issue 27): all or none, taken seats, the orphan rule, codes ---
    m(
        "seats: a pick takes seats someone holds",
        "lua/reserve_seats.lua",
        "    if states[i] then\n      taken[#taken + 1] = chosen[i]",
        "    if false then\n      taken[#taken + 1] = chosen[i]",
        SEATS,
    ),
    m(
        "seats: a pick takes its free seats when some are taken (not all or none)",
        "lua/reserve_seats.lua",
        "  if #taken > 0 then\n    return outcome(SEATS_TAKEN",
        "  if #taken == #chosen then\n    return outcome(SEATS_TAKEN",
        SEATS,
    ),
    m(
        "seats: best available ignores the orphan rule",
        "lua/_seats.lua",
        "      local orphan = (left >= 1",
        "      local orphan = false and (left >= 1",
        SEATS,
    ),
    m(
        "seats: a released or expired hold keeps its seats",
        "lua/_seats.lua",
        "    if redis.call('HGET', states_key, field) == held then\n"
        "      redis.call('HDEL', states_key, field)",
        "    if false then\n      redis.call('HDEL', states_key, field)",
        SEATS,
    ),
    m(
        "seats: a late payment retakes seats someone else holds",
        "lua/_seats.lua",
        "    if redis.call('HEXISTS', states_key, field) == 1 then\n      return false",
        "    if false then\n      return false",
        SEATS,
    ),
    m(
        "seats: the organizer blocks a held seat",
        "lua/block_seats.lua",
        "      elseif state ~= 'b' then",
        "      elseif false then",
        SEATS,
    ),
    m(
        "seats: the ticket code leaves the seat out",
        "app/tickets/keys.py",
        'codes.TicketClaim(self.kid, ticket_id, self.event_id, section, seq, seat or "")',
        "codes.TicketClaim(self.kid, ticket_id, self.event_id, section, seq)",
        SEAT_CODES,
    ),
    # --- each row's free count (best available skips rows by it): every seat move keeps it ---
    m(
        "seat rows: best available passes over a row that fits exactly",
        "lua/_seats.lua",
        "    if free_n == nil or free_n >= quantity then",
        "    if free_n == nil or free_n > quantity then",
        SEATS,
    ),
    m(
        "seat rows: best available's block stays counted free",
        "lua/reserve_seats.lua",
        "  redis.call('HINCRBY', rows_key, section .. '#' .. best_ri, -quantity)",
        "  redis.call('HINCRBY', rows_key, section .. '#' .. best_ri, 0)",
        SEATS,
    ),
    m(
        "seat rows: picked seats stay counted free",
        "lua/reserve_seats.lua",
        "    row_count(rows_key, section, chosen[i], -1)",
        "    row_count(rows_key, section, chosen[i], 0)",
        SEATS,
    ),
    m(
        "seat rows: a released or expired hold's seats are not counted free again",
        "lua/_seats.lua",
        "      row_count(rows_key, section, id, 1)",
        "      row_count(rows_key, section, id, 0)",
        SEATS,
    ),
    m(
        "seat rows: a late payment's retaken seats stay counted free",
        "lua/_seats.lua",
        "    row_count(rows_key, section, ids[i], -1)",
        "    row_count(rows_key, section, ids[i], 0)",
        SEATS,
    ),
    m(
        "seat rows: a seat's move counts in the wrong row",
        "lua/_seats.lua",
        "    redis.call('HINCRBY', rows_key, section .. '#' .. ri, delta)",
        "    redis.call('HINCRBY', rows_key, section .. '#' .. (tonumber(ri) % 2 + 1), delta)",
        SEATS,
    ),
    m(
        "seat rows: a recount leaves a wrong count",
        "lua/_seats.lua",
        "    if tonumber(redis.call('HGET', rows_key, field)) ~= free then",
        "    if redis.call('HEXISTS', rows_key, field) == 0 then",
        SEATS,
    ),
    m(
        "seat rows: a blocked seat stays counted free",
        "lua/block_seats.lua",
        "    row_count(rows_key, section, id, -1)",
        "    row_count(rows_key, section, id, 0)",
        SEATS,
    ),
    m(
        "seat rows: an unblocked seat is not counted free",
        "lua/block_seats.lua",
        "    row_count(rows_key, section, id, 1)",
        "    row_count(rows_key, section, id, 0)",
        SEATS,
    ),
    m(
        "seat rows: a refunded seat is not counted free",
        "lua/return_seats.lua",
        "    row_count(rows_key, section, id, 1)",
        "    row_count(rows_key, section, id, 0)",
        SEATS,
    ),
    m(
        "seat rows: a seat listed for resale is not counted free",
        "lua/list_resale.lua",
        "  row_count(rows_key, section, seat, 1)",
        "  row_count(rows_key, section, seat, 0)",
        SEATS,
    ),
    m(
        "seat rows: a withdrawn listing's seat stays counted free",
        "lua/withdraw_resale.lua",
        "  row_count(rows_key, section, seat, -1)",
        "  row_count(rows_key, section, seat, 0)",
        SEATS,
    ),
    m(
        "seat rows: a seat's move leaves its row's kept choice valid",
        "lua/_seats.lua",
        "    redis.call('HINCRBY', rows_key, section .. '~' .. ri, 1)\n  end",
        "    redis.call('HINCRBY', rows_key, section .. '~' .. ri, 0)\n  end",
        SEATS,
    ),
    m(
        "seat rows: best available's hold leaves its row's kept choice valid",
        "lua/reserve_seats.lua",
        "  redis.call('HINCRBY', rows_key, section .. '~' .. best_ri, 1)",
        "  redis.call('HINCRBY', rows_key, section .. '~' .. best_ri, 0)",
        SEATS,
    ),
    m(
        "seat rows: a kept choice is trusted without checking its seats",
        "lua/_seats.lua",
        "      if states[k] or not best_row.s[best_start + k - 1] then",
        "      if false then",
        SEATS,
    ),
    m(
        "seat rows: a re-import keeps the old map's row counts",
        "lua/load_seats.lua",
        "  redis.call('HDEL', rows_key, section .. '#' .. ri)",
        "  redis.call('HEXISTS', rows_key, section .. '#' .. ri)",
        SEATS,
    ),
    # --- waiting-list offers in seated sections, and listings after a Redis loss ---------
    m(
        "seat offers: a seated offer's seats are not marked held",
        "lua/offer_seats.lua",
        "        redis.call('HSET', states_key, unpack(writes))\n",
        "",
        ["tests/lua/test_seat_offers.py"],
    ),
    m(
        "seat offers: a seated offer looks for one free seat, not the fan's quantity",
        "lua/offer_seats.lua",
        "seats_best(plan_key, states_key, rows_key, section, quantity, '', false)",
        "seats_best(plan_key, states_key, rows_key, section, 1, '', false)",
        ["tests/lua/test_seat_offers.py"],
    ),
    m(
        "reconcile: a rebuild forgets the open resale listings",
        "app/holds/reconcile.py",
        "        await _restore_listings(pool, redis, event_id)\n",
        "",
        [
            "tests/integration/test_moves.py"
            "::test_open_listings_outlive_a_redis_loss_and_are_bought_or_withdrawn",
            SEAT_RESALE + "test_open_listings_outlive_a_redis_loss_and_are_bought_or_withdrawn",
        ],
    ),
    m(
        "reconcile: a rebuild forgets the returned orders",
        "app/holds/reconcile.py",
        "        (keys.returned_orders(event_id), await repo.returned_orders(pool, event_id)),\n",
        "",
        [
            MOVES + "test_a_refund_retried_after_a_redis_loss_returns_its_seats_once",
            SEAT_RESALE + "test_a_refund_retried_after_a_redis_loss_frees_its_seats_once",
        ],
    ),
    m(
        "reconcile: a rebuild marks orders still confirmed as returned",
        "app/sql/queries/holds.sql",
        "SELECT order_id FROM orders WHERE event_id = $1 AND status = 'refunded';",
        "SELECT order_id FROM orders WHERE event_id = $1 AND status <> 'pending';",
        [MOVES + "test_a_refund_retried_after_a_redis_loss_returns_its_seats_once"],
    ),
    m(
        "reconcile: a rebuild forgets the moves already applied",
        "app/holds/reconcile.py",
        "        (keys.moves_done(event_id), await repo.applied_moves(pool, event_id)),\n",
        "",
        [
            MOVES + "test_a_payout_retried_after_a_redis_loss_settles_the_seller_once",
            MOVES + "test_an_accepted_transfer_is_applied_once_across_a_redis_loss",
        ],
    ),
    m(
        "reconcile: a rebuild forgets the sold listings' settlements",
        "app/sql/queries/holds.sql",
        "SELECT listing_id FROM resale_listings WHERE event_id = $1 AND state = 'sold';",
        "SELECT listing_id FROM resale_listings WHERE event_id = $1 AND state = 'withdrawn';",
        [MOVES + "test_a_payout_retried_after_a_redis_loss_settles_the_seller_once"],
    ),
    m(
        "reconcile: a rebuild marks a pending transfer as applied",
        "app/sql/queries/holds.sql",
        "FROM ticket_transfers WHERE event_id = $1 AND state = 'accepted'",
        "FROM ticket_transfers WHERE event_id = $1 AND state <> 'cancelled'",
        [MOVES + "test_an_accepted_transfer_is_applied_once_across_a_redis_loss"],
    ),
    # --- resale of reserved seats: the seat itself goes back on the map and to its buyer ---
    m(
        "seat resale: a listing leaves its seat sold on the map",
        "lua/list_resale.lua",
        "  redis.call('HDEL', states_key, field)\n",
        "",
        [*SEATS, SEAT_RESALE + "test_a_listed_seat_is_bought_as_that_seat_by_the_fan_who_picks_it"],
    ),
    m(
        "seat resale: a seat that is not sold is listed (put on sale twice)",
        "lua/list_resale.lua",
        "  if not state or string.sub(state, 1, 2) ~= 's:' then return -1 end",
        "  if false then return -1 end",
        SEATS,
    ),
    m(
        "seat resale: a withdrawal takes back a seat another fan holds",
        "lua/withdraw_resale.lua",
        "  if redis.call('HEXISTS', states_key, field) == 1 then return 2 end",
        "  if false then return 2 end",
        [*SEATS, SEAT_RESALE + "test_a_listed_seat_is_bought_as_that_seat_by_the_fan_who_picks_it"],
    ),
    m(
        "seat resale: a withdrawn seat stays free on the map",
        "lua/withdraw_resale.lua",
        "  redis.call('HSET', states_key, field, 's:' .. seller_hold)\n",
        "",
        [
            *SEATS,
            SEAT_RESALE + "test_a_withdrawn_seat_is_the_sellers_again_unless_someone_holds_it",
        ],
    ),
    m(
        "seat resale: the listing does not name the ticket's seat",
        "app/moves/resale.py",
        '                event.event_id, listing_id, section, ticket["seat_id"] or ""',
        '                event.event_id, listing_id, section, ""',
        [SEAT_RESALE + "test_a_listed_seat_is_bought_as_that_seat_by_the_fan_who_picks_it"],
    ),
    m(
        "seat resale: a sale of a seat takes the oldest listing, not its seat's",
        "app/sql/queries/orders.sql",
        "      AND (cardinality($5::text[]) = 0 OR t.seat_id = ANY($5::text[]))",
        "      AND true",
        [SEAT_RESALE + "test_a_sale_takes_the_listing_of_its_own_seat_not_the_oldest"],
    ),
    m(
        "seat resale: a refund of the seller frees a listed seat another fan holds",
        "app/sql/queries/orders.sql",
        "  AND NOT EXISTS (SELECT 1 FROM resale_listings l\n"
        "                  WHERE l.ticket_id = t.ticket_id AND l.state = 'refunded')",
        "",
        [
            SEAT_RESALE
            + "test_a_refund_of_the_sellers_order_leaves_a_listed_seat_to_whoever_holds_it"
        ],
    ),
    m(
        "seat resale: reconcile counts a listed seat as sold",
        "app/sql/queries/seats.sql",
        "  AND NOT EXISTS (SELECT 1 FROM resale_listings l\n"
        "                  WHERE l.ticket_id = t.ticket_id AND l.state = 'listed');",
        ";",
        [SEAT_RESALE + "test_reconcile_rebuilds_a_listed_seat_as_free"],
    ),
    m(
        "seat resale: the waiting list is offered a seated section's listed seat without a seat",
        "lua/offer_seats.lua",
        "      if redis.call('HGET', meta_key, 'seated:' .. section) ~= '1' then",
        "      if true then",
        [SEAT_RESALE + "test_the_waiting_list_is_offered_the_listed_seat_by_name_and_buys_it"],
    ),
    # --- accounts (issue 26): reset links single-use and short-lived, verified buyers ---
    m(
        "password reset: a used link works again",
        "app/auth/recovery.py",
        "        if current is None or links.fingerprint(current) != claim.fingerprint:",
        "        if current is None:",
        ACCOUNTS,
    ),
    m(
        "password reset: the other sessions survive it",
        "app/auth/recovery.py",
        "    ended = await sessions.end_all(pool, redis, settings, claim.user_id, "
        '"password_reset")',
        "    ended = 0",
        ACCOUNTS,
    ),
    m(
        "password reset: a link past its 30 minutes still works",
        "app/auth/links.py",
        "    if claim.expires <= time.time():",
        "    if False:",
        ACCOUNTS,
    ),
    m(
        "checkout: a sale that needs a verified address takes an unverified buyer",
        "app/checkout/service.py",
        "        await recovery.check_purchase(res.pool, hold.event_id, principal.user_id)",
        "        pass",
        ACCOUNTS,
    ),
    # --- waiting-list offers (issue 26): an offer covers the whole request or is not made ---
    m(
        "waiting list: an offer when fewer seats came back than the fan asked for",
        "lua/offer_seats.lua",
        "    if price and available >= quantity then",
        "    if price and available > 0 then",
        WAITLIST_OFFERS,
    ),
    m(
        "waiting list: the offer's amount is one seat's price",
        "lua/offer_seats.lua",
        "        return offer(user_id, section, quantity, tonumber(price) * quantity, '')",
        "        return offer(user_id, section, quantity, tonumber(price), '')",
        WAITLIST_OFFERS,
    ),
    m(
        "waiting list: a no-thanks keeps the seats held until the offer lapses",
        "app/waitlist/service.py",
        "        code = await hold_scripts(scripts).release(event_id, hold_id, user_id=user_id, "
        "now=now_ms())",
        "        code = None",
        WAITLIST_OFFERS,
    ),
    # --- inventory-aware admission (issue 26): no turn without a seat ---
    m(
        "admission: the seats left do not bound a batch",
        "lua/admit_batch.lua",
        "slots = math.min(slots, servable)",
        "slots = slots",
        ADMISSION,
    ),
    m(
        "admission: shoppers admitted but not holding are not counted first",
        "lua/admit_batch.lua",
        "local seats_left = available - pending * per_fan",
        "local seats_left = available",
        ADMISSION,
    ),
    m(
        "admission: before holds are seen a fan counts for one seat, not a whole order",
        "lua/admit_batch.lua",
        "local per_fan = math.max(1, tonumber(m[11] or 1))",
        "local per_fan = 1",
        ADMISSION,
    ),
    m(
        "admission: shoppers discounted by the share of past turns that ended in a hold",
        "lua/admit_batch.lua",
        "local seats_left = available - pending * per_fan",
        "local seats_left = available - pending * per_fan * math.max(0.25, math.min(1, "
        "buyers / math.max(1, tonumber(redis.call('HGET', state, 'admitted') or 0) - pending)))",
        ADMISSION,
    ),
    m(
        "admission: a fraction of a fan's seats admits a whole fan",
        "lua/admit_batch.lua",
        "if seats_left > 0 then servable = math.floor(seats_left / per_fan) end",
        "if seats_left > 0 then servable = math.ceil(seats_left / per_fan) end",
        ADMISSION,
    ),
    m(
        "admission: the last seats wait for a whole fan's worth",
        "lua/admit_batch.lua",
        "if servable < 1 and available >= 1 and pending < 1 then servable = 1 end",
        "",
        ADMISSION,
    ),
    m(
        "admission: a shopper who never holds counts until its session ends",
        "lua/admit_batch.lua",
        "local pending = math.max(0, math.min(shopping - holding, recent))",
        "local pending = math.max(0, shopping - holding)",
        ADMISSION,
    ),
    m(
        "admission: a fan counts for one seat whatever the accounts hold",
        "lua/admit_batch.lua",
        "if buyers >= 20 then per_fan = math.max(1, (held + sold) / buyers) end",
        "if buyers >= 20000000 then per_fan = 1 end",
        ADMISSION,
    ),
    # --- chance of success (waiting_room/chance.py): calibrated on a modelled room ---
    m(
        "chance: the fans ahead keep the seats of holds that lapse",
        "waiting_room/chance.py",
        "        keeps = h * c\n",
        "        keeps = h\n",
        CHANCE,
    ),
    m(
        "chance: the conversion counted over the holds whose end is known",
        "waiting_room/chance.py",
        "    made = converted + lapsed + holding\n",
        "    made = converted + lapsed + paying + stale\n",
        CHANCE,
    ),
    m(
        "chance: the seats of holds in checkout come back like idle ones",
        "waiting_room/chance.py",
        "(holding - paying - stale) * per_hold",
        "(holding - stale) * per_hold",
        CHANCE,
    ),
    m(
        "chance: the seats of stale holds are not counted as coming back",
        "waiting_room/chance.py",
        "        remaining = self.available + self.stale_seats * s + idle * (1.0 - c)\n",
        "        remaining = self.available + idle * (1.0 - c)\n",
        CHANCE,
    ),
    m(
        "chance: stale holds all come back, however many fans they are",
        "waiting_room/chance.py",
        "        stale_lapse = max(0.0, min(stale_lapse, plausible / stale))\n",
        "        stale_lapse = max(0.0, stale_lapse)\n",
        CHANCE,
    ),
    m(
        "chance: holds paid by a late checkout ignored",
        "waiting_room/chance.py",
        "    converted, lapsed, late_paid, expired = (int(v or 0) for v in [*ledger, 0, 0][:4])\n",
        "    converted, lapsed, late_paid, expired = (int(v or 0) for v in [*ledger[:2], 0, 0])\n",
        CHANCE,
    ),
    m(
        "chance: the ledger counts a hold paid late whenever its order was written",
        "app/sql/queries/admission.sql",
        "           WHERE o.created_at >= h.created_at + (h.expires_at - h.created_at) / 2\n",
        "           WHERE o.created_at IS NOT NULL\n",
        CHANCE,
    ),
    m(
        "chance: a paid fan's session counts as a shopper",
        "waiting_room/chance.py",
        "    shopping = max(0, min(active - holding, admitted - holders))\n",
        "    shopping = max(0, active - holding)\n",
        CHANCE,
    ),
    m(
        "chance: fans admitted since the figures were read are not counted ahead",
        "waiting_room/chance.py",
        "        n = ahead + self.shopping + since\n",
        "        n = ahead + self.shopping\n",
        CHANCE,
    ),
    m(
        "chance: the fan's own order taken as one seat",
        "waiting_room/chance.py",
        "        sizes = range(1, max(1, round(2 * q - 1)) + 1)\n",
        "        sizes = range(1, 2)\n",
        CHANCE,
    ),
    # --- the console's order figures from Redis (lua/tally_orders.lua, app/orders/tally.py) ---
    m(
        "tally: a retried report counts again",
        "lua/tally_orders.lua",
        "  if redis.call('SADD', counted, kind .. ':' .. order_id) == 1 then",
        "  redis.call('SADD', counted, kind .. ':' .. order_id)\n  if true then",
        TALLY_LUA,
    ),
    m(
        "tally: a refund keeps the order's revenue",
        "lua/tally_orders.lua",
        "        redis.call('HINCRBY', tally, 'revenue_cents', -amount)",
        "        redis.call('HINCRBY', tally, 'revenue_cents', 0)",
        TALLY_LUA,
    ),
    m(
        "tally: an order confirmed after its refund was seen counts as confirmed",
        "lua/tally_orders.lua",
        "      if redis.call('SISMEMBER', counted, 'r:' .. order_id) == 0 then",
        "      if true then",
        TALLY_LUA,
    ),
    m(
        "tally: the seed never marks the tally seeded",
        "lua/tally_orders.lua",
        "  redis.call('HSET', tally, 'seeded', 1)",
        "  redis.call('HSET', tally, 'seeded_', 1)",
        TALLY,
    ),
    m(
        "stats: the record is counted in on every read",
        "app/orders/tally.py",
        "    if found is None:",
        "    if True:",
        TALLY,
    ),
    m(
        "finalize: a confirmed order is not reported to the tally",
        "app/orders/finalize.py",
        "    await res.scripts.view(OrderTally).confirmed(",
        "    await res.scripts.view(OrderTally).refunded(",
        TALLY,
    ),
    # --- security round 2 (issue 22): configuration, secrets, passwords, addresses, headers ---
    m(
        "dev state: production settings read .onsale/dev.json again",
        "app/core/settings.py",
        "        env = os.environ if environ is None else environ\n        defaults = cls()",
        "        env = os.environ if environ is None else environ\n"
        "        env = {**dev_stack_env(env), **env}\n        defaults = cls()",
        ["tests/unit/test_dev_state.py"],
    ),
    m(
        "secrets: the entropy estimate is not applied",
        "app/core/secrets.py",
        "    if estimated_entropy_bits(value) < MIN_ENTROPY_BITS:",
        "    if False:",
        ["tests/unit/test_committed_secrets.py"],
    ),
    m(
        "secrets: values committed to the repository pass",
        "app/core/secrets.py",
        "    if value in KNOWN_DEFAULTS:",
        "    if value in (DEV_SECRET_KEY, DEV_WEBHOOK_SECRET):",
        ["tests/unit/test_committed_secrets.py"],
    ),
    m(
        "client address: a malformed forwarded hop is skipped instead of ending the walk",
        "app/core/clientip.py",
        "        if addr is None:\n            return None\n        if not _trusted(addr, nets):",
        "        if addr is None:\n            continue\n        if not _trusted(addr, nets):",
        ["tests/integration/test_client_address.py"],
    ),
    m(
        "passwords: the breached list is not consulted as it is",
        "app/auth/passwords.py",
        "    if lowered in words:\n        return True",
        "    if False:\n        return True",
        ["tests/integration/test_password_policy.py"],
    ),
    m(
        "passwords: 8 characters are enough again",
        "app/auth/passwords.py",
        "MIN_LENGTH = 12",
        "MIN_LENGTH = 8",
        ["tests/integration/test_password_policy.py"],
    ),
    m(
        "login limit: each spelling of an email gets its own budget",
        "app/auth/controllers.py",
        '    await limiter.hit("login_account", data.email.strip().lower())',
        '    await limiter.hit("login_account", data.email)',
        ["tests/integration/test_login_budget.py"],
    ),
    m(
        "headers: the apps' policy allows inline script",
        "app/web/csp.py",
        """        "script-src " + " ".join(["'self'", *script, *hashes]),""",
        """        "script-src " + " ".join(["'self'", *script, "'unsafe-inline'"]),""",
        ["tests/integration/test_security_headers.py"],
    ),
    m(
        "headers: HSTS believes a client's own X-Forwarded-Proto",
        "app/core/securityheaders.py",
        '        return proto.split(b",")[-1].strip().lower() == b"https" and trusted_peer(\n'
        "            peer, self.trusted_proxies\n"
        "        )",
        '        return proto.split(b",")[-1].strip().lower() == b"https"',
        ["tests/integration/test_security_headers.py"],
    ),
    # --- named in issue 11 ("Tests that bite") -------------------------------------------
    m(
        "reserve: seat check loosened",
        "lua/reserve_seats.lua",
        "    return outcome(NOT_SEATED, '', 0, 0, '', 0, 0)\n  end\n  if available < quantity then",
        "    return outcome(NOT_SEATED, '', 0, 0, '', 0, 0)\n"
        "  end\n  if available < quantity - 1 then",
        LIMITS,
    ),
    m(
        "reserve: per-user check loosened",
        "lua/reserve_seats.lua",
        "if user_seats + quantity > max_per_user then",
        "if user_seats + quantity > max_per_user + 1 then",
        LIMITS,
    ),
    m(
        "reserve: per-user check > to >=",
        "lua/reserve_seats.lua",
        "if user_seats + quantity > max_per_user then",
        "if user_seats + quantity >= max_per_user then",
        LIMITS,
    ),
    m(
        "expire_holds: seats not returned",
        "lua/expire_holds.lua",
        "      redis.call('HINCRBY', inv_key, section .. ':available', quantity)\n",
        "",
        LUA,
    ),
    m(
        "convert: late seat check loosened to available < 1",
        "lua/convert_hold.lua",
        "if available < quantity then",
        "if available < 1 then",
        LUA,
    ),
    m(
        "convert: buyer's seats not counted toward max_per_user",
        "lua/convert_hold.lua",
        "redis.call('HINCRBY', user_seats_key, user_id, quantity)",
        "-- (mutant: seats not counted)",
        LUA,
    ),
    m(
        "expire_checkout: user's seats not given back",
        "lua/expire_checkout.lua",
        "if redis.call('HINCRBY', user_seats_key, user_id, -quantity) <= 0 then",
        "if false then",
        LUA,
    ),
    m(
        "webhook: an unauthorized PaymentIntent is handed to the job as authorized",
        "app/payments/webhooks.py",
        '    if obj.get("status") not in AUTHORIZED or not isinstance(obj.get("metadata"), dict):',
        '    if not isinstance(obj.get("metadata"), dict):',
        WEBHOOK,
    ),
    m(
        "finalize: a retried job trusts the webhook's PaymentIntent",
        "workers/finalize.py",
        "    known = Intent.of(authorized) if authorized is not None and first_try else None\n",
        "    known = Intent.of(authorized) if authorized is not None else None\n",
        RETRY,
    ),
    m(
        "webhook: re-queues finalize for a processed event",
        "app/payments/controllers.py",
        "    if not new:\n",
        "    if False:\n",
        WEBHOOK,
    ),
    m(
        "return_seats: once-guard dropped",
        "lua/return_seats.lua",
        "if redis.call('SISMEMBER', returned_key, order_id) == 1 then",
        "if false then",
        LUA,
    ),
    m(
        "finalize: confirms an order that is no longer pending",
        "app/sql/queries/orders.sql",
        "    WHERE o.order_id = i.order_id AND o.status = 'pending'\n"
        "      AND o.order_id IN (SELECT l.order_id FROM orders l\n"
        "                         WHERE l.order_id = ANY($1::uuid[]) AND l.status = 'pending'\n",
        "    WHERE o.order_id = i.order_id\n"
        "      AND o.order_id IN (SELECT l.order_id FROM orders l\n"
        "                         WHERE l.order_id = ANY($1::uuid[])\n",
        FINALIZE,
    ),
    m(
        "finalize: a batch issues tickets to orders it did not confirm",
        "app/sql/queries/orders.sql",
        "    JOIN confirmed c ON c.order_id = t.order_id\n",
        "    JOIN input c ON c.order_id = t.order_id\n",
        FINALIZE,
    ),
    m(
        "finalize: a late sale's ledger entry takes seats from the held count",
        "app/sql/queries/orders.sql",
        "           quantity, CASE WHEN late THEN 0 ELSE -quantity END\n",
        "           quantity, -quantity\n",
        FINALIZE,
    ),
    m(
        "finalize: a batch's payment rows carry the first order's amount",
        "app/sql/queries/orders.sql",
        "    SELECT payment_id, order_id, payment_intent_id, 'authorized', amount_cents, "
        "currency, now()\n",
        "    SELECT payment_id, order_id, payment_intent_id, 'authorized',\n"
        "           (SELECT min(amount_cents) FROM input), currency, now()\n",
        FINALIZE,
    ),
    # --- others like them ------------------------------------------------------------------
    m(
        "reserve: hold rate limit skipped",
        "lua/reserve_seats.lua",
        "if retry_s > 0 then",
        "if false then",
        HOLD_RATE,
    ),
    m(
        "queue_join: join rate limit skipped",
        "lua/queue_join.lua",
        "if retry_s > 0 then return {-5, retry_s} end",
        "if false then return {-5, retry_s} end",
        JOIN_RATE,
    ),
    m(
        "rate window: off by one (one hit more per window)",
        "lua/_rate_window.lua",
        "math.floor(previous * (window - into) / window) + current + 1 <= limit then",
        "math.floor(previous * (window - into) / window) + current <= limit then",
        HOLD_RATE,
    ),
    m(
        "reserve: per-order check > to >=",
        "lua/reserve_seats.lua",
        "if quantity > max_per_order then",
        "if quantity >= max_per_order then",
        LIMITS,
    ),
    m(
        "reserve: seat check < to <=",
        "lua/reserve_seats.lua",
        "    return outcome(NOT_SEATED, '', 0, 0, '', 0, 0)\n  end\n  if available < quantity then",
        "    return outcome(NOT_SEATED, '', 0, 0, '', 0, 0)\n"
        "  end\n  if available <= quantity then",
        LIMITS,
    ),
    m(
        "release: user's seats not given back",
        "lua/release_hold.lua",
        "if redis.call('HINCRBY', users_key, user_id, -quantity) <= 0 then",
        "if false then",
        LUA,
    ),
    m(
        "convert: in-time conversion leaves seats held",
        "lua/convert_hold.lua",
        "redis.call('HINCRBY', inv_key, held_section .. ':held', -held_quantity)",
        "-- (mutant: held kept)",
        LUA,
    ),
    m(
        "convert: converted hold converted again",
        "lua/convert_hold.lua",
        "if status == 'converted' then",
        "if status == 'converted-never' then",
        LUA,
    ),
    m(
        "convert: late payment ignores max_per_user",
        "lua/convert_hold.lua",
        "if max_per_user and user_seats + quantity > max_per_user then",
        "if false then",
        LUA,
    ),
    m(
        "begin_checkout: hold left in the expiry index",
        "lua/begin_checkout.lua",
        "redis.call('ZREM', expiry_key, hold_id)",
        "-- (mutant: still indexed)",
        LUA,
    ),
    m(
        "begin_checkout: a hold at its expiry may begin",
        "lua/begin_checkout.lua",
        "if expires_at_ms <= now_ms then",
        "if expires_at_ms < now_ms then",
        LUA,
    ),
    m(
        "abort_checkout: hold not put back in the expiry index",
        "lua/abort_checkout.lua",
        "redis.call('ZADD', expiry_key, tonumber(rec[3]), hold_id)",
        "-- (mutant: never expires)",
        LUA,
    ),
    m(
        "abort_checkout: any PaymentIntent aborts",
        "lua/abort_checkout.lua",
        "if rec[1] ~= 'checking_out' or rec[2] ~= payment_intent_id then",
        "if rec[1] ~= 'checking_out' then",
        LUA,
    ),
    m(
        "extend_checkout: any PaymentIntent extends",
        "lua/extend_checkout.lua",
        "if rec[1] ~= 'checking_out' or rec[2] ~= payment_intent_id then",
        "if rec[1] ~= 'checking_out' then",
        LUA,
    ),
    m(
        "expire_checkout: any PaymentIntent expires",
        "lua/expire_checkout.lua",
        "if rec[1] ~= 'checking_out' or rec[2] ~= payment_intent_id then",
        "if rec[1] ~= 'checking_out' then",
        LUA,
    ),
    m(
        "return_seats: user's seats kept",
        "lua/return_seats.lua",
        "  if redis.call('HINCRBY', user_seats_key, holders[i], -holders[i + 1]) <= 0 then",
        "  if false then",
        LUA,
    ),
    # --- the fixes of issue 11: each one undone -------------------------------------------
    m(
        "retry: a failed job is not rerun",
        "workers/retry.py",
        "            raise Retry(defer=defer) from exc",
        "            raise",
        RETRY,
    ),
    m(
        "retry: no bound on tries",
        "workers/retry.py",
        "            if job_try >= MAX_TRIES:",
        "            if False:",
        RETRY,
    ),
    m(
        "arq claim: a job another worker runs is claimed again",
        "lua/claim_jobs.lua",
        "  if score and redis.call('EXISTS', in_progress) == 0 and tonumber(score) <= now then",
        "  if score and tonumber(score) <= now then",
        CLAIM,
    ),
    m(
        "arq claim: a deferred job runs early",
        "lua/claim_jobs.lua",
        "  if score and redis.call('EXISTS', in_progress) == 0 and tonumber(score) <= now then",
        "  if score and redis.call('EXISTS', in_progress) == 0 then",
        CLAIM,
    ),
    m(
        "arq claim: the in-progress timeout given in seconds",
        "workers/claiming.py",
        "int(self.in_progress_timeout_s * 1000)",
        "int(self.in_progress_timeout_s)",
        CLAIM,
    ),
    m(
        "arq claim: the in-progress key set in seconds",
        "lua/claim_jobs.lua",
        "    redis.call('PSETEX', in_progress, ARGV[2], '1')",
        "    redis.call('SETEX', in_progress, ARGV[2], '1')",
        CLAIM,
    ),
    m(
        "job enqueue: an id that is queued or finished is enqueued again",
        "lua/enqueue_job.lua",
        "if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then",
        "if redis.call('EXISTS', KEYS[1]) > 1 then",
        [*CLAIM, "tests/integration/test_webhook_jobs.py"],
    ),
    m(
        "job enqueue: a deferred job is due at once",
        "app/core/jobqueue.py",
        "    score = now + (round(defer_s * 1000) if defer_s else 0)",
        "    score = now",
        CLAIM,
    ),
    m(
        "record_captured overwrites refunded",
        "app/sql/queries/payments.sql",
        "    WHERE payment_intent_id = ANY($1::text[]) AND status = 'authorized'",
        "    WHERE payment_intent_id = ANY($1::text[]) AND status <> 'captured'",
        RETRY,
    ),
    m(
        "checkout: order write failure keeps the authorization",
        "app/checkout/service.py",
        "        await _cancel_quietly(res, intent.id, settle=False, authorized_too=True)",
        "        pass",
        OUTAGE,
    ),
    m(
        "checkout: journal failure keeps the PaymentIntent",
        "app/checkout/service.py",
        "        await _cancel_quietly(res, payment_intent_id, settle=False)",
        "        pass",
        OUTAGE,
    ),
    m(
        "checkout: 3-D Secure not announced to the app",
        "app/checkout/service.py",
        '        requires_action=intent.status == "requires_action",',
        "        requires_action=False,",
        THREE_DS,
    ),
    m(
        "checkout: a failed 3-D Secure cannot be retried with another card",
        "app/checkout/service.py",
        "        or not intent.failed_attempt\n"
        "        or not data.payment_method\n    ):\n        return None",
        "        or True\n    ):\n        return None",
        THREE_DS,
    ),
    m(
        "release: seats of an unpaid checkout back while its PaymentIntent lives",
        "app/checkout/release.py",
        "            intent = await gw.cancel(pi)\n"
        '            PAYMENTS.labels("abandoned_cancelled").inc()\n'
        "    except stripe.StripeError as exc:\n"
        '        log.warning("could not cancel %s to release %s: %s", pi, hold_id, exc)\n'
        '        raise unavailable("stripe") from None\n'
        "    if intent.status in AUTHORIZED:  # paid before the fan gave up: the sale stands\n"
        "        await finalize_payment(res, pi, intent)\n"
        '        raise hold_not_active("converted")\n'
        '    if intent.status != "canceled":',
        "            pass\n"
        "    except stripe.StripeError as exc:\n"
        '        log.warning("could not cancel %s to release %s: %s", pi, hold_id, exc)\n'
        '        raise unavailable("stripe") from None\n'
        "    if intent.status in AUTHORIZED:  # paid before the fan gave up: the sale stands\n"
        "        await finalize_payment(res, pi, intent)\n"
        '        raise hold_not_active("converted")\n'
        '    if intent.status == "processing":',
        THREE_DS,
    ),
    m(
        "checkout: a PaymentIntent outlives its expired hold",
        "app/checkout/service.py",
        "            # The hold expired or vanished since it was read: nobody may pay for it.\n"
        "            await _cancel_quietly(res, intent.id)\n",
        "",
        ["tests/integration/test_checkout_hold_gone.py"],
    ),
    m(
        "reconcile: checkout restored without its PaymentIntent",
        "app/holds/reconcile.py",
        '        fields["payment_intent_id"] = hold.payment_intent_id',
        '        fields["payment_intent_id"] = ""',
        DRIFT,
    ),
    m(
        "drift: repaired although holds are in doubt",
        "app/holds/reconcile.py",
        "    if not in_doubt:\n        repaired = await _repair_locked(",
        "    if True:\n        repaired = await _repair_locked(",
        DRIFT,
    ),
    m(
        "public view: a capacity change leaves the cached availability",
        "app/holds/inventory.py",
        "    mirror.forget_availability(event_id)\n",
        "",
        PUBLIC_VIEW,
    ),
    m(
        "public view: an organizer's answer served from the fan cache",
        "app/events/controllers.py",
        "mirror.availability(redis, event, fresh=changed)",
        "mirror.availability(redis, event)",
        PUBLIC_VIEW,
    ),
    m(
        "fan page: 'closed' told apart on the event read before the queue answered",
        "app/web/fan/views/queue.js",
        'if (s.state === "closed" && !soldOut(event)) {',
        "if (false) {",
        SOLD_OUT_PAGE,
    ),
    m(
        "fan page: a refused release sends the fan away as if the seats were free",
        "app/web/fan/views/hold.js",
        "      await api.delete(`/holds/${id}`);\n",
        "      await api.delete(`/holds/${id}`).catch(() => {});\n",
        RELEASE_PAGE,
    ),
    m(
        "fan seats: a seat another fan took stays coloured on the map",
        "app/web/fan/parts/seats.js",
        "if (body && !stopped) onSeats(body);",
        "if (false) onSeats(body);",
        SEATS_TAKEN_PAGE,
    ),
    m(
        "fan seats: a seats_taken refusal leaves the named seats coloured",
        "app/web/fan/parts/seats.js",
        'if (mine) mine.status = "held";',
        "if (false) mine.status = 'held';",
        SEATS_TAKEN_PAGE,
    ),
    m(
        "totp reset: the lost phone's sessions stay signed in",
        "app/auth/twofactor.py",
        'ended = await auth_repo.end_other_sessions(conn, user_id, None, "totp_reset")',
        "ended: list[str] = []",
        TOTP_RESET,
    ),
    m(
        "totp reset: an admin may swap their own second factor",
        "app/manage/service.py",
        "    if user_id == canonical_uuid(principal.user_id):\n        # A stolen",
        "    if False:\n        # A stolen",
        TOTP_RESET,
    ),
    m(
        "drift: repaired without locking out a capacity change in flight",
        "app/sql/queries/holds.sql",
        "FROM sections WHERE event_id = $1 AND code = $2 FOR SHARE;",
        "FROM sections WHERE event_id = $1 AND code = $2;",
        DRIFT,
    ),
    m(
        "drift: compared with the lagging ledger (false drift)",
        "app/holds/reconcile.py",
        "    expected = section.capacity - section.sold - held\n    drift = ",
        "    expected = section.capacity - section.sold - ledger_held\n    drift = ",
        DRIFT,
    ),
    m(
        "drift: never repaired",
        "app/holds/reconcile.py",
        "    in_doubt = figures is None or doubt.any(held, ledger_held)",
        "    in_doubt = True",
        DRIFT,
    ),
    m(
        "finalize batch: a job gets another job's arq transaction replies",
        "workers/transactions.py",
        "            start = end",
        "            start = start",
        SHARED_TX,
    ),
    m(
        "finalize batch: a WATCHed arq transaction shares its EXEC",
        "workers/transactions.py",
        "            self.watching or self.explicit_transaction or self.scripts",
        "            self.scripts",
        SHARED_TX,
    ),
    m(
        "finalize batch: a duplicate delivery in one batch is new twice",
        "app/payments/inbox.py",
        "        new.discard(event.id)",
        "        pass",
        INBOX,
    ),
    m(
        "finalize batch: one refused payload fails every delivery of its batch",
        "app/payments/inbox.py",
        'log.warning("recording %d webhook events failed (%r); one by one", len(batch), exc)',
        "raise",
        INBOX,
    ),
    m(
        "finalize batch: the batched hold read misreads the hash",
        "app/holds/record.py",
        "raw = dict(zip(raw[::2], raw[1::2], strict=True))",
        "raw = dict(zip(raw[1::2], raw[::2], strict=True))",
        SESSION,
    ),
    m(
        "session: kept after the purchase",
        "app/orders/finalize.py",
        "    await _end_session(res, purchase, hold)",
        "    pass",
        SESSION,
    ),
    m(
        "lifecycle: an event ends with holds left",
        "app/events/lifecycle.py",
        "        if await holds_remain(redis, event_id):",
        "        if False:",
        LIFECYCLE,
    ),
    m(
        "events: PATCH without the row lock",
        "app/events/service.py",
        "    event = await repo.get_event(pool, event_id, for_update=for_update)",
        "    event = await repo.get_event(pool, event_id)",
        LIFECYCLE,
    ),
    m(
        "events: currency change after the first sale",
        "app/events/service.py",
        "    if updated.currency != current.currency and await repo.has_sales(",
        "    if False and (",
        LIFECYCLE,
    ),
    m(
        "metrics: the first 50 live events by id",
        "app/ops/live.py",
        "    if len(members) <= MAX_EVENTS:",
        "    if True:\n        return members[:MAX_EVENTS]\n    if len(members) <= MAX_EVENTS:",
        LIFECYCLE,
    ),
    m(
        "eta: an estimate while paused",
        "lua/queue_status.lua",
        "  if status ~= 'published' or closed() then return UNKNOWN end",
        "  if closed() then return UNKNOWN end",
        ETA,
    ),
    m(
        "eta: promised before anything is measured",
        "lua/queue_status.lua",
        "  if rate_pm <= 0 or rate_n <= 0 then return UNKNOWN end",
        "  if rate_pm <= 0 or rate_n <= 0 then return {interval, 0, interval, 1} end",
        ETA,
    ),
    m(
        "sweeper: one checkout at a time",
        "app/checkout/sweeper.py",
        "CONCURRENCY = 16",
        "CONCURRENCY = 1",
        SWEEPER,
    ),
    m(
        "confirmation: a pending order never asks Stripe",
        "app/orders/confirmation.py",
        '    if row["status"] != "pending" or not pi:',
        "    if True:",
        CONFIRM,
    ),
    m(
        "reconciler: a failed capture is never retried",
        "app/orders/reconciler.py",
        '        if status in ("pending", "confirmed"):',
        '        if status == "pending":',
        RECONCILER,
    ),
    m(
        "reconciler: an orphan authorization is kept",
        "app/orders/reconciler.py",
        '        outcome = await gw.void_or_refund(pi, f"reconcile:{pi}")',
        '        outcome = "kept"',
        RECONCILER,
    ),
    m(
        "canonical ids: another spelling of the id reaches Redis",
        "app/queue/controllers.py",
        "    eid = str(event_id)\n    limiter: RateLimiter = request.app.state.limiter\n"
        "    # Counted by the join script",
        "    eid = str(event_id).upper()\n    limiter: RateLimiter = request.app.state.limiter\n"
        "    # Counted by the join script",
        CANONICAL,
    ),
    m(
        "totp: a sealed secret is not bound to its user",
        "app/auth/totp_sealing.py",
        "    return uuid.UUID(user_id).bytes",
        '    return b""',
        TOTP_BOUND,
    ),
    m(
        "totp: plain secrets are not sealed at start",
        "app/lifespan.py",
        "        await seal_plain_secrets(resources.pool, settings)",
        "        pass",
        TOTP_OLD_ROWS,
    ),
    # --- security round 2 (issue 22): sessions ---------------------------------------------
    m(
        "refresh: rotated without the row lock",
        "app/sql/queries/sessions.sql",
        "WHERE t.token_hash = $1\nFOR UPDATE OF t, s;",
        "WHERE t.token_hash = $1;",
        REFRESH_LOCK,
    ),
    m(
        "refresh: a password-only session carries the admin role",
        "app/auth/policy.py",
        "    if second_factor:\n        return roles\n",
        "    return roles\n",
        SECOND_FACTOR,
    ),
    m(
        "refresh: no grace, two tabs end the session",
        "app/auth/sessions.py",
        "if _in_grace(row) and await repo.refresh_token_unused(conn, _digest(successor)):",
        "if False:",
        REFRESH_GRACE,
    ),
    m(
        "refresh: the grace also forgives a token older than the last rotation",
        "app/auth/sessions.py",
        "if _in_grace(row) and await repo.refresh_token_unused(conn, _digest(successor)):",
        "if _in_grace(row):",
        REFRESH_GRACE,
    ),
    m(
        "role removal: the account's sessions stay signed in",
        "app/manage/service.py",
        'return await sessions.end_all(pool, redis, settings, user_id, "role_revoked")',
        "return 0",
        DEMOTION,
    ),
    m(
        "stream token: outlives its session",
        "app/queue/controllers.py",
        "if grant is not None and await sessions.is_active(redis, grant.session_id):",
        "if grant is not None:",
        STREAM_SESSION,
    ),
    m(
        "session mirror: reads the feed but notes no ended session",
        "app/auth/revocations.py",
        'self.note(fields["sid"] for _, fields in entries if "sid" in fields)',
        "pass",
        SESSION_MIRROR,
    ),
    m(
        "session mirror: trusted however long ago it last read the feed",
        "app/auth/revocations.py",
        "return synced is not None and time.monotonic() - synced < STALE_AFTER_S",
        "return synced is not None",
        SESSION_MIRROR,
    ),
    m(
        "session mirror: the process that ended a session waits for the feed",
        "app/auth/sessions.py",
        "    revocations.note_everywhere(session_ids)\n",
        "",
        SESSION_MIRROR,
    ),
    m(
        "session mirror: nothing goes into the feed",
        "app/auth/sessions.py",
        """            pipe.xadd(
                keys.sessions_ended_feed(), {"sid": session_id}, minid=oldest, approximate=True
            )
""",
        "",
        SESSION_MIRROR,
    ),
    m(
        "stream open: its limits are never counted",
        "app/queue/controllers.py",
        "first = await queue.status(redis, scripts, settings.secret_key, eid, user_id, quotas)",
        "first = await queue.status(redis, scripts, settings.secret_key, eid, user_id)",
        STREAM_LIMIT,
    ),
    m(
        "queue join: a party member gets a place of its own",
        "lua/queue_join.lua",
        "  if leader and leader ~= member then\n",
        "  if false then\n",
        PARTY_JOIN,
    ),
    m(
        "stream slot: kept for its lease after the client went away",
        "app/queue/controllers.py",
        "            await streamcap.release(redis, user_id, slot)\n",
        "            pass\n",
        STREAM_SLOTS,
    ),
    m(
        "stream slot: Retry-After says 5 whatever the leases",
        "app/queue/streamcap.py",
        "raise rate_limited(retry_after_s(oldest, now))",
        "raise rate_limited(5)",
        STREAM_SLOTS,
    ),
    m(
        "party join: one solve seats every member",
        "app/party/controllers.py",
        "    await entry.pay_pow(\n"
        "        redis, settings, pow_challenge, pow_nonce, event_id=eid,"
        " user_id=principal.user_id\n"
        "    )\n"
        "    p = await party.join(",
        "    p = await party.join(",
        ENTRY_POW,
    ),
    m(
        "waiting list: joined without a proof of work",
        "app/waitlist/controllers.py",
        "    await entry.pay_pow(\n",
        "    0 and await entry.pay_pow(\n",
        ENTRY_POW,
    ),
    m(
        "waiting list: no per-account limit",
        "app/waitlist/controllers.py",
        '    await entry.hit_limits(request, principal.user_id, "waitlist_account")',
        "    pass",
        ENTRY_LIMITS,
    ),
    # --- security round 2 (issue 22): input at the edge ------------------------------------
    m(
        "signed codes: a non-canonical spelling verifies",
        "app/core/signed.py",
        "        if b64url(payload) != parts[1] or b64url(signature) != parts[2]:",
        "        if False:",
        CODECS,
    ),
    m(
        "csv: a cell starting with a tab is not escaped",
        "app/core/csvsafe.py",
        'FORMULA_STARTS = ("=", "+", "-", "@", "\\t", "\\r")',
        'FORMULA_STARTS = ("=", "+", "-", "@", "\\r")',
        CSV_TAB,
    ),
    m(
        "query strings: control characters reach the handler",
        "app/core/urlguard.py",
        '        check_query(bytes(scope.get("query_string", b"")))',
        "        pass",
        INPUT_EDGE,
    ),
    m(
        "event names: CR/LF accepted",
        "app/events/schemas.py",
        "Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300), LINE]",
        "Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]",
        INPUT_EDGE,
    ),
    m(
        "email: a stored name with CR/LF goes into the Subject as is",
        "app/notifications/email.py",
        '    msg["Subject"] = one_line(content.subject)',
        '    msg["Subject"] = content.subject',
        HEADER_MAIL,
    ),
    m(
        "field errors: a pattern failed by a control character is not control_chars",
        "app/core/bodyguard.py",
        "        field.rule = rules.refine(field.rule, rules.value_at(value, field.field))",
        "        pass",
        INPUT_EDGE,
    ),
    # --- console (issue 26): the audit log's "from where" ------------------------------------
    m(
        "audit origin: a proxy's address stands for a client its header failed to name",
        "app/core/clientip.py",
        '    if headers.get("x-forwarded-for") is not None or headers.get("forwarded")'
        " is not None:\n        return None\n",
        "",
        AUDIT_ORIGIN,
    ),
    m(
        "audit origin: a request from the proxy's own host is recorded from nowhere",
        "app/core/clientip.py",
        "    return str(peer) if peer is not None else None\n",
        "    return None\n",
        AUDIT_ORIGIN,
    ),
    # --- tickets at the door (issue 24): signatures, the TOTP window, once per list ---
    m(
        "ticket code: the Ed25519 signature is not checked",
        "app/tickets/codes.py",
        "        public_key.verify(parsed.signature, parsed.message)",
        "        pass",
        TICKET_CODES,
    ),
    m(
        "ticket code: a second spelling of the base64 is accepted",
        "app/tickets/codes.py",
        "    if b64url(data) != text:",
        "    if False:",
        TICKET_CODES,
    ),
    m(
        "rotating code: two steps either side (a screenshot lives a minute longer)",
        "app/tickets/codes.py",
        "WINDOW_STEPS = 1",
        "WINDOW_STEPS = 2",
        TICKET_CODES,
    ),
    m(
        "rotating code: the digits are not compared",
        "app/tickets/door.py",
        "    if secret is None or not codes.totp_fresh(secret, parsed.totp, now):",
        "    if secret is None:",
        STALE,
    ),
    m(
        "static code: a bare signed code admits where the event does not allow it",
        "app/tickets/door.py",
        '        return "ok" if static_codes else "stale"',
        '        return "ok"',
        STALE,
    ),
    m(
        "once per list: a ticket inside is admitted again",
        "app/sql/queries/tickets.sql",
        "    WHERE $8::boolean AND NOT s.inside AND NOT s.conflict",
        "    WHERE NOT s.conflict",
        ONLINE_ONCE,
    ),
    m(
        "once per list: every list allows re-entry",
        "app/sql/queries/tickets.sql",
        "    WHERE $8::boolean AND NOT s.inside AND NOT s.conflict",
        "    WHERE NOT s.inside AND NOT s.conflict",
        CHECKIN_MACHINE,
    ),
    m(
        "once per list: two offline admissions are no conflict",
        "app/tickets/checkin.py",
        '    if state["inside"] or not reentry:',
        "    if False:",
        CONFLICT,
    ),
    m(
        "once per list: an offline double admission is not recorded as a conflict",
        "app/tickets/checkin.py",
        "        await repo.mark_conflict(conn, list_id, ticket_id)\n",
        "",
        CONFLICT,
    ),
    m(
        "void: an offline admission of a voided ticket counts",
        "app/tickets/checkin.py",
        '    if row["voided_at"] is not None or row["code"] != parsed.signed:',
        '    if row["code"] != parsed.signed:',
        CHECKIN_MACHINE,
    ),
    m(
        "scanner role: any signed-in account scans",
        "app/tickets/checkin.py",
        '    if "admin" in principal.roles or row["is_scanner"]:',
        "    if True:",
        SCANNER_ROLE,
    ),
    m(
        "scanner role: another event's offline data is handed out",
        "app/tickets/service.py",
        '    raise forbidden(N_("Scanning tickets of this event needs its scanner role"))',
        "    return event",
        SCANNER_ROLE,
    ),
    # --- the door (issue 24): the scanner's offline check, the fan's live code, offline shells ---
    m(
        "scanner: a forged signature gets in offline",
        "app/web/scan/door.js",
        '    if (!(await signatureOk(key.public_key, parsed))) return { result: "invalid", reason: '
        '"signature" };\n',
        "",
        SCANNER_OFFLINE,
    ),
    m(
        "scanner: a second spelling of the same signature is read",
        "app/web/shared/codes.js",
        "  return b64url(bytes) === text ? bytes : null;",
        "  return bytes;",
        SCANNER_OFFLINE,
    ),
    m(
        "scanner: a screenshot stays fresh for minutes",
        "app/web/shared/codes.js",
        "export const WINDOW_STEPS = 1;",
        "export const WINDOW_STEPS = 10;",
        SCANNER_OFFLINE,
    ),
    m(
        "scanner: a bare signed code gets in where only the live ticket should",
        "app/web/scan/door.js",
        "      if (!data.static_codes) return",
        "      if (false) return",
        SCANNER_OFFLINE,
    ),
    m(
        "scanner: a ticket already inside gets in again offline",
        "app/web/scan/door.js",
        "    if (inside) {",
        "    if (false) {",
        SCANNER_OFFLINE,
    ),
    m(
        "scanner: a void ticket gets in offline",
        "app/web/scan/door.js",
        '    if (ticket.status !== "valid") return { result: "void", ...about };\n',
        "",
        SCANNER_OFFLINE,
    ),
    m(
        "scanner: offline scans are dropped instead of uploaded",
        "app/web/scan/door.js",
        "        scans: queued.map((s) => ({",
        "        scans: [].map((s) => ({",
        SCANNER_OFFLINE,
    ),
    m(
        "fan app: the ticket shows its static code instead of the rotating one",
        "app/web/fan/ticket.js",
        "      draw(await rotatingCode(ticket.code, ticket.rotation.secret, ms));",
        "      draw(ticket.code);",
        FAN_OFFLINE,
    ),
    m(
        "service worker: the shell is not kept for offline starts",
        "app/web/shared/sw.js",
        "  await cache.put(SCOPE, shell);\n",
        "",
        FAN_OFFLINE,
    ),
    # --- console (issue 26): webhook replay -----------------------------------------------
    m(
        "webhook replay: a delivery of another webhook is replayed through one's own",
        "app/sql/queries/notifications.sql",
        "WHERE delivery_id = $1 AND endpoint_id = $2\n  AND (status <> 'sending'",
        "WHERE delivery_id = $1 AND $2::uuid IS NOT NULL\n  AND (status <> 'sending'",
        REPLAY,
    ),
    m(
        "webhook replay: anyone's webhook is replayed (ownership not checked)",
        "app/notifications/service.py",
        '    endpoint = await _owned(pool, principal, event_id, webhook_id, need="edit")\n'
        "    if not await repo.replay_delivery(",
        "    endpoint = await repo.endpoint_by_id(pool, webhook_id)\n"
        "    if not await repo.replay_delivery(",
        REPLAY,
    ),
    m(
        "webhook replay: a delivery a worker is sending is replayed under it",
        "app/sql/queries/notifications.sql",
        "  AND (status <> 'sending' OR lease_until < now())\nRETURNING delivery_id;",
        "  AND TRUE\nRETURNING delivery_id;",
        REPLAY,
    ),
    # --- a ticket's moves after the sale (P1-5): cancel, transfer, resale -----------------
    m(
        "door: the scanner's offline copy admits a ticket listed for resale",
        "app/tickets/service.py",
        'valid = t["voided_at"] is None and not t["listed"]',
        'valid = t["voided_at"] is None',
        [
            "tests/integration/test_moves.py::"
            "test_a_ticket_listed_for_resale_does_not_get_in_until_withdrawn"
        ],
    ),
    m(
        "transfer_seat: the receiver's per-person limit loosened",
        "lua/transfer_seat.lua",
        "if held + seats > max_per_user then",
        "if held + seats > max_per_user + 1 then",
        [MOVES + "test_the_receivers_per_person_limit_stays", *MOVES_MACHINE],
    ),
    m(
        "transfer_seat: the sender keeps counting the seat",
        "lua/transfer_seat.lua",
        "if redis.call('HINCRBY', users_key, from_user, -seats) <= 0 then",
        "if redis.call('HINCRBY', users_key, from_user, 0) <= 0 then",
        [MOVES + "test_transfer_and_accept_issue_a_new_code_and_void_the_old", *MOVES_MACHINE],
    ),
    m(
        "list_resale: the listed seat does not go back on sale",
        "lua/list_resale.lua",
        "redis.call('HINCRBY', inv_key, section .. ':available', 1)",
        "redis.call('HINCRBY', inv_key, section .. ':available', 0)",
        [MOVES + "test_resale_goes_to_the_waiting_list_and_pays_the_seller", *MOVES_MACHINE],
    ),
    m(
        "withdraw_resale: a seat in a buyer's hold is taken back",
        "lua/withdraw_resale.lua",
        "if available < 1 then return 2 end",
        "if available < 0 then return 2 end",
        [
            MOVES + "test_resale_withdrawn_takes_the_seat_back_unless_someone_is_paying",
            *MOVES_MACHINE,
        ],
    ),
    m(
        "settle_resale: a retried payout lowers the seller's count twice",
        "lua/settle_resale.lua",
        "if redis.call('SISMEMBER', done_key, listing_id) == 1 then return 0 end",
        "",
        MOVES_MACHINE,
    ),
    m(
        "return_seats: a transferred ticket's holder keeps counting it after a refund",
        "lua/return_seats.lua",
        "if #ARGV >= 8 then",
        "if false then",
        [MOVES + "test_an_organizer_refund_after_moves_returns_each_seat_once", *MOVES_MACHINE],
    ),
    m(
        "resale: a sale takes one listing more than its seats",
        "app/sql/queries/orders.sql",
        "    LIMIT $4\n    FOR UPDATE",
        "    LIMIT $4 + 1\n    FOR UPDATE",
        [MOVES + "test_a_sale_takes_the_oldest_listing_and_only_as_many_as_its_seats"],
    ),
    m(
        "resale: a sale does not take the open listings",
        "app/orders/confirm.py",
        "if await repo.add_section_sold_seeing_listings(conn, event_id, section, quantity):",
        "if await repo.add_section_sold(conn, event_id, section, quantity):",
        [MOVES + "test_resale_goes_to_the_waiting_list_and_pays_the_seller"],
    ),
    m(
        "resale: listed above face value (the whole order's amount)",
        "app/moves/resale.py",
        "    return order_amount_cents // order_quantity",
        "    return order_amount_cents",
        [MOVES + "test_resale_goes_to_the_waiting_list_and_pays_the_seller"],
    ),
    m(
        "resale: the organizer's fee is not kept from the payout",
        "app/moves/resale.py",
        '            amount = int(row["price_cents"]) - int(row["fee_cents"])',
        '            amount = int(row["price_cents"])',
        [MOVES + "test_resale_goes_to_the_waiting_list_and_pays_the_seller"],
    ),
    m(
        "resale: a failed payout is retried at once (no backoff)",
        "app/moves/resale.py",
        "            wait = min(MAX_BACKOFF_S, BASE_BACKOFF_S * 2**attempts)",
        "            wait = 0.0",
        [MOVES + "test_a_failing_seller_refund_is_retried_and_never_lost"],
    ),
    m(
        "resale: a failed payout is never retried (the seller's money is lost)",
        "app/sql/queries/moves.sql",
        "WHERE payout_state = 'pending' AND (payout_next_at IS NULL",
        "WHERE payout_state = 'pending' AND payout_attempts = 0 AND (payout_next_at IS NULL",
        [MOVES + "test_a_failing_seller_refund_is_retried_and_never_lost"],
    ),
    m(
        "resale: a withdrawal does not count the seat sold again in Postgres",
        "app/moves/resale.py",
        "        await orders_repo.add_section_sold(conn, event_id, section, 1)",
        "        pass",
        [MOVES + "test_resale_withdrawn_takes_the_seat_back_unless_someone_is_paying"],
    ),
    m(
        "transfer: the old code stays valid",
        "app/moves/service.py",
        '        await repo.void_ticket(conn, str(ticket["ticket_id"]), "transferred")',
        "        pass",
        [MOVES + "test_transfer_and_accept_issue_a_new_code_and_void_the_old"],
    ),
    m(
        "transfer: the per-ticket limit allows one more",
        "app/moves/service.py",
        '        if ticket["moves"] >= rules.transfer_max_per_ticket:',
        '        if ticket["moves"] > rules.transfer_max_per_ticket:',
        [MOVES + "test_a_transfer_over_the_limit_is_refused"],
    ),
    m(
        "transfer: the cut-off is not checked again at accept",
        "app/moves/service.py",
        "        check_transfer(await repo.move_rules(conn, event.event_id), event, utcnow())",
        "        pass",
        [MOVES + "test_a_transfer_after_the_cut_off_is_refused"],
    ),
    m(
        "cancel: an order with a moved ticket is refunded whole",
        "app/moves/service.py",
        '                if moved or ticket["transfer_open"] or ticket["listed"]:',
        "                if False:",
        [MOVES + "test_transfer_and_accept_issue_a_new_code_and_void_the_old"],
    ),
    m(
        "cancel: the organizer's window is ignored",
        "app/moves/rules.py",
        "        and now < event.starts_at - timedelta(seconds=rules.cancel_until_s)",
        "        and now < event.starts_at",
        [MOVES + "test_cancel_outside_the_rule_is_not_allowed"],
    ),
    m(
        "refund: a listed ticket's seat is returned twice",
        "app/sql/queries/orders.sql",
        "         WHERE order_id = $1 AND state = 'refunded')::int AS seats;",
        "         WHERE order_id = $1 AND state = 'nothing')::int AS seats;",
        [MOVES + "test_an_organizer_refund_after_moves_returns_each_seat_once"],
    ),
    m(
        "refund: a part refund to a reseller counts as the whole refund",
        "app/payments/gateway.py",
        "            if not _part_of(found):\n                return str(found.id)",
        "            return str(found.id)",
        [MOVES + "test_an_organizer_refund_after_moves_returns_each_seat_once"],
    ),
    # --- event stream: nothing marked published without the broker's confirm ---
    m(
        "stream: every row of a batch is marked, confirmed or not",
        "app/stream/publisher.py",
        "                if ack:\n                    confirmed.extend(ids)",
        "                confirmed.extend(ids)",
        [STREAM + "::test_nothing_is_marked_published_without_the_brokers_confirm"],
    ),
    m(
        "stream: a nacked publish (aio-pika raises on a nack) counts as confirmed",
        "app/stream/publisher.py",
        "message.id, exc_info=True)\n                return False",
        "message.id, exc_info=True)\n                return True",
        [STREAM + "::test_nothing_is_marked_published_without_the_brokers_confirm"],
    ),
    m(
        "stream: publishing without waiting for the confirm",
        "app/stream/publisher.py",
        "            self._channel = await self._connection.channel(publisher_confirms=True)",
        "            self._channel = await self._connection.channel(publisher_confirms=False)",
        [STREAM + "::test_nothing_is_marked_published_without_the_brokers_confirm"],
    ),
    m(
        "stream: messages are not persistent",
        "app/stream/publisher.py",
        "                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,",
        "                delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT,",
        [STREAM + "::test_a_sales_orders_arrive_once_each_by_id_in_the_documented_schema"],
    ),
    m(
        "stream: a hold is counted again each time the counter runs",
        "app/sql/queries/stream.sql",
        "THEN 2 ELSE 1 END",
        "THEN 0 ELSE 0 END",
        [STREAM + "::test_entries_at_the_door_and_hold_counts_reach_the_stream_once"],
    ),
    m(
        "stream: a re-entry uploaded offline is not announced",
        "app/sql/queries/tickets.sql",
        "FROM up JOIN tickets t ON t.ticket_id = up.ticket_id",
        "FROM up JOIN tickets t ON false",
        [STREAM + "::test_entries_at_the_door_and_hold_counts_reach_the_stream_once"],
    ),
    m(
        "room: an expired pass still lets a fan through the gate",
        "app/gate/passes.py",
        "    return claim.expires_at_ms > now_ms",
        "    return True",
        [ROOM_PASSES],
    ),
    m(
        "room: a place cookie passes the gate as a pass",
        "app/gate/passes.py",
        '_PASS = SignedCodec(Pass, version="v1", purpose="room-pass:v1", sig_bytes=16)',
        '_PASS = SignedCodec(Pass, version="v1", purpose="room-place:v1", sig_bytes=16)',
        [ROOM_PASSES],
    ),
    m(
        "room: the gate clears at the first healthy sample",
        "lua/gate_tick.lua",
        "elseif state == 'queueing' and healthy >= recover then",
        "elseif state == 'queueing' then",
        [ROOM_GATE],
    ),
    m(
        "room: draining lets newcomers overtake the line",
        "app/gate/state.py",
        '    if gate.state == "open" or (seq is not None and seq <= gate.admitted):',
        '    if gate.state != "queueing" or (seq is not None and seq <= gate.admitted):',
        [ROOM_GATE],
    ),
    # --- a phase's edges: no admission with a closed phase's token; the join's phase check --
    m(
        "phase edges: the tick admits a fan whose phase closed",
        "lua/admit_batch.lua",
        "    if ended(head[1]) then",
        "    if false then",
        PHASE_LEFT,
    ),
    m(
        "phase edges: the status keeps a closed phase's place in line",
        "lua/queue_status.lua",
        "if score and phase_ended() then",
        "if false then",
        PHASE_LEFT,
    ),
    m(
        "phase edges: a place of a closed phase blocks the join for the next",
        "lua/queue_join.lua",
        "  if before and ends_of[before] and now >= ends_of[before] then",
        "  if false then",
        PHASE_RACE,
    ),
    m(
        "phase edges: a fan waiting for a later phase is told 'waiting'",
        "lua/queue_status.lua",
        "  if mine and now < mine.opens and mine.opens > onsale then onsale = mine.opens end",
        "",
        PHASE_LEFT,
    ),
    m(
        "phase edges: the join script places a fan in a phase that is not open",
        "lua/queue_join.lua",
        "  if not joinable then return {-7} end",
        "",
        PHASE_RACE,
    ),
    m(
        "phase edges: the join script counts a repeat join again",
        "lua/queue_join.lua",
        "    if code == 1 and phase_joins then",
        "    if phase_joins then",
        PHASE_RACE,
    ),
    # --- team roles on phases, seat maps and webhooks ------------------------------------
    m(
        "phase roles: a viewer changes a phase",
        "app/phases/service.py",
        '    need: str = "edit",\n) -> tuple[EventRecord, PhaseRecord]:',
        '    need: str = "read",\n) -> tuple[EventRecord, PhaseRecord]:',
        PHASE_ROLES,
    ),
    m(
        "phase roles: a viewer exports the unused codes",
        "app/phases/service.py",
        '_, phase = await managed_phase(pool, principal, event_id, phase_id, need="edit")',
        '_, phase = await managed_phase(pool, principal, event_id, phase_id, need="read")',
        PHASE_ROLES,
    ),
    m(
        "phase roles: a scanner reads a phase's entrants",
        "app/phases/controllers.py",
        'pool, principal, str(event_id), str(phase_id), need="read"',
        'pool, principal, str(event_id), str(phase_id), need="scan"',
        PHASE_ROLES,
    ),
    m(
        "phase roles: a viewer blocks seats",
        "app/seating/service.py",
        "    wanted = list(dict.fromkeys(ids))\n"
        "    async with pool.acquire() as conn, conn.transaction():\n"
        '        await get_managed_event(conn, principal, event_id, need="edit")',
        "    wanted = list(dict.fromkeys(ids))\n"
        "    async with pool.acquire() as conn, conn.transaction():\n"
        '        await get_managed_event(conn, principal, event_id, need="read")',
        PHASE_ROLES,
    ),
    m(
        "phase roles: a viewer adds an event webhook",
        "app/notifications/service.py",
        '        await get_managed_event(pool, principal, event_id, need="edit")\n'
        "    if not allow_private:",
        '        await get_managed_event(pool, principal, event_id, need="read")\n'
        "    if not allow_private:",
        PHASE_ROLES,
    ),
    m(
        "phase roles: a viewer deletes an event webhook",
        "app/notifications/service.py",
        '    await _owned(pool, principal, event_id, webhook_id, need="edit")\n'
        "    await repo.delete",
        '    await _owned(pool, principal, event_id, webhook_id, need="read")\n'
        "    await repo.delete",
        PHASE_ROLES,
    ),
    m(
        "phase roles: an event's webhooks are shut to the team but its owner",
        "app/notifications/service.py",
        '        await get_managed_event(pool, principal, event_id, need="read")\n        rows',
        '        await get_managed_event(pool, principal, event_id, need="payouts")\n        rows',
        PHASE_ROLES,
    ),
    m(
        "phases: a code is used past its uses",
        "app/sql/queries/phases.sql",
        "WHERE phase_id = $1 AND code = $2 AND used < uses AND voided_at IS NULL",
        "WHERE phase_id = $1 AND code = $2 AND voided_at IS NULL",
        [PHASES + "test_a_single_use_code_tried_by_fifty_accounts_at_once_admits_one"],
    ),
    m(
        "phases: a code bound to one account opens the door to another",
        "app/sql/queries/phases.sql",
        "  AND (owner_id IS NULL OR owner_id = $3)",
        "  AND (owner_id IS NULL OR owner_id = $3 OR true)",
        [PHASE_DRAW + "test_draw_registration_result_codes_and_refill"],
    ),
    m(
        "phases: a wrong code is answered as a missing one",
        "app/phases/gate.py",
        "        raise code_invalid() if access_code else code_required()",
        "        raise code_required()",
        [PHASES + "test_presale_with_codes_then_general_sale_with_each_phases_limits"],
    ),
    m(
        "phases: a member list lets in an address nobody proved",
        "app/sql/queries/phases.sql",
        "SELECT u.email_verified_at IS NOT NULL AS verified",
        "SELECT true AS verified",
        [PHASES + "test_codes_import_from_csv_and_member_lists"],
    ),
    m(
        "phases: overlapping phases of one audience are accepted",
        "app/phases/service.py",
        "            if other.audience == phase.audience and overlaps(other, phase):",
        "            if other.audience == phase.audience and overlaps(other, phase) and False:",
        [PHASES + "test_phases_overlap_only_when_audiences_differ"],
    ),
    m(
        "phases: the overlap rule ignores the audience",
        "app/phases/service.py",
        "            if other.audience == phase.audience and overlaps(other, phase):",
        "            if overlaps(other, phase):",
        [PHASES + "test_phases_overlap_only_when_audiences_differ"],
    ),
    m(
        "phases: a phase's sections are not checked at the hold",
        "app/holds/service.py",
        "    if admission.sections and data.section not in admission.sections:",
        "    if False:",
        [PHASES + "test_presale_with_codes_then_general_sale_with_each_phases_limits"],
    ),
    m(
        "phases: the token does not carry the phase's sections",
        "app/phases/gate.py",
        "            sections=phase.sections or (),",
        "            sections=(),",
        [PHASES + "test_presale_with_codes_then_general_sale_with_each_phases_limits"],
    ),
    m(
        "draw: the order depends on the registrants' input order",
        "app/phases/draw.py",
        "    return fairness.draw_order(seed, [u.lower() for u in user_ids])",
        "    return [u.lower() for u in user_ids]",
        [
            "tests/unit/test_phase_draw.py",
            PHASE_DRAW
            + "test_ten_thousand_registrations_for_a_thousand_codes_reproduced_by_anyone",
        ],
    ),
    m(
        "draw: the registrations hash leaves out one registrant",
        "app/phases/draw.py",
        "sorted(u.lower() for u in user_ids)).encode()",
        "sorted(u.lower() for u in user_ids)[1:]).encode()",
        ["tests/unit/test_phase_draw.py"],
    ),
    m(
        "draw: winners are the first registrants, not the seeded order",
        "app/phases/service.py",
        "            ordered = draw.order(phase.seed, users)",
        "            ordered = sorted(users)",
        [PHASE_DRAW + "test_ten_thousand_registrations_for_a_thousand_codes_reproduced_by_anyone"],
    ),
    m(
        "draw: a refill serves the list out of order",
        "app/sql/queries/phases.sql",
        "WHERE phase_id = $1 AND outcome = 'listed' ORDER BY rank LIMIT $2;",
        "WHERE phase_id = $1 AND outcome = 'listed' ORDER BY rank DESC LIMIT $2;",
        [PHASE_DRAW + "test_draw_registration_result_codes_and_refill"],
    ),
    m(
        "money: inclusive tax rounds down instead of half up",
        "app/money/pricing.py",
        "        net = _half_up(amount_cents * BASIS, BASIS + rate)",
        "        net = amount_cents * BASIS // (BASIS + rate)",
        PRICING,
    ),
    m(
        "money: tax on top is truncated",
        "app/money/pricing.py",
        "    tax = _half_up(amount_cents * rate, BASIS)",
        "    tax = amount_cents * rate // BASIS",
        PRICING,
    ),
    m(
        "money: per-ticket fees charged once per line, not per ticket",
        "app/money/pricing.py",
        "        fees=taxed(rules.fee_per_ticket_cents * item.quantity, rules),",
        "        fees=taxed(rules.fee_per_ticket_cents, rules),",
        PRICING,
    ),
    m(
        "money: the per-order fee is left out of the fees",
        "app/money/pricing.py",
        "        return sum((line.fees for line in self.lines), self.order_fee)",
        "        return sum((line.fees for line in self.lines), NOTHING)",
        PRICING,
    ),
    m(
        "money: exclusive tax is not added to the total",
        "app/money/pricing.py",
        "    return Part(amount_cents + tax, tax)",
        "    return Part(amount_cents, tax)",
        PRICING,
    ),
    m(
        "money: a refund gives the fees back whatever the rule",
        "app/money/pricing.py",
        "        return self.total_cents if rules.refund_fees else self.tickets.gross_cents",
        "        return self.total_cents",
        PRICING,
    ),
    m(
        "money: the PaymentIntent asks for the hold's amount, without fees and tax",
        "app/checkout/service.py",
        "        amount_cents=purchase.amount_cents,",
        "        amount_cents=hold.amount_cents,",
        [MONEY + "test_the_payment_is_the_total_with_fees_and_tax_and_the_receipt_says_so"],
    ),
    m(
        "money: the refund request ignores the keep-the-fees rule",
        "app/money/service.py",
        '    if charges is None or charges["refund_fees"]:',
        '    if charges is None or not charges["refund_fees"]:',
        [MONEY + "test_refunds_keep_the_fees_by_rule_and_revenue_adds_up_to_stripe"],
    ),
    m(
        "money: the refund job refunds in full whatever the request says",
        "app/orders/refunds.py",
        '            partial = int(refund["amount_cents"]) < int(order["amount_cents"])',
        "            partial = False",
        [MONEY + "test_refunds_keep_the_fees_by_rule_and_revenue_adds_up_to_stripe"],
    ),
    m(
        "money: the revenue report counts refunds Stripe has not made",
        "app/sql/queries/money.sql",
        "coalesce(sum(r.amount_cents) FILTER (WHERE r.status = 'succeeded'), 0)::bigint",
        "coalesce(sum(r.amount_cents), 0)::bigint",
        [MONEY + "test_refunds_keep_the_fees_by_rule_and_revenue_adds_up_to_stripe"],
    ),
    m(
        "money: the receipt's total leaves the fees out",
        "app/money/receipt.py",
        '    paid = int(order["amount_cents"])',
        '    paid = int(order["amount_cents"]) - (int(charges["fees_cents"]) if charges else 0)',
        ["tests/unit/test_receipt.py"],
    ),
    m(
        "money: anyone's receipt can be read",
        "app/money/service.py",
        'str(order["user_id"]) != principal.user_id and "admin" not in principal.roles',
        "False",
        [MONEY + "test_receipt_in_the_fans_language_and_only_for_the_buyer"],
    ),
    # --- organizations: roles decide every organizer route; two organizations apart ---
    m(
        "orgs: the box office may change events",
        "app/orgs/roles.py",
        '    "box_office": frozenset({"read", "refund"}),',
        '    "box_office": frozenset({"read", "refund", "edit"}),',
        ORGS_MATRIX,
    ),
    m(
        "orgs: scanner staff may refund",
        "app/orgs/roles.py",
        '    "scanner": frozenset({"scan"}),',
        '    "scanner": frozenset({"scan", "refund"}),',
        ORGS_MATRIX,
    ),
    m(
        "orgs: a viewer may scan",
        "app/orgs/roles.py",
        '    "viewer": frozenset({"read"}),',
        '    "viewer": frozenset({"read", "scan"}),',
        ORGS_MATRIX,
    ),
    m(
        "orgs: any member passes every event check",
        "app/events/access.py",
        "    if roles.allows(role, need):\n        return\n    if role is None:",
        "    if role is not None:\n        return\n    if role is None:",
        ORGS_MATRIX,
    ),
    m(
        "orgs: an event of another organization is managed",
        "app/events/service.py",
        "    await access.authorize(pool, principal, event, need)\n",
        "",
        ORGS_APART,
    ),
    m(
        "orgs: a fan outside every team passes the staff check",
        "app/events/access.py",
        '    if principal.has("organizer"):\n        return\n    if not await',
        "    if True:\n        return\n    if not await",
        ORGS_MATRIX,
    ),
    m(
        "orgs: the door takes any member",
        "app/tickets/checkin.py",
        '    return roles.allows(row["org_role"], "scan")',
        '    return row["org_role"] is not None',
        ORGS_MATRIX,
    ),
    m(
        "orgs: a manager changes the team",
        "app/orgs/service.py",
        "    if need is not None and not roles.allows(role, need):",
        "    if need is not None and role not in roles.ROLES:",
        ORGS_TEAM,
    ),
    m(
        "orgs: the last owner steps down",
        "app/orgs/service.py",
        'and role != "owner" and await repo.count_owners(conn, org_id) <= 1:',
        'and role != "owner" and await repo.count_owners(conn, org_id) < 1:',
        ORGS_TEAM,
    ),
    m(
        "orgs: an invitation admits another address",
        "app/orgs/service.py",
        "        if user is None or user.email.lower() != claim.email:",
        "        if user is None:",
        ORGS_INVITE,
    ),
    m(
        "orgs: an invitation is accepted twice",
        "app/orgs/service.py",
        '            or row["accepted_at"] is not None\n',
        "",
        ORGS_INVITE,
    ),
    m(
        "orgs: drafts of every organization are listed",
        "app/sql/queries/events.sql",
        "        OR ($2::uuid IS NOT NULL AND org_id IN (\n"
        "                SELECT m.org_id FROM organization_members m WHERE m.user_id = $2))",
        "        OR $2::uuid IS NOT NULL",
        ORGS_APART,
    ),
    m(
        "orgs: an organization's log shows every organization's entries",
        "app/sql/queries/audit.sql",
        "  AND ($6::uuid IS NULL OR a.org_id = $6\n",
        "  AND ($6::uuid IS NULL OR TRUE OR a.org_id = $6\n",
        ORGS_APART,
    ),
    m(
        "events: unpublishing after the first sale",
        "app/events/service.py",
        "        if await repo.has_sales(conn, current.event_id):",
        "        if False:",
        [COPIES + "test_unpublish_only_before_the_first_sale"],
    ),
    m(
        "draw: a second account of one person (same phone or card) stays in the draw",
        "app/phases/draw.py",
        "        (aside if marks & seen else kept).append(r.user_id)",
        "        kept.append(r.user_id)",
        [
            "tests/unit/test_phase_draw.py",
            PHASE_DRAW + "test_the_draw_takes_one_account_per_phone_and_per_payment_card",
        ],
    ),
    m(
        "draw: a set-aside account's marks are forgotten (a chain of accounts counts twice)",
        "app/phases/draw.py",
        "        seen |= marks\n",
        "        seen |= set() if marks & seen else marks\n",
        ["tests/unit/test_phase_draw.py"],
    ),
    m(
        "draw: a card known only from a PaymentIntent's charges is not a mark",
        "app/sql/queries/phases.sql",
        "               w.payload #>> "
        "'{data,object,charges,data,0,payment_method_details,card,fingerprint}'",
        "               NULL",
        [PHASE_DRAW + "test_the_draw_takes_one_account_per_phone_and_per_payment_card"],
    ),
    m(
        "phase rooms: the room ignores a phase's admit batch",
        "lua/admit_batch.lua",
        "  batch_cfg = room.batch or batch_cfg",
        "  batch_cfg = batch_cfg",
        [PHASE_ROOMS],
    ),
    m(
        "phase rooms: the room ignores a phase's admit interval",
        "lua/admit_batch.lua",
        "  interval_s = room.interval or interval_s",
        "  interval_s = interval_s",
        [PHASE_ROOMS],
    ),
    m(
        "phase rooms: a fan of a phase not open yet is admitted",
        "lua/admit_batch.lua",
        "  return pid and opens_of[pid] ~= nil and now < opens_of[pid]",
        "  return false",
        [PHASE_ROOMS],
    ),
    m(
        "phase rooms: a phase's pre-queue is not shuffled by its seed",
        "app/phases/prequeue.py",
        "    ordered = fairness.draw_order(seed, seq_of)",
        "    ordered = list(seq_of)",
        [PHASE_ROOMS],
    ),
    m(
        "phase rooms: the room admits in a phase's pre-queue before the phase opens",
        "lua/admit_batch.lua",
        "  if now < room.opens then return reply(4, 0, 0) end",
        "  if false then return reply(4, 0, 0) end",
        [PHASE_PREQUEUE],
    ),
    m(
        "phase rooms: the public room snapshot opens with the event, not its phase",
        "app/queue/room.py",
        "    opens = phase.opens_ms if phase is not None else int(onsale)",
        "    opens = int(onsale)",
        [PHASE_PREQUEUE],
    ),
    m(
        "phase rooms: a phase's shuffle waits for the event's, not its own",
        "lua/admit_batch.lua",
        "  opened_field = 'opened:' .. room.id",
        "  opened_field = 'opened'",
        [PHASE_ROOMS],
    ),
    # --- attendee names and questions; the seller on receipts -----------------------------
    m(
        "attendees: names and answers change after the cut-off",
        "app/attendees/service.py",
        '        if not rules.may_change(utcnow(), order["starts_at"], cutoff):',
        "        if False:",
        ATT_CUTOFF,
    ),
    m(
        "attendees: the cut-off is the event's start, not hours before it",
        "app/attendees/answers.py",
        "    return starts_at - dt.timedelta(hours=cutoff_hours)",
        "    return starts_at",
        ATT_CUTOFF,
    ),
    m(
        "attendees: any signed-in account names another fan's tickets",
        "app/attendees/service.py",
        '    if row is None or str(row["user_id"]) != principal.user_id:',
        "    if row is None:",
        ATT_WHO,
    ),
    m(
        "attendees: a ticket of another order is named through this one",
        "app/attendees/answers.py",
        "        if entry.ticket_id not in allowed or entry.ticket_id in tickets:",
        "        if entry.ticket_id in tickets:",
        ATT_FORM,
    ),
    m(
        "attendees: a required name may stay empty",
        "app/attendees/answers.py",
        '        elif not name and names == "required":',
        "        elif False:",
        ATT_FORM,
    ),
    m(
        "attendees: a choice outside the options is kept",
        "app/attendees/answers.py",
        '        elif q.kind == "choice" and text not in q.options:',
        "        elif False:",
        ATT_FORM,
    ),
    m(
        "attendees: a text answer may pass its maximum length",
        "app/attendees/answers.py",
        '        elif q.kind == "text" and len(text) > q.max_length:',
        '        elif q.kind == "text" and len(text) > 2 * q.max_length:',
        ATT_FORM,
    ),
    m(
        "attendees: the export reads order questions from the ticket's answers",
        "app/attendees/service.py",
        '        source = row["order_answers"] if q.per == "order" else row["ticket_answers"]',
        '        source = row["ticket_answers"]',
        ATT_SAVED,
    ),
    m(
        "attendees: the export lets a fan's formula through",
        "app/attendees/service.py",
        "[safe_cell(c) if isinstance(c, str) else c for c in",
        "[c for c in",
        ATT_SAVED,
    ),
    m(
        "attendees: the scanner never says a required name is missing",
        "app/tickets/checkin.py",
        'row["name_required"] and not row["attendee_name"]',
        'False and not row["attendee_name"]',
        ATT_DOOR,
    ),
    m(
        "attendees: the receipt leaves out the seller",
        "app/money/receipt.py",
        "        *seller_lines(order, locale),",
        "",
        ATT_SELLER,
    ),
    m(
        "attendees: any member of the organization changes the seller on receipts",
        "app/orgs/service.py",
        '    await require(pool, principal, org_id, "payouts")',
        "    await require(pool, principal, org_id, None)",
        ATT_SELLER,
    ),
]


def copy_tree(dest: Path) -> None:
    """The working tree's tracked and new files (not ignored ones) into dest."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        rel = raw.decode()
        src = ROOT / rel
        if not src.is_file():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def apply(tree: Path, mutant: Mutant) -> bool:
    path = tree / mutant.path
    text = path.read_text()
    if text.count(mutant.old) != 1:
        return False
    path.write_text(text.replace(mutant.old, mutant.new))
    return True


def run_tests(tree: Path, tests: tuple[str, ...], timeout_s: int) -> tuple[int, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.monotonic()
    try:
        rc = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
            cwd=tree,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout_s,
        ).returncode
    except subprocess.TimeoutExpired:
        rc = -1
    return rc, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only mutants whose name contains this")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--timeout", type=int, default=600, help="per mutant run (s)")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the unmutated runs of the test sets"
    )
    args = parser.parse_args(argv)
    chosen = [x for x in MUTANTS if args.k.lower() in x.name.lower()]
    if args.list:
        for x in chosen:
            print(f"{x.name:60} {x.path}")
        return 0
    rows: list[tuple[str, str, float]] = []
    with tempfile.TemporaryDirectory(prefix="onsale-mutants-") as folder:
        pristine = Path(folder) / "pristine"
        copy_tree(pristine)
        if not args.no_baseline:
            # A mutant only counts as caught if its tests pass without it.
            for tests in sorted({x.tests for x in chosen}):
                rc, took = run_tests(pristine, tests, args.timeout)
                print(f"baseline rc={rc} {took:6.1f}s  {' '.join(tests)}", flush=True)
                if rc != 0:
                    print("the unmutated tree fails these tests: fix that first")
                    return 3
        for mutant in chosen:
            tree = Path(folder) / "tree"
            shutil.rmtree(tree, ignore_errors=True)
            shutil.copytree(pristine, tree)
            if not apply(tree, mutant):
                rows.append((mutant.name, "STALE", 0.0))
                continue
            rc, took = run_tests(tree, mutant.tests, args.timeout)
            verdict = {0: "MISSED", 1: "caught"}.get(rc, f"error rc={rc}")
            rows.append((mutant.name, verdict, took))
            print(f"{verdict:8} {took:6.1f}s  {mutant.name}", flush=True)
    width = max(len(name) for name, _, _ in rows)
    print()
    print(f"| {'mutant':{width}} | result | time |")
    print(f"|{'-' * (width + 2)}|--------|------|")
    for name, verdict, took in rows:
        print(f"| {name:{width}} | {verdict} | {took:.0f} s |")
    caught = sum(1 for _, v, _ in rows if v == "caught")
    print(f"\n{caught}/{len(rows)} caught")
    if any(v == "STALE" for _, v, _ in rows):
        return 2
    return 0 if caught == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
