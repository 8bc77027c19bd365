-- _phase_room: which sale phase's room settings the waiting room runs by at `now`. Not a
-- script: app.core.scripts puts it in place of a script's `-- include: _phase_room.lua`.
--
-- The schedule is the event meta's 'wr_phases' field (app.phases.room writes it), so the
-- scripts that already read the meta hash get it in the same HMGET: no round trip of
-- its own. One entry per phase, ';'-separated, sorted by opening:
--   '<phase_id>,<opens_ms>,<closes_ms>,<prequeue_opens_ms>,<mode>,<batch>,<interval_s>'
-- An empty field is a setting the phase leaves to the event's room.
--
-- The room runs by the phase open now (the one that opened last, when phases of
-- different audiences overlap); while none is open, by the next phase whose pre-queue
-- has started; outside every phase, by the event's own settings (nil).

local function phase_rooms(schedule)
  local out = {}
  for entry in string.gmatch(schedule or '', '[^;]+') do
    local f = {}
    for v in string.gmatch(entry .. ',', '([^,]*),') do f[#f + 1] = v end
    local opens = tonumber(f[2])
    out[#out + 1] = {
      id = f[1], opens = opens, closes = tonumber(f[3]),
      prequeue = math.min(tonumber(f[4]) or opens, opens),
      mode = (f[5] ~= nil and f[5] ~= '') and f[5] or nil,
      batch = tonumber(f[6]), interval = tonumber(f[7]),
    }
  end
  return out
end

local function phase_room(schedule, now)
  local open, next_up = nil, nil
  for _, p in ipairs(phase_rooms(schedule)) do
    if p.opens <= now and now < p.closes then
      if not open or p.opens >= open.opens then open = p end
    elseif p.prequeue <= now and now < p.opens then
      if not next_up or p.opens < next_up.opens then next_up = p end
    end
  end
  return open or next_up
end
