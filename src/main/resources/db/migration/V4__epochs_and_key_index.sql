-- A scope's epoch of defaults: fixed at its first write to the registry's current epoch (the save's
-- statement sets it when NULL), moved forward only by PUT {scope}/epoch. NULL while a scope was
-- never written (a row created at version 0 to be locked or shared): the current epoch applies.
-- Scopes written before epochs existed were written under the registry's first epoch, 1.
ALTER TABLE option_scopes ADD COLUMN epoch integer CHECK (epoch > 0);
UPDATE option_scopes SET epoch = 1 WHERE version > 0;

-- The rows of one key across all scopes, found by an index rather than a scan of values: what the
-- migration of a renamed key (rows of its old names), its progress and a default's impact ask for.
CREATE INDEX organization_options_key ON organization_options (key);
CREATE INDEX project_options_key ON project_options (key);
CREATE INDEX user_options_key ON user_options (key);
