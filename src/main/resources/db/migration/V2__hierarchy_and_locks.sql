-- A scope's state beside its options, versioned with them (every change of it bumps
-- option_scopes.version and writes an outbox row in the same statement, as an option's does):
--   organization_id: the organization a project belongs to (project scopes only; NULL until registered);
--   locks:           the keys this scope enforces on the scopes below it (organizations and projects).
ALTER TABLE option_scopes
    ADD COLUMN organization_id bigint CHECK (organization_id > 0),
    ADD COLUMN locks jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(locks) = 'array');
