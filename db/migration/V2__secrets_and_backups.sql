-- Variables the catalog declares secret (no_log) for an operation's tasks, decided when it is
-- accepted: the API masks them when the operation is read back, and the executor masks their
-- values in the stored log and task events.
ALTER TABLE operation ADD COLUMN secret_vars jsonb NOT NULL DEFAULT '[]'::jsonb;

-- Backups recorded from the outputs of successful operations (an output named backup_path), so
-- the front-end can list a site's backups without walking its operations.
CREATE TABLE backup (
    id           bigserial    PRIMARY KEY,
    operation_id uuid         NOT NULL REFERENCES operation (id) ON DELETE CASCADE,
    target       varchar(200) NOT NULL,
    path         text         NOT NULL,
    size_bytes   bigint,
    created_at   timestamptz  NOT NULL DEFAULT now(),
    UNIQUE (operation_id, path)
);

CREATE INDEX backup_target_created_idx ON backup (target, created_at DESC, id DESC);
