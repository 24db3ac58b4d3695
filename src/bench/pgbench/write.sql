-- The service's write transaction for one option of a random project scope:
-- lock the scope, upsert the row, bump the version and record the change in the outbox.
\set id random(1, :scopes)
\set value random(1, 1000000000)
BEGIN;
SELECT version FROM option_scopes WHERE scope_key = 'project_options:' || :id FOR NO KEY UPDATE;
WITH upserted AS (
  INSERT INTO project_options (project_id, key, value) VALUES (:id, 'k1', to_jsonb(:value))
  ON CONFLICT (project_id, key) DO UPDATE SET value = excluded.value, updated_at = now()
), bumped AS (
  UPDATE option_scopes SET version = version + 1, updated_at = now() WHERE scope_key = 'project_options:' || :id
) INSERT INTO option_outbox (scope_key, version, keys, created_at) VALUES ('project_options:' || :id, 1, '["k1"]', clock_timestamp());
END;
