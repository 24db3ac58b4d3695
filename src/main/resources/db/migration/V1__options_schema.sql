-- The scopes' versions, and the row a writer locks to serialize the writers of one scope
-- (even when they add brand-new keys, which have no row of their own to lock yet).
CREATE TABLE option_scopes (
    scope_key  text        PRIMARY KEY,
    version    bigint      NOT NULL DEFAULT 0 CHECK (version >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organization_options (
    organization_id bigint       NOT NULL CHECK (organization_id > 0),
    key             varchar(255) NOT NULL CHECK (key ~ '^[A-Za-z0-9_.:-]{1,255}$'),
    value           jsonb        NOT NULL CHECK (jsonb_typeof(value) <> 'null'),
    updated_at      timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, key)
);

CREATE TABLE project_options (
    project_id bigint       NOT NULL CHECK (project_id > 0),
    key        varchar(255) NOT NULL CHECK (key ~ '^[A-Za-z0-9_.:-]{1,255}$'),
    value      jsonb        NOT NULL CHECK (jsonb_typeof(value) <> 'null'),
    updated_at timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, key)
);

-- A user's options, optionally narrowed to one project or one organization (never both).
-- NULLS NOT DISTINCT makes the uniqueness hold for the NULL narrowing columns too, which a plain
-- UNIQUE constraint does not (Sentry's "the NULL UNIQUE constraint here isn't valid").
CREATE TABLE user_options (
    id              bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         bigint       NOT NULL CHECK (user_id > 0),
    project_id      bigint       CHECK (project_id > 0),
    organization_id bigint       CHECK (organization_id > 0),
    key             varchar(255) NOT NULL CHECK (key ~ '^[A-Za-z0-9_.:-]{1,255}$'),
    value           jsonb        NOT NULL CHECK (jsonb_typeof(value) <> 'null'),
    updated_at      timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT user_options_one_narrowing CHECK (project_id IS NULL OR organization_id IS NULL),
    CONSTRAINT user_options_scope_key_unique UNIQUE NULLS NOT DISTINCT (user_id, project_id, organization_id, key)
);

-- One row per committed change, written in the change's own transaction, so that no committed
-- change can go unpublished: whatever is here has not been delivered to the invalidation feed yet.
CREATE TABLE option_outbox (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope_key  text        NOT NULL,
    version    bigint      NOT NULL CHECK (version > 0),
    keys       jsonb       NOT NULL CHECK (jsonb_typeof(keys) = 'array'),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX option_outbox_scope_key ON option_outbox (scope_key, version);
