-- Rules the database decides, not a read before the write: account names
-- are unique (in any case) under one parent, and there is one root.
CREATE UNIQUE INDEX accounts_name_unique ON accounts (parent_id, name_fold);
CREATE UNIQUE INDEX accounts_one_root ON accounts ((parent_id IS NULL)) WHERE parent_id IS NULL;
