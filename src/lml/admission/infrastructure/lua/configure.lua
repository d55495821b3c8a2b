-- The room's facts, as its operator set them and its show's sale stands. ARGV[2] enabled, [3] opens,
-- [4] on_sale ('' none), [5] closes, [6] rate, [7] max_active, [8] pass_ms, [9] paused, [10] closed,
-- [11] when every key of the room may go (ms: a day after the sale closes).
redis.call('HSET', K_ROOM, 'enabled', ARGV[2], 'opens', ARGV[3], 'on_sale', ARGV[4], 'closes', ARGV[5],
  'rate', ARGV[6], 'max_active', ARGV[7], 'pass_ms', ARGV[8], 'paused', ARGV[9], 'closed', ARGV[10])
for _, key in ipairs(KEYS) do redis.call('PEXPIREAT', key, ARGV[11]) end
return 1
