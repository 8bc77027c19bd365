-- recount_seat_rows: a seated section's per-row free counts derived from its seats again.
--
-- KEYS[1]  seat states hash        {ev:<id>}:seats
-- KEYS[2]  seat rows hash          {ev:<id>}:seatrows
-- KEYS[3]  the section's seat plan {ev:<id>}:seatplan:<section>
--
-- ARGV[1]  section code
-- ARGV[2]  '1' = also write each seat's row index (after a rebuild of the map), else '0'
--
-- Reconcile runs this after it writes seat states itself (a rebuild after Redis lost the
-- event, the drift rule), and every run to check that the counts agree with the seats: a
-- count best available trusts must never hide a free block. Returns how many rows' counts
-- were wrong (now right); 0 when they agreed.
local states_key, rows_key, plan_key = KEYS[1], KEYS[2], KEYS[3]
local section = ARGV[1]

-- include: _seats.lua

return rows_recount(states_key, rows_key, plan_key, section, ARGV[2] == '1')
