-- Secrets do not outlive their operation, and the operation list pages by keyset.
--
-- 1. Once an operation is terminal its secret values (the variables named in secret_vars, in the
--    operation's vars and in each task's vars) are replaced by the mask the API already shows. A
--    trigger makes this a database fact: every path that ends an operation (completion, a cancel
--    while queued, the reaper) is one guarded UPDATE of status, and this runs inside it, so no
--    terminal row ever holds a secret, whichever replica or statement ended it. Re-queued operations
--    (the reaper's retry) are not terminal and keep their values for the next attempt.
CREATE FUNCTION operation_masked(vars jsonb, secrets jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(key, CASE WHEN secrets ? key THEN to_jsonb('********'::text) ELSE value END),
                    '{}'::jsonb)
      FROM jsonb_each(vars)
$$;

CREATE FUNCTION operation_tasks_masked(tasks jsonb, secrets jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE
    SET search_path FROM CURRENT AS $$
    SELECT coalesce(jsonb_agg(CASE WHEN jsonb_typeof(task -> 'vars') = 'object'
                                   THEN jsonb_set(task, '{vars}', operation_masked(task -> 'vars', secrets))
                                   ELSE task END ORDER BY n), '[]'::jsonb)
      FROM jsonb_array_elements(tasks) WITH ORDINALITY AS t(task, n)
$$;

-- SET search_path FROM CURRENT: the functions live in the service's schema, whatever the caller's path.
CREATE FUNCTION operation_scrub_secrets() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    NEW.vars := operation_masked(NEW.vars, NEW.secret_vars);
    NEW.tasks := operation_tasks_masked(NEW.tasks, NEW.secret_vars);
    RETURN NEW;
END
$$;

CREATE TRIGGER operation_scrub_secrets_when_terminal
    BEFORE UPDATE OF status ON operation
    FOR EACH ROW
    WHEN (NEW.status IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED')
          AND OLD.status IS DISTINCT FROM NEW.status
          AND NEW.secret_vars <> '[]'::jsonb)
    EXECUTE FUNCTION operation_scrub_secrets();

-- Operations that ended before this migration are scrubbed once here.
UPDATE operation
   SET vars = operation_masked(vars, secret_vars), tasks = operation_tasks_masked(tasks, secret_vars)
 WHERE status IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED') AND secret_vars <> '[]'::jsonb;

-- 2. The list is newest first, (created_at, id) being the cursor: "?after=" continues below the last
--    row seen, with no OFFSET and no count(*). Each filter's index now ends in id, so the keyset
--    comparison is served by the index whatever the filter.
DROP INDEX operation_status_created_idx;
DROP INDEX operation_target_created_idx;
DROP INDEX operation_type_created_idx;
CREATE INDEX operation_status_created_idx ON operation (status, created_at DESC, id DESC);
CREATE INDEX operation_target_created_idx ON operation (target, created_at DESC, id DESC);
CREATE INDEX operation_type_created_idx   ON operation (type, created_at DESC, id DESC);
