-- Issue 8: a claim's cost must not grow with a site's history.
--
-- The claim skips a candidate while an older operation of its target is still queued. That
-- lookup (target, then created_at/id below the candidate's) used operation_target_created_idx,
-- which also holds every finished operation of the target: on a site with 10,000 past operations
-- each probe walked them all. This index holds queued rows only, so the probe is one descent
-- whatever the site's history.
CREATE INDEX operation_queued_target_idx ON operation (target, created_at, id) WHERE status = 'QUEUED';
