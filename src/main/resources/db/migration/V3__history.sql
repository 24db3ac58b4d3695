-- Every committed change of a scope, written by the change's own statement (so in its transaction):
-- who made it (the token's subject, NULL when authentication is off), through which channel, and each
-- key's value before and after ({"key": k, "old": v, "new": v}; "old" absent when the key was not
-- stored, "new" absent when the change unset it; locks as {"key": k, "lock": true|false}, a move as
-- {"organization": {"old": o, "new": o}}). Kept options.history.retention, and the last
-- options.history.min-versions versions of every scope whatever their age.
CREATE TABLE option_history (
    scope_key text        NOT NULL,
    version   bigint      NOT NULL CHECK (version > 0),
    at        timestamptz NOT NULL,
    actor     text,
    channel   text        NOT NULL CHECK (channel IN ('api', 'revert', 'migration', 'lock')),
    changes   jsonb       NOT NULL CHECK (jsonb_typeof(changes) = 'array'),
    PRIMARY KEY (scope_key, version)
);

CREATE INDEX option_history_at ON option_history (at);
