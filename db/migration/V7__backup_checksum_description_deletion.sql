-- Backups worth the name: what the archive's SHA-256 is, why it was made ("Generated on request",
-- "Pre-delete backup", "Before update"), which task of the operation made it, and when its file was
-- deleted (a deleted backup stays listed, so the history of a site is kept). All nullable: rows
-- recorded before, and engines that report only backup_path, stay valid.
ALTER TABLE backup ADD COLUMN sha256      char(64);
ALTER TABLE backup ADD COLUMN description varchar(200);
ALTER TABLE backup ADD COLUMN task_index  integer;
ALTER TABLE backup ADD COLUMN deleted_at  timestamptz;

CREATE INDEX backup_target_id_idx ON backup (target, id DESC);
