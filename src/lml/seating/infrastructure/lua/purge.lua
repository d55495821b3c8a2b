-- Drop the show's expired holds and publish what they freed (the worker runs this for shows that
-- have holds, so that expiry reaches the SSE streams even when nobody touches the show).
-- Returns the number of live holds left.
purge(now_ms())
emit(false)
return redis.call('ZCARD', K_EXPIRY)
