-- The line as it is now: {waiting, admitted all time, active passes, admitted in the last minute, sold_out}.
purge()
local f = redis.call('HMGET', K_ROOM, 'admitted', 'sold_out')
return {redis.call('ZCARD', K_LINE), tonumber(f[1] or '0'), redis.call('ZCARD', K_ACTIVE),
  redis.call('ZCARD', K_RECENT), f[2] or '0'}
