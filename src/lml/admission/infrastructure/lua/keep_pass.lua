-- An admitted buyer's pass stays alive (and its place in max_active taken) until ARGV[3] at least.
-- ARGV[2] entry id. A pass that lapsed already stays lapsed.
purge()
if redis.call('ZSCORE', K_ACTIVE, ARGV[2]) then redis.call('ZADD', K_ACTIVE, 'GT', ARGV[3], ARGV[2]) end
return 1
