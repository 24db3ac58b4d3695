-- The service's write transaction for one option of a random project scope, as it is since the
-- history: lock the scope, upsert the row, bump the version, record the change in the outbox and in
-- the history (with the value before, which the statement's snapshot still holds).
\set id random(1, :scopes)
\set value random(1, 1000000000)
BEGIN;
SELECT version AS held FROM option_scopes WHERE scope_key = 'project_options:' || :id FOR NO KEY UPDATE \gset
WITH upserted AS (
  INSERT INTO project_options (project_id, key, value) VALUES (:id, 'k1', to_jsonb(:value))
  ON CONFLICT (project_id, key) DO UPDATE SET value = excluded.value, updated_at = now()
), bumped AS (
  UPDATE option_scopes SET version = :held + 1, updated_at = now() WHERE scope_key = 'project_options:' || :id RETURNING version
), recorded AS (
  INSERT INTO option_history (scope_key, version, at, actor, channel, changes)
  SELECT 'project_options:' || :id, bumped.version, clock_timestamp(), NULL, 'api',
         jsonb_build_array(jsonb_strip_nulls(jsonb_build_object('key', 'k1', 'old', (SELECT value FROM project_options WHERE project_id = :id AND key = 'k1'), 'new', to_jsonb(:value)))) FROM bumped
) INSERT INTO option_outbox (scope_key, version, keys, created_at) SELECT 'project_options:' || :id, bumped.version, '["k1"]', clock_timestamp() FROM bumped;
END;
