-- Streams hear of new log lines and task events from one notification per statement instead of a
-- trigger call per row. A batch of log lines is now one INSERT (its rows from unnest() of arrays,
-- see QueueSql), so a run printing 200,000 lines made 200,000 PL/pgSQL calls that all sent the same
-- notification, which PostgreSQL then folded into one per transaction. The statement trigger reads
-- the rows the statement inserted (its transition table) and notifies once per operation in them:
-- what a listener receives is unchanged (channel aegir_output, payload the operation id, sent on
-- commit). Like V6's functions it touches no table, so it needs no search path of its own.

CREATE FUNCTION aegir_notify_run_output_rows() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('aegir_output', n.operation_id::text)
       FROM (SELECT DISTINCT operation_id FROM inserted) n;
    RETURN NULL;
END
$$;

DROP TRIGGER operation_log_output ON operation_log;
DROP TRIGGER operation_event_output ON operation_event;

CREATE TRIGGER operation_log_output
    AFTER INSERT ON operation_log
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION aegir_notify_run_output_rows();

CREATE TRIGGER operation_event_output
    AFTER INSERT ON operation_event
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION aegir_notify_run_output_rows();

-- The per-row function has no trigger left.
DROP FUNCTION aegir_notify_run_output();
