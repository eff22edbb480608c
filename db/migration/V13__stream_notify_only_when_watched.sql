-- Streams are notified only of the operations somebody streams.
--
-- V6 and V10 made every status change, log batch and task event send a notification on
-- aegir_output, streamed or not. A transaction that notifies takes a lock at commit that every
-- notifying transaction of the server needs, and holds it until its commit record is flushed
-- (PostgreSQL queues notifications in commit order), so every claim and every completion
-- committed one after the other: four executor slots could not share a WAL flush, and the lock,
-- not the work, set the pace of short operations (no-op engine, 4 slots: 440–536 operations/s with
-- the notifications, 543–708/s with the triggers disabled, in one session on this machine). Yet
-- almost no operation is streamed while it runs.
--
-- Now each replica's stream hub writes the operations it streams into stream_watch (one row per
-- operation and hub, renewed at every fallback look and dropped at the first look after the last
-- stream of it closed; a dead replica's rows lapse), and the triggers notify only for those. The
-- hub commits the row before its first read, so what committed before that read is in it, and a
-- change whose trigger runs after the row's commit notifies. Only a writer whose trigger ran just
-- before the row committed, and which commits after the first read, goes unannounced: the hub's
-- fallback look (aegir.stream.poll-interval) brings that change, as it brings a lost notification.
-- The webhook trigger (V6) still notifies inside the completion of an operation with a callback
-- URL, and cancels, hand-backs and the reaper notify inside theirs: those commits stay serialised.
--
-- UNLOGGED: the rows are a few seconds' worth of interest, rewritten at every look; writing them
-- costs no WAL, and after a crash the table is empty until the hubs' next look, which only means
-- streams wait for their fallback look meanwhile.
CREATE UNLOGGED TABLE stream_watch (
    operation_id uuid        NOT NULL,
    hub          uuid        NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (operation_id, hub)
);

-- The functions now read a table: SET search_path FROM CURRENT pins the service's schema, and
-- SECURITY DEFINER lets a role that may change operations (a purge or repair role, see V12) do so
-- without a grant on stream_watch.
CREATE OR REPLACE FUNCTION aegir_notify_status_output() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM stream_watch w WHERE w.operation_id = NEW.id AND w.expires_at > now()) THEN
        PERFORM pg_notify('aegir_output', NEW.id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION aegir_notify_run_output_rows() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    -- Nothing watched (the usual case): no look at the inserted rows at all.
    IF EXISTS (SELECT 1 FROM stream_watch w WHERE w.expires_at > now()) THEN
        PERFORM pg_notify('aegir_output', n.operation_id::text)
           FROM (SELECT DISTINCT operation_id FROM inserted) n
          WHERE EXISTS (SELECT 1 FROM stream_watch w
                         WHERE w.operation_id = n.operation_id AND w.expires_at > now());
    END IF;
    RETURN NULL;
END
$$;
