-- The service's one-statement save of one option of a random project scope (OptionManager.writeIfAt):
-- bump the version if it is still the one read, and only then upsert the row and insert the outbox
-- row and the history's entry (the value before, which the statement's snapshot still holds);
-- autocommitted. The version read first is the near cache's in the service, a SELECT here.
\set id random(1, :scopes)
\set value random(1, 1000000000)
SELECT version AS held FROM option_scopes WHERE scope_key = 'project_options:' || :id \gset
WITH bumped AS (
  UPDATE option_scopes SET version = :held + 1, updated_at = now()
  WHERE scope_key = 'project_options:' || :id AND version = :held RETURNING version
), upserted AS (
  INSERT INTO project_options (project_id, key, value)
  SELECT :id, 'k1', to_jsonb(:value) WHERE EXISTS (SELECT 1 FROM bumped)
  ON CONFLICT (project_id, key) DO UPDATE SET value = excluded.value, updated_at = now()
), recorded AS (
  INSERT INTO option_history (scope_key, version, at, actor, channel, changes)
  SELECT 'project_options:' || :id, bumped.version, clock_timestamp(), NULL, 'api',
         jsonb_build_array(jsonb_strip_nulls(jsonb_build_object('key', 'k1', 'old', (SELECT value FROM project_options WHERE project_id = :id AND key = 'k1'), 'new', to_jsonb(:value)))) FROM bumped
) INSERT INTO option_outbox (scope_key, version, keys, created_at)
SELECT 'project_options:' || :id, bumped.version, '["k1"]', clock_timestamp() FROM bumped;
