-- The batched shape of the service's one-statement save (OptionManager.writeIfAt through
-- GroupedSaves, ScopeSql.writeManyIfAt): sixteen random project scopes saved by one autocommitted
-- statement, each bumping its version and upserting one option, with its history entry and outbox
-- row. Sixteen writes per transaction: the writes a second are tps x 16. (The service's statement
-- also checks each scope's version and the locks above it; a version is not read first here.)
\set id0 random(1, :scopes)
\set v0 random(1, 1000000000)
\set id1 random(1, :scopes)
\set v1 random(1, 1000000000)
\set id2 random(1, :scopes)
\set v2 random(1, 1000000000)
\set id3 random(1, :scopes)
\set v3 random(1, 1000000000)
\set id4 random(1, :scopes)
\set v4 random(1, 1000000000)
\set id5 random(1, :scopes)
\set v5 random(1, 1000000000)
\set id6 random(1, :scopes)
\set v6 random(1, 1000000000)
\set id7 random(1, :scopes)
\set v7 random(1, 1000000000)
\set id8 random(1, :scopes)
\set v8 random(1, 1000000000)
\set id9 random(1, :scopes)
\set v9 random(1, 1000000000)
\set id10 random(1, :scopes)
\set v10 random(1, 1000000000)
\set id11 random(1, :scopes)
\set v11 random(1, 1000000000)
\set id12 random(1, :scopes)
\set v12 random(1, 1000000000)
\set id13 random(1, :scopes)
\set v13 random(1, 1000000000)
\set id14 random(1, :scopes)
\set v14 random(1, 1000000000)
\set id15 random(1, :scopes)
\set v15 random(1, 1000000000)
WITH m AS (SELECT DISTINCT ON (id) id, v FROM unnest(ARRAY[:id0, :id1, :id2, :id3, :id4, :id5, :id6, :id7, :id8, :id9, :id10, :id11, :id12, :id13, :id14, :id15]::bigint[], ARRAY[:v0, :v1, :v2, :v3, :v4, :v5, :v6, :v7, :v8, :v9, :v10, :v11, :v12, :v13, :v14, :v15]::bigint[]) AS m(id, v) ORDER BY id),
bumped AS (UPDATE option_scopes s SET version = s.version + 1, updated_at = now() FROM m WHERE s.scope_key = 'project_options:' || m.id RETURNING m.id, m.v, s.version),
upserted AS (INSERT INTO project_options (project_id, key, value) SELECT id, 'k1', to_jsonb(v) FROM bumped ON CONFLICT (project_id, key) DO UPDATE SET value = excluded.value, updated_at = now()),
recorded AS (INSERT INTO option_history (scope_key, version, at, actor, channel, changes) SELECT 'project_options:' || b.id, b.version, clock_timestamp(), NULL, 'api', jsonb_build_array(jsonb_build_object('key', 'k1', 'old', o.value, 'new', to_jsonb(b.v))) FROM bumped b LEFT JOIN project_options o ON o.project_id = b.id AND o.key = 'k1')
INSERT INTO option_outbox (scope_key, version, keys, created_at) SELECT 'project_options:' || id, version, '["k1"]', clock_timestamp() FROM bumped;
