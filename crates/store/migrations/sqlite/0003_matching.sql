-- Matchmaking: enterprise technology demands, match records with their history, in-app notifications, and
-- the enterprise technology profile inputs (business scope, chains) the search engine builds profiles from.

-- What an enterprise says it does and which key chains it belongs to (a JSON array of chain codes).
ALTER TABLE orgs ADD COLUMN business_scope TEXT NOT NULL DEFAULT '';
ALTER TABLE orgs ADD COLUMN chain_codes TEXT NOT NULL DEFAULT '[]';

-- 企业技术需求. org_id is the enterprise whose need it is; posted_by_org_id is who typed it in (the enterprise
-- itself, an agency on its behalf, or the bureau). chain_code refers to industry_chains.code by value: chain
-- codes never change once created, and a deactivated chain must not orphan old demands.
CREATE TABLE demands (
    id                INTEGER NOT NULL CONSTRAINT demands_pkey PRIMARY KEY,
    org_id            INTEGER NOT NULL CONSTRAINT demands_org_fkey REFERENCES orgs (id),
    posted_by_user_id INTEGER CONSTRAINT demands_posted_by_user_fkey REFERENCES users (id),
    posted_by_name    TEXT NOT NULL,
    posted_by_org_id  INTEGER CONSTRAINT demands_posted_by_org_fkey REFERENCES orgs (id),
    title             TEXT NOT NULL CONSTRAINT demands_title_check CHECK (length(title) > 0),
    description       TEXT NOT NULL,
    chain_code        TEXT,
    -- IPC symbols as a JSON array of canonical strings.
    ipc_codes         TEXT NOT NULL DEFAULT '[]',
    cooperation_mode  TEXT NOT NULL CONSTRAINT demands_mode_check CHECK (cooperation_mode IN
                        ('assignment', 'license', 'joint_development', 'consulting')),
    budget_min_fen    INTEGER CONSTRAINT demands_budget_min_check CHECK (budget_min_fen IS NULL OR budget_min_fen >= 0),
    budget_max_fen    INTEGER CONSTRAINT demands_budget_max_check CHECK (budget_max_fen IS NULL OR budget_max_fen >= 0),
    deadline          TEXT,
    contact_name      TEXT NOT NULL,
    contact_phone     TEXT NOT NULL,
    status            TEXT NOT NULL CONSTRAINT demands_status_check CHECK (status IN
                        ('draft', 'submitted', 'published', 'returned', 'closed')),
    -- The reason given with the last return or close.
    status_reason     TEXT NOT NULL DEFAULT '',
    source            TEXT NOT NULL DEFAULT 'form' CONSTRAINT demands_source_check CHECK (source IN ('form', 'import')),
    -- Normalised title (full-width folded, whitespace removed) to recognise a re-imported row.
    title_normalised  TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    submitted_at      TEXT,
    published_at      TEXT,
    closed_at         TEXT,
    CONSTRAINT demands_budget_range_check CHECK (
        budget_min_fen IS NULL OR budget_max_fen IS NULL OR budget_min_fen <= budget_max_fen)
);
CREATE INDEX demands_org_idx ON demands (org_id, status);
CREATE INDEX demands_posted_by_org_idx ON demands (posted_by_org_id, status);
CREATE INDEX demands_status_idx ON demands (status, updated_at);
CREATE INDEX demands_title_idx ON demands (org_id, title_normalised);

-- The review history of a demand: every status change with who, when and why.
CREATE TABLE demand_events (
    id            INTEGER NOT NULL CONSTRAINT demand_events_pkey PRIMARY KEY,
    demand_id     INTEGER NOT NULL CONSTRAINT demand_events_demand_fkey REFERENCES demands (id) ON DELETE CASCADE,
    at            TEXT NOT NULL,
    actor_user_id INTEGER,
    actor_name    TEXT NOT NULL,
    actor_org_id  INTEGER,
    action        TEXT NOT NULL CONSTRAINT demand_events_action_check CHECK (action IN
                    ('create', 'edit', 'edit_contact', 'submit', 'publish', 'return', 'close')),
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX demand_events_demand_idx ON demand_events (demand_id, id);

-- 匹配记录. holder_org_id is the patent's owner organisation when the match was saved (it may be unlinked).
-- explanation is the search engine's reasons as given (JSON), never interpreted here.
CREATE TABLE match_records (
    id                    INTEGER NOT NULL CONSTRAINT match_records_pkey PRIMARY KEY,
    patent_id             INTEGER NOT NULL CONSTRAINT match_records_patent_fkey REFERENCES patents (id),
    enterprise_org_id     INTEGER NOT NULL CONSTRAINT match_records_enterprise_fkey REFERENCES orgs (id),
    demand_id             INTEGER CONSTRAINT match_records_demand_fkey REFERENCES demands (id),
    holder_org_id         INTEGER CONSTRAINT match_records_holder_fkey REFERENCES orgs (id),
    origin                TEXT NOT NULL CONSTRAINT match_records_origin_check CHECK (origin IN
                            ('demand_match', 'push', 'enterprise_interest', 'manual')),
    score                 REAL NOT NULL DEFAULT 0,
    explanation           TEXT NOT NULL DEFAULT 'null',
    state                 TEXT NOT NULL CONSTRAINT match_records_state_check CHECK (state IN
                            ('proposed', 'viewed', 'interested', 'not_interested', 'in_contact', 'negotiating',
                             'deal', 'closed')),
    not_interested_reason TEXT CONSTRAINT match_records_reason_check CHECK (not_interested_reason IS NULL OR
                            not_interested_reason IN ('too_early', 'benefit_unclear', 'route_unclear',
                                                      'description_unclear', 'price', 'other')),
    feedback_text         TEXT NOT NULL DEFAULT '',
    created_by_user_id    INTEGER CONSTRAINT match_records_created_by_fkey REFERENCES users (id),
    created_by_name       TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    state_changed_at      TEXT NOT NULL
);
-- One open record per patent and enterprise: saving again returns it. A deal or a closed record leaves the
-- index, so the pair can be matched afresh later.
CREATE UNIQUE INDEX match_records_open_key ON match_records (patent_id, enterprise_org_id)
    WHERE state NOT IN ('deal', 'closed');
CREATE INDEX match_records_enterprise_idx ON match_records (enterprise_org_id, state_changed_at);
CREATE INDEX match_records_holder_idx ON match_records (holder_org_id, state_changed_at);
CREATE INDEX match_records_state_idx ON match_records (state, state_changed_at);
CREATE INDEX match_records_demand_idx ON match_records (demand_id);
CREATE INDEX match_records_patent_idx ON match_records (patent_id);

-- Every state change of a match record: who (and as which side), when, from, to, and the note.
CREATE TABLE match_events (
    id            INTEGER NOT NULL CONSTRAINT match_events_pkey PRIMARY KEY,
    match_id      INTEGER NOT NULL CONSTRAINT match_events_match_fkey REFERENCES match_records (id) ON DELETE CASCADE,
    at            TEXT NOT NULL,
    actor_user_id INTEGER,
    actor_name    TEXT NOT NULL,
    actor_org_id  INTEGER,
    side          TEXT CONSTRAINT match_events_side_check CHECK (side IS NULL OR side IN ('enterprise', 'holder', 'bureau')),
    from_state    TEXT,
    to_state      TEXT NOT NULL,
    reason        TEXT,
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX match_events_match_idx ON match_events (match_id, id);

-- 站内通知, addressed to an organisation (every member sees it) or to one account of it; each account marks
-- it read for itself in notification_reads.
CREATE TABLE notifications (
    id                INTEGER NOT NULL CONSTRAINT notifications_pkey PRIMARY KEY,
    recipient_org_id  INTEGER NOT NULL CONSTRAINT notifications_org_fkey REFERENCES orgs (id),
    recipient_user_id INTEGER CONSTRAINT notifications_user_fkey REFERENCES users (id),
    kind              TEXT NOT NULL,
    title             TEXT NOT NULL,
    body              TEXT NOT NULL DEFAULT '',
    link              TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL
);
CREATE INDEX notifications_org_idx ON notifications (recipient_org_id, id);

CREATE TABLE notification_reads (
    notification_id INTEGER NOT NULL CONSTRAINT notification_reads_notification_fkey
                      REFERENCES notifications (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL CONSTRAINT notification_reads_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    read_at         TEXT NOT NULL,
    CONSTRAINT notification_reads_pkey PRIMARY KEY (notification_id, user_id)
);
CREATE INDEX notification_reads_user_idx ON notification_reads (user_id);
