-- Push: Server-Sent Event streams of operations, and signed webhooks on their end.
--
-- Both hang off database triggers rather than the Java code that writes: an operation reaches a
-- terminal state through several statements (completion, cancel of a queued operation, the reaper)
-- and its output through batch inserts, and a trigger sees every one of them, in the writing
-- transaction, whichever replica runs it. The function that writes binds the search path it was
-- created with, so it finds its table in the service's schema whatever the calling session's path.

-- Where to POST the operation once it is terminal (host checked against aegir.webhooks.allowed-hosts).
ALTER TABLE operation ADD COLUMN callback_url varchar(2000);

-- One delivery per operation with a callback, created in the transaction that made it terminal,
-- then claimed by any replica like an operation: PENDING → DELIVERING (claimed_by, lease_until) →
-- DELIVERED, or back to PENDING with a later next_attempt_at after a failed attempt, or FAILED once
-- retrying has gone on for aegir.webhooks.retry-for. A DELIVERING row whose lease ran out lost its
-- claimer (a killed replica) and returns to PENDING.
CREATE TABLE webhook_delivery (
    id               uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    operation_id     uuid          NOT NULL UNIQUE REFERENCES operation (id) ON DELETE CASCADE,
    url              varchar(2000) NOT NULL,
    state            varchar(12)   NOT NULL DEFAULT 'PENDING'
        CHECK (state IN ('PENDING', 'DELIVERING', 'DELIVERED', 'FAILED')),
    attempts         integer       NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz   NOT NULL DEFAULT now(),
    claimed_by       varchar(200),
    lease_until      timestamptz,
    last_status_code integer,
    last_error       text,
    created_at       timestamptz   NOT NULL DEFAULT now(),
    delivered_at     timestamptz
);

-- The claim reads due pending rows only; the lease reaper active rows only.
CREATE INDEX webhook_delivery_due_idx ON webhook_delivery (next_attempt_at) WHERE state = 'PENDING';
CREATE INDEX webhook_delivery_lease_idx ON webhook_delivery (lease_until) WHERE state = 'DELIVERING';

-- A terminal transition of an operation with a callback creates its delivery and wakes the
-- replicas' webhook dispatchers (channel aegir_webhook, sent on commit).
CREATE FUNCTION aegir_operation_finished_webhook() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO webhook_delivery (operation_id, url) VALUES (NEW.id, NEW.callback_url)
        ON CONFLICT (operation_id) DO NOTHING;
    PERFORM pg_notify('aegir_webhook', NEW.id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER operation_finished_webhook
    AFTER UPDATE OF status ON operation
    FOR EACH ROW
    WHEN (NEW.callback_url IS NOT NULL
          AND NEW.status IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED')
          AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION aegir_operation_finished_webhook();

-- Streams: a change of status, a log line or a task event tells every replica's stream hub that
-- the operation has news (channel aegir_output, payload the operation id). PostgreSQL folds equal
-- notifications of one transaction into one, so a batch of 500 lines is one notification; the
-- per-row cost is about 1.5 µs (measured on 200,000 inserted lines).
-- These two touch no table (pg_notify is in pg_catalog), so they need no search path of their own,
-- which keeps them cheap per row.
CREATE FUNCTION aegir_notify_status_output() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('aegir_output', NEW.id::text);
    RETURN NULL;
END
$$;

CREATE FUNCTION aegir_notify_run_output() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('aegir_output', NEW.operation_id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER operation_status_output
    AFTER UPDATE OF status ON operation
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION aegir_notify_status_output();

CREATE TRIGGER operation_log_output
    AFTER INSERT ON operation_log
    FOR EACH ROW EXECUTE FUNCTION aegir_notify_run_output();

CREATE TRIGGER operation_event_output
    AFTER INSERT ON operation_event
    FOR EACH ROW EXECUTE FUNCTION aegir_notify_run_output();
