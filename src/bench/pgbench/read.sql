-- The service's cache-miss read of one project scope: its version and rows in one statement.
\set id random(1, :scopes)
SELECT s.version, o.key, o.value::text
FROM (SELECT coalesce((SELECT version FROM option_scopes WHERE scope_key = 'project_options:' || :id), 0) AS version) s
LEFT JOIN project_options o ON o.project_id = :id ORDER BY o.key;
