"""Every Redis key Onsale uses, built in one place.

Hash-tag rule: every key that belongs to an event starts with ``{ev:<event_id>}``
so that all of an event's keys land in the same Redis Cluster slot and one Lua
script may touch any of them atomically. Keys that are not per event (the
registry of live events, cross-event idempotency records, the worker
heartbeat) carry their own tag ``{onsale:<name>}``, never an event's, and are
only ever used one key per command: no command or script spans two events or
an event and a global key, so nothing assumes one node. Loops over events
(expiry, admission, metrics) read the registry, then touch each event alone.
arq's keys live on arq's own plain Redis (ONSALE_JOBS_REDIS_URL).
"""

from __future__ import annotations

PREFIX = "onsale"


def tag(event_id: str) -> str:
    return "{ev:" + event_id + "}"


# --- event state mirrored into Redis for the hot path -----------------------
def event_meta(event_id: str) -> str:
    """Hash: status, onsale_at_ms, offsale_at_ms, limits, hold_ttl_s, currency."""
    return f"{tag(event_id)}:meta"


def inventory(event_id: str) -> str:
    """Hash: '<section>:available|held|sold|capacity|price' -> integer."""
    return f"{tag(event_id)}:inv"


def user_seats(event_id: str) -> str:
    """Hash: user_id -> seats held or bought for the event (per-user limit)."""
    return f"{tag(event_id)}:userseats"


def seat_states(event_id: str) -> str:
    """Hash: '<section>/<seat_id>' -> 'b' (blocked), 'h:<hold_id>' (held) or 's:<hold_id>'
    (sold) of the event's seated sections; a seat with no field is free. One hash per event,
    so a hold's scripts name it without knowing the section first."""
    return f"{tag(event_id)}:seats"


def seat_rows(event_id: str) -> str:
    """Hash: '<section>/<seat_id>' -> the seat's row index in the section's plan ('r<i>'),
    '<section>#<i>' -> that row's free seats, '<section>~<i>' -> the row's version, and
    '<section>@<i>:<quantity>:<category>:<a|n>' -> the row's best block for that request at a
    version; moved with the seat states by every seat script (lua/_seats.lua), so best
    available skips rows that cannot fit the request and does not read a row again while
    none of its seats moved."""
    return f"{tag(event_id)}:seatrows"


def seat_info(event_id: str, section: str) -> str:
    """Hash: seat_id -> 'row\\tnumber\\tcategory\\tx\\ty\\tflags' of a seated section
    (flags: 'a' accessible, 'c' companion); static between imports."""
    return f"{tag(event_id)}:seatinfo:{section}"


def seat_plan(event_id: str, section: str) -> str:
    """Hash: the section's rows ('r<i>': seats in row order with categories, flags and
    positions, JSON), the rows nearest the focal point first ('o') and the public view's
    'meta'; read row by row by best available in reserve_seats.lua."""
    return f"{tag(event_id)}:seatplan:{section}"


def hold(event_id: str, hold_id: str) -> str:
    """Hash: one hold's record (section, quantity, user, status, expires_at_ms...)."""
    return f"{tag(event_id)}:hold:{hold_id}"


def hold_expiry(event_id: str) -> str:
    """Sorted set: hold_id scored by expiry (epoch ms) for the expiry sweeper."""
    return f"{tag(event_id)}:holds:exp"


def checkouts(event_id: str) -> str:
    """Sorted set: hold_id of holds in checkout, scored by their checkout deadline (ms)."""
    return f"{tag(event_id)}:holds:checkout"


def discounts(event_id: str) -> str:
    """Hash: '<CODE>:kind|value|max|used|section|phase|off' of the event's discount codes
    (lua/_discounts.lua), on the event's tag so the hold script checks a code in its call."""
    return f"{tag(event_id)}:discounts"


def ticket_types(event_id: str) -> str:
    """Hash: the event's ticket types within sections (lua/_types.lua): '<section>:types' ->
    'ADULT,CHILD' (their order); per type '<section>/<TYPE>:price|limit|opens|closes|companion|
    name' (the organizer's settings) and '<section>/<TYPE>:quota|available|held|sold' (its
    counters: available + held + sold = quota). On the event's tag, so the hold script checks
    every type of a hold in its one call."""
    return f"{tag(event_id)}:types"


def hold_ends(event_id: str) -> str:
    """Stream: hold starts (active) and ends (released, expired, converted) for the ledger."""
    return f"{tag(event_id)}:holds:ends"


def returned_orders(event_id: str) -> str:
    """Set: order ids whose refunded seats went back on sale (makes the return idempotent)."""
    return f"{tag(event_id)}:orders:returned"


def resale_listed(event_id: str) -> str:
    """Set: resale listing ids whose seat is back on sale (list/withdraw are idempotent)."""
    return f"{tag(event_id)}:resale:listed"


def moves_done(event_id: str) -> str:
    """Set: transfer and resale-settlement ids applied to the per-user counts (once each)."""
    return f"{tag(event_id)}:moves:done"


def order_tally(event_id: str) -> str:
    """Hash: the live order figures (confirmed, revenue_cents, refunds; 'seeded' once counted
    from the record), kept by lua/tally_orders.lua so the console reads no order rows."""
    return f"{tag(event_id)}:orders:tally"


def order_tally_seen(event_id: str) -> str:
    """Set: '<c|r>:<order_id>', each order's outcomes already in the tally (counts once)."""
    return f"{tag(event_id)}:orders:tallied"


def orders_recent(event_id: str) -> str:
    """Zset: order id -> confirmed at (ms), the last few minutes (orders per minute)."""
    return f"{tag(event_id)}:orders:recent"


def idempotency(event_id: str, scope: str, key: str) -> str:
    """String: the recorded response of an idempotent POST, kept >= 24 h."""
    return f"{tag(event_id)}:idem:{scope}:{key}"


def event_rate_limit(event_id: str, name: str, identity: str) -> str:
    """Hash {w, c, p}: a sliding-window counter of a named limit that a script of this
    event checks and counts itself (the hold limits), so it costs no round trip."""
    return f"{tag(event_id)}:rl:{name}:{identity}"


def drift_doubt(event_id: str, section: str) -> str:
    """String: since when (epoch ms) reconcile has seen this section drift with holds in doubt."""
    return f"{tag(event_id)}:reconcile:doubt:{section}"


def section_paused_field(section: str) -> str:
    """Field of the event meta hash: "1" while reconcile keeps the section off sale (drift)."""
    return f"paused:{section}"


def public_view(event_id: str) -> str:
    return f"{tag(event_id)}:view"


# --- waiting room -------------------------------------------------------------
def queue_line(event_id: str) -> str:
    """Zset: member -> order * 2^26 + arrival seq (ZRANK = position - 1)."""
    return f"{tag(event_id)}:q:line"


def queue_state(event_id: str) -> str:
    """Hash: seq, boundary, opened, next_at, admitted, rate_pm, last_tick_ms."""
    return f"{tag(event_id)}:q:state"


def queue_sessions(event_id: str) -> str:
    """Hash: member -> '<session_id>:<expires_ms>' of admitted fans."""
    return f"{tag(event_id)}:q:sess"


def queue_skipped(event_id: str) -> str:
    """Zset: member -> skip time (ms) of no-shows, kept for the grace period and after."""
    return f"{tag(event_id)}:q:skip"


def queue_comeback(event_id: str) -> str:
    """Zset: member -> original score of skipped fans who returned in grace (admitted first)."""
    return f"{tag(event_id)}:q:back"


def queue_ticks(event_id: str) -> str:
    """List: '<tick_ms>:<admitted>' of the latest admission ticks (measured rate)."""
    return f"{tag(event_id)}:q:ticks"


def queue_seen(event_id: str, window: int) -> str:
    """Bitmap: bit <arrival seq> set when the fan polled during this window."""
    return f"{tag(event_id)}:q:seen:{window}"


def queue_seen_long(event_id: str, window: int) -> str:
    """Bitmap: like `queue_seen`, for fans told to come back later than a short poll."""
    return f"{tag(event_id)}:q:seenl:{window}"


def active_sessions(event_id: str) -> str:
    """Sorted set: session_id of admitted shoppers scored by session expiry (epoch ms).

    A session is valid iff its score exists and is in the future; the hold
    script checks this atomically, so DELETE /queue revokes a token at once.
    """
    return f"{tag(event_id)}:q:active"


def queue_turns(event_id: str) -> str:
    """Stream: one entry (m, sid, exp) per admitted fan, for the "it's your turn" message."""
    return f"{tag(event_id)}:q:turns"


def turns_cursor(event_id: str) -> str:
    """String: the last turns-stream id the notifier has put into the outbox."""
    return f"{tag(event_id)}:notify:turns"


def nudge_cursor(event_id: str) -> str:
    """String: hold expiries (epoch ms) up to this one have had their nudge queued."""
    return f"{tag(event_id)}:notify:nudge"


def shuffle_lock(event_id: str) -> str:
    """String (SET NX PX): the worker drawing the event's pre-queue order holds it."""
    return f"{tag(event_id)}:q:shufflelock"


# --- waiting list after sell-out (app/waitlist) --------------------------------
def waitlist_line(event_id: str) -> str:
    """Zset: user_id -> join seq of fans waiting for seats to come back (FIFO)."""
    return f"{tag(event_id)}:wl:line"


def waitlist_wants(event_id: str) -> str:
    """Hash: user_id -> '<section>:<quantity>' a waiting-list fan asked for."""
    return f"{tag(event_id)}:wl:want"


def waitlist_offers(event_id: str) -> str:
    """Hash: user_id -> hold_id of the offer a waiting-list fan got (its own hold)."""
    return f"{tag(event_id)}:wl:offer"


def waitlist_state(event_id: str) -> str:
    """Hash: seq (join counter)."""
    return f"{tag(event_id)}:wl:state"


def waitlist_unnotified(event_id: str) -> str:
    """Set: hold_id of offers whose outbox notification is not written yet."""
    return f"{tag(event_id)}:wl:notify"


# --- parties: accounts that queue as one (waiting_room/party.py) --------------
def party_of(event_id: str) -> str:
    """Hash: queue member -> the party leader's member (the leader maps to itself)."""
    return f"{tag(event_id)}:party:of"


def party_codes(event_id: str) -> str:
    """Hash: invite code -> the party leader's member."""
    return f"{tag(event_id)}:party:codes"


def party_members(event_id: str, leader: str) -> str:
    """Set: the members of the party led by `leader` (leader included)."""
    return f"{tag(event_id)}:party:m:{leader}"


# --- closed-loop admission (waiting_room/control.py) --------------------------
def admission_control(event_id: str) -> str:
    """Hash: organizer targets, the controller's batch and its last signals and reason."""
    return f"{tag(event_id)}:ctl"


def admission_signals(event_id: str) -> str:
    """Hash: counters API processes add to (holds ok/failed, payments ok/failed)."""
    return f"{tag(event_id)}:ctl:cnt"


def admission_latencies(event_id: str) -> str:
    """List: '<at_ms>:<hold latency us>' samples, newest first, trimmed."""
    return f"{tag(event_id)}:ctl:lat"


# --- not per event ------------------------------------------------------------
# arq's job queue (a sorted set) on the jobs Redis; the API enqueues, workers poll.
ARQ_QUEUE = "arq:queue"


def global_tag(name: str) -> str:
    """The hash tag of a key that belongs to no event: its own slot, never an event's."""
    return "{" + PREFIX + ":" + name + "}"


def live_events() -> str:
    """Set of event ids whose onsale machinery (admission, expiry) is running."""
    return f"{global_tag('live')}:events"


def global_idempotency(scope: str, key: str) -> str:
    """Idempotency record of a POST that belongs to no event."""
    # The key in the tag: records spread over the cluster, one slot each.
    return global_tag(f"idem:{scope}:{key}")


def worker_heartbeat() -> str:
    """String with a short TTL: some worker ran its cron within the TTL."""
    return f"{global_tag('worker')}:heartbeat"


def gate() -> str:
    """Hash: the standalone room's gate in front of a protected origin (lua/gate_tick.lua:
    state, places given and let through, the origin's recent samples)."""
    return f"{global_tag('gate')}:state"


# --- security -----------------------------------------------------------------
def session_ended(session_id: str) -> str:
    """String: set while access tokens of an ended sign-in session may still be unexpired."""
    return global_tag(f"sess:ended:{session_id}")


def sessions_ended_feed() -> str:
    """Stream: ids of ended sign-in sessions (field `sid`), trimmed to an access token's
    lifetime; every API process mirrors it (app.auth.revocations)."""
    return global_tag("sess:ended-feed")


def stream_slots(user_id: str) -> str:
    """Sorted set: one account's open queue streams scored by their lease expiry (ms)."""
    return global_tag(f"streams:{user_id}")


def rate_limit_prefix() -> str:
    """Prefix of the `limits` library's counters (it builds the rest of each key)."""
    return f"{PREFIX}:rl"


def pow_challenge(event_id: str, user_id: str) -> str:
    """String: the proof-of-work challenge issued to an account for an event's queue."""
    return f"{tag(event_id)}:pow:{user_id}"


def pow_surge(event_id: str, minute: int) -> str:
    """Counter: queue joins of an event in one minute (raises the difficulty in a surge)."""
    return f"{tag(event_id)}:pow:joins:{minute}"


# --- sale phases --------------------------------------------------------------
def phase_of(event_id: str) -> str:
    """Hash: queue member (account) -> the phase it entered the room in."""
    return f"{tag(event_id)}:phase:of"


def phase_shuffle_lock(event_id: str, phase_id: str) -> str:
    """String (SET NX PX): the worker drawing a sale phase's own pre-queue order holds it."""
    return f"{tag(event_id)}:phase:shufflelock:{phase_id}"


def phase_admits(event_id: str) -> str:
    """Hash: phase_id -> fans admitted who entered the room in that phase."""
    return f"{tag(event_id)}:phase:admits"


def phase_joins(event_id: str) -> str:
    """Hash: phase_id -> accounts that joined the room in that phase."""
    return f"{tag(event_id)}:phase:joins"
