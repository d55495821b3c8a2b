-- A refund that reached a final status keeps it: a late or stale report, or a change computed from
-- an old read, can never turn a settled refund back into an open one (or into another outcome).
CREATE FUNCTION ordering.refund_stays_final() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status IN ('succeeded', 'failed', 'canceled')
       AND (NEW.status, NEW.amount) IS DISTINCT FROM (OLD.status, OLD.amount) THEN
        RAISE EXCEPTION 'refund % is % and cannot change', OLD.refund_id, OLD.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER refunds_stay_final BEFORE UPDATE ON ordering.refunds
    FOR EACH ROW EXECUTE FUNCTION ordering.refund_stays_final();
