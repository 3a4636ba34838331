-- Foundation: settings, organisations, faculties, accounts, sessions, audit log, industry chains.
-- Times are RFC 3339 UTC text with microseconds ("2026-11-26T08:00:00.123456Z"), which sorts and compares
-- as text and is understood by SQLite's date functions.

CREATE TABLE settings (
    key   TEXT NOT NULL CONSTRAINT settings_pkey PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE orgs (
    id               INTEGER NOT NULL CONSTRAINT orgs_pkey PRIMARY KEY,
    kind             TEXT NOT NULL CONSTRAINT orgs_kind_check CHECK (kind IN
                       ('bureau', 'department', 'county', 'institution', 'enterprise', 'lender', 'insurer', 'agency')),
    institution_kind TEXT CONSTRAINT orgs_institution_kind_check CHECK (
                       (kind = 'institution' AND institution_kind IN ('university', 'institute', 'hospital'))
                       OR (kind <> 'institution' AND institution_kind IS NULL)),
    name             TEXT NOT NULL CONSTRAINT orgs_name_check CHECK (length(name) > 0),
    name_normalised  TEXT NOT NULL,
    credit_code      TEXT CONSTRAINT orgs_credit_code_check CHECK (credit_code IS NULL OR length(credit_code) = 18),
    county_code      TEXT,
    department_code  TEXT,
    contact_name     TEXT NOT NULL DEFAULT '',
    address          TEXT NOT NULL DEFAULT '',
    active           INTEGER NOT NULL DEFAULT 1 CONSTRAINT orgs_active_check CHECK (active IN (0, 1)),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX orgs_name_key ON orgs (name_normalised);
CREATE UNIQUE INDEX orgs_credit_code_key ON orgs (credit_code) WHERE credit_code IS NOT NULL;
CREATE INDEX orgs_kind_idx ON orgs (kind, name);

CREATE TABLE faculties (
    id     INTEGER NOT NULL CONSTRAINT faculties_pkey PRIMARY KEY,
    org_id INTEGER NOT NULL CONSTRAINT faculties_org_fkey REFERENCES orgs (id),
    name   TEXT NOT NULL CONSTRAINT faculties_name_check CHECK (length(name) > 0)
);
CREATE UNIQUE INDEX faculties_org_name_key ON faculties (org_id, name);

CREATE TABLE users (
    id                   INTEGER NOT NULL CONSTRAINT users_pkey PRIMARY KEY,
    username             TEXT NOT NULL,
    display_name         TEXT NOT NULL,
    org_id               INTEGER NOT NULL CONSTRAINT users_org_fkey REFERENCES orgs (id),
    faculty_id           INTEGER CONSTRAINT users_faculty_fkey REFERENCES faculties (id),
    password_hash        TEXT NOT NULL,
    password_changed_at  TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 1,
    failed_attempts      INTEGER NOT NULL DEFAULT 0,
    locked_until         TEXT,
    totp_secret          TEXT,
    -- The last accepted TOTP time step: a code is accepted once (RFC 6238 §5.2).
    totp_last_step       INTEGER,
    disabled             INTEGER NOT NULL DEFAULT 0,
    last_login_at        TEXT,
    last_login_ip        TEXT,
    is_demo              INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (username);
CREATE INDEX users_org_idx ON users (org_id);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL CONSTRAINT user_roles_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    role    TEXT NOT NULL CONSTRAINT user_roles_role_check CHECK (role IN
              ('system_admin', 'security_admin', 'audit_admin', 'bureau_officer', 'bureau_leader',
               'department_officer', 'county_officer', 'institution_admin', 'faculty_reviewer', 'inventor',
               'enterprise_user', 'lender_user', 'insurer_user', 'agency_user')),
    CONSTRAINT user_roles_pkey PRIMARY KEY (user_id, role)
);

-- Only the SM3 hash of a session token is stored, so a copy of the database cannot be used to log in.
CREATE TABLE sessions (
    token_hash   TEXT NOT NULL CONSTRAINT sessions_pkey PRIMARY KEY,
    user_id      INTEGER NOT NULL CONSTRAINT sessions_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ip           TEXT NOT NULL,
    -- 1 while the password is verified but the second factor is not yet.
    totp_pending INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE audit_log (
    seq         INTEGER NOT NULL CONSTRAINT audit_log_pkey PRIMARY KEY,
    at          TEXT NOT NULL,
    actor_id    INTEGER,
    actor_name  TEXT NOT NULL,
    org_id      INTEGER,
    ip          TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    outcome     TEXT NOT NULL CONSTRAINT audit_log_outcome_check CHECK (outcome IN ('success', 'denied', 'failure')),
    request_id  TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_name, at);
CREATE INDEX audit_log_action_idx ON audit_log (action, at);

-- Append-only: records are never rewritten, and none younger than the 180-day retention may be deleted.
-- The hash chain catches whoever drops these triggers first.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_retention BEFORE DELETE ON audit_log
WHEN julianday(OLD.at) > julianday('now') - 180
BEGIN
    SELECT RAISE(ABORT, 'audit records younger than 180 days cannot be deleted');
END;

-- The city's key industry chains: seeded from the policy file, then edited by the bureau.
CREATE TABLE industry_chains (
    id           INTEGER NOT NULL CONSTRAINT industry_chains_pkey PRIMARY KEY,
    code         TEXT NOT NULL,
    name         TEXT NOT NULL CONSTRAINT industry_chains_name_check CHECK (length(name) > 0),
    ipc_prefixes TEXT NOT NULL DEFAULT '[]',
    keywords     TEXT NOT NULL DEFAULT '[]',
    sort_order   INTEGER NOT NULL DEFAULT 0,
    active       INTEGER NOT NULL DEFAULT 1,
    updated_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX industry_chains_code_key ON industry_chains (code);
CREATE UNIQUE INDEX industry_chains_name_key ON industry_chains (name);
