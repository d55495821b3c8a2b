-- A buyer's place. ARGV[2] buyer. Returns describe... | {} (not in line).
purge()
local entry = redis.call('HGET', K_OF, ARGV[2])
if not entry then return {} end
return describe(entry)
