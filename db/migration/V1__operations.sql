-- Operations, their log lines and their task events.
--
-- The service keeps its tables in its own schema (aegir.database.schema, default "aegir"),
-- which Flyway creates; nothing here names the schema, so the same script serves tests that
-- give each application context a schema of its own.
--
-- Every change of status is one UPDATE guarded by the expected current status (see
-- OperationTransitions and QueueSql); the indexes below serve exactly the queries the API and
-- the queue run.

CREATE TABLE operation (
    id               uuid         PRIMARY KEY,
    type             varchar(100) NOT NULL,
    engine           varchar(20)  NOT NULL,
    target           varchar(200) NOT NULL,
    hosts            varchar(255) NOT NULL,
    vars             jsonb        NOT NULL,
    tasks            jsonb        NOT NULL,
    status           varchar(16)  NOT NULL
        CHECK (status IN ('QUEUED', 'RUNNING', 'CANCELLING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED')),
    exit_code        integer,
    reason           text,
    outputs          jsonb        NOT NULL DEFAULT '{}'::jsonb,
    idempotency_key  varchar(200),
    -- SHA-256 of the canonical request: tells a retry (same body) from a conflicting reuse of a key.
    request_hash     char(64)     NOT NULL,
    timeout_seconds  integer      NOT NULL CHECK (timeout_seconds > 0),
    retry            boolean      NOT NULL DEFAULT false,
    max_attempts     integer      NOT NULL DEFAULT 1 CHECK (max_attempts >= 1),
    attempt          integer      NOT NULL DEFAULT 0,
    claimed_by       varchar(200),
    heartbeat_at     timestamptz,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz
);

CREATE UNIQUE INDEX operation_idempotency_key_uq ON operation (idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- Listing is newest first, optionally filtered by one of these columns.
CREATE INDEX operation_created_idx        ON operation (created_at DESC, id DESC);
CREATE INDEX operation_status_created_idx ON operation (status, created_at DESC);
CREATE INDEX operation_target_created_idx ON operation (target, created_at DESC);
CREATE INDEX operation_type_created_idx   ON operation (type, created_at DESC);

-- The claim query reads only queued rows, oldest first: a partial index keeps it as fast with
-- a million finished operations as with none.
CREATE INDEX operation_queued_idx ON operation (created_at, id) WHERE status = 'QUEUED';

-- One running operation per target is a database fact: a second replica's claim of a busy
-- target fails on this index instead of running two operations on one site at once.
CREATE UNIQUE INDEX operation_one_active_per_target ON operation (target)
    WHERE status IN ('RUNNING', 'CANCELLING');

-- The reaper looks for active operations whose heartbeat went stale.
CREATE INDEX operation_active_heartbeat_idx ON operation (heartbeat_at)
    WHERE status IN ('RUNNING', 'CANCELLING');

CREATE TABLE operation_log (
    operation_id uuid        NOT NULL REFERENCES operation (id) ON DELETE CASCADE,
    seq          bigint      NOT NULL,
    at           timestamptz NOT NULL,
    stream       varchar(8)  NOT NULL CHECK (stream IN ('stdout', 'stderr', 'system')),
    text         text        NOT NULL,
    PRIMARY KEY (operation_id, seq)
);

CREATE TABLE operation_event (
    operation_id uuid         NOT NULL REFERENCES operation (id) ON DELETE CASCADE,
    seq          bigint       NOT NULL,
    at           timestamptz  NOT NULL,
    task_index   integer,
    task         varchar(500) NOT NULL,
    role         varchar(200),
    host         varchar(255),
    status       varchar(16)  NOT NULL
        CHECK (status IN ('ok', 'changed', 'failed', 'skipped', 'unreachable')),
    changed      boolean      NOT NULL DEFAULT false,
    duration_ms  bigint,
    message      text,
    PRIMARY KEY (operation_id, seq)
);
