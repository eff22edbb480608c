-- A dry run (ansible-playbook --check --diff) and how much the run says (-v .. -vvvv): chosen at
-- submit, shown with the operation and used by every attempt. Existing rows ran for real, quietly.
ALTER TABLE operation ADD COLUMN check_mode boolean  NOT NULL DEFAULT false;
ALTER TABLE operation ADD COLUMN verbosity  smallint NOT NULL DEFAULT 0 CHECK (verbosity BETWEEN 0 AND 4);
