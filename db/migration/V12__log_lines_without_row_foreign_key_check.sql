-- A log line no longer pays a foreign-key check of its own. The REFERENCES of operation_log made
-- PostgreSQL run one SPI query per inserted row (SELECT 1 FROM operation WHERE id = $1 FOR KEY
-- SHARE): on this machine three quarters of the time of a COPY of 200,000 lines (7.4 s with the
-- key, 1.8 s without), the largest single cost of a long run's log. The key checked nothing a
-- writer does not already know: every write of log lines holds the operation's row in the same
-- transaction (mid-run batches lock it FOR SHARE as their lease fence; the last batch joins the
-- fenced completion's UPDATE), so the operation exists and cannot be deleted until the lines are
-- committed. What the key also did, deleting an operation's lines with it, a statement trigger
-- now does: one DELETE per statement for all the operations it deleted. The lines of a
-- transaction still in progress when the operation is deleted wait for it (the fence's row lock),
-- and the trigger's DELETE, a statement of its own, sees them once committed: under READ COMMITTED,
-- the isolation level of the service and of any purge an operator runs (a REPEATABLE READ deleter keeps
-- its first snapshot and would leave such lines behind). TRUNCATE operation must name operation_log too.
-- operation_event keeps its key: a run writes few events.

-- Dropping the key locks operation as well: wait a short while for the lock rather than queue every
-- claim and read of a running cluster behind an idle transaction (the replica retries on restart).
SET LOCAL lock_timeout = '5s';

ALTER TABLE operation_log DROP CONSTRAINT operation_log_operation_id_fkey;

-- SET search_path FROM CURRENT: the function lives in the service's schema, whatever the caller's path.
-- SECURITY DEFINER: like the key's cascade, it deletes with the owner's rights, so a purge role needs
-- DELETE on operation only.
CREATE FUNCTION aegir_delete_operation_log() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM operation_log l USING deleted d WHERE l.operation_id = d.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER operation_delete_log
    AFTER DELETE ON operation
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION aegir_delete_operation_log();
