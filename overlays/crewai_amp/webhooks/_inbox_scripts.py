"""The Lua scripts that keep each step of the Redis inbox atomic (the layout they work on is
described in ``_inbox_core``). Each comment says what the script takes: ``KEYS`` and ``ARGV``."""

from __future__ import annotations

__all__ = ["SCRIPTS"]

# ARGV[1] ttl ms, ARGV[2] meta; then key, channel, body per entry. KEYS[1] the stream, then the
# seen-key of each entry. All or nothing: one script, no partial write left behind.
PUT = """
local added = {}
for i = 2, #KEYS do
  local at = 3 + (i - 2) * 3
  if redis.call('EXISTS', KEYS[i]) == 1 then
    added[i - 1] = 0
  else
    redis.call('XADD', KEYS[1], '*', 'key', ARGV[at], 'channel', ARGV[at + 1], 'body', ARGV[at + 2], 'meta', ARGV[2])
    redis.call('SET', KEYS[i], '1', 'PX', ARGV[1])
    added[i - 1] = 1
  end
end
return added
"""

# KEYS: stream, failures, then the done-key of each entry. ARGV: group, consumer, then the ids.
# Per entry: {state, deliveries, last failure}; state 1 run it, 0 handled already (acked here),
# -1 no longer pending for this consumer.
START = """
local out = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
  if #p == 0 or p[1][2] ~= ARGV[2] then
    out[#out + 1] = {-1, 0, ''}
  elseif redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('XACK', KEYS[1], ARGV[1], id)
    redis.call('XDEL', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    out[#out + 1] = {0, p[1][4], ''}
  else
    out[#out + 1] = {1, p[1][4], redis.call('HGET', KEYS[2], id) or ''}
  end
end
return out
"""

# KEYS: stream, done-key, failures. ARGV: group, id, ttl ms. The success, recorded with the ack.
SUCCEED = """
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
return 1
"""

_STILL_MINE = """
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #p == 0 or p[1][2] ~= ARGV[3] or tostring(p[1][4]) ~= ARGV[4] then return 0 end
"""

# KEYS: stream, failures, dead. ARGV: group, id, consumer, deliveries, failure record, idle ms,
# dead (1/0), error, failed_at, key, channel, body, meta. 0: no longer this claim's (nothing done).
FAIL = (
    _STILL_MINE
    + """
if ARGV[7] == '1' then
  redis.call('XADD', KEYS[3], '*', 'key', ARGV[10], 'channel', ARGV[11], 'body', ARGV[12], 'meta', ARGV[13],
             'error', ARGV[8], 'attempts', ARGV[4], 'failed_at', ARGV[9], 'source_id', ARGV[2])
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
  redis.call('XDEL', KEYS[1], ARGV[2])
  redis.call('HDEL', KEYS[2], ARGV[2])
  return 2
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[5])
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'IDLE', ARGV[6], 'JUSTID')
return 1
"""
)

# KEYS: stream. ARGV: group, consumer, then id, deliveries of entries this worker holds. Resets
# the idle time of each one still held with that delivery count; returns how many.
RENEW = """
local n = 0
for i = 3, #ARGV, 2 do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if #p == 1 and p[1][2] == ARGV[2] and tostring(p[1][4]) == ARGV[i + 1] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    n = n + 1
  end
end
return n
"""

# KEYS: dead, stream. ARGV: dead-letter ids. Each goes back to the stream as a new entry.
REPLAY = """
local n = 0
for i = 1, #ARGV do
  local found = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
  if #found == 1 then
    local fields, kept = found[1][2], {}
    for j = 1, #fields, 2 do
      local name = fields[j]
      if name == 'key' or name == 'channel' or name == 'body' or name == 'meta' then
        kept[#kept + 1] = name
        kept[#kept + 1] = fields[j + 1]
      end
    end
    redis.call('XADD', KEYS[2], '*', unpack(kept))
    redis.call('XDEL', KEYS[1], ARGV[i])
    n = n + 1
  end
end
return n
"""

SCRIPTS = {"put": PUT, "start": START, "succeed": SUCCEED, "fail": FAIL, "renew": RENEW, "replay": REPLAY}
