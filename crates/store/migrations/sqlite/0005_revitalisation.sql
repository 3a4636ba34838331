-- Stock-patent revitalisation (存量专利盘活, measure 1): inventory records and their review history, the
-- inventor accounts linked to patents, push campaigns, enterprise feedback, inquiries with their response
-- deadline, roadshows with registrations, one-on-one follow-up projects, and transfer deals.
--
-- Coverage (in scope, recorded, reviewed, pools, converted) is never stored: the store computes it from these
-- tables, the patents and the organisations (crates/store/src/revitalisation/*.sql). Dates without a time
-- (due dates, signing dates, event days) are local dates 'YYYY-MM-DD'; instants are RFC 3339 UTC text.

-- Which inventor accounts may fill in the records of which patents. A patent names its inventors as text;
-- an institution admin links the account of the person to each patent (the account's faculty also tells the
-- coverage report which faculty an unrecorded patent belongs to).
CREATE TABLE patent_inventor_users (
    patent_id     INTEGER NOT NULL CONSTRAINT patent_inventor_users_patent_fkey REFERENCES patents (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL CONSTRAINT patent_inventor_users_user_fkey REFERENCES users (id) ON DELETE CASCADE,
    -- The inventor's name as the patent writes it, when the link was made from it.
    inventor_name TEXT NOT NULL DEFAULT '',
    linked_by     TEXT NOT NULL,
    linked_at     TEXT NOT NULL,
    CONSTRAINT patent_inventor_users_pkey PRIMARY KEY (patent_id, user_id)
);
CREATE INDEX patent_inventor_users_user_idx ON patent_inventor_users (user_id);

-- 盘点记录: one per patent. org_id is the institution responsible (the patent's owner when the record was
-- created); faculty_id the faculty that reviews it (none: the institution reviews alone).
CREATE TABLE inventory_records (
    id                  INTEGER NOT NULL CONSTRAINT inventory_records_pkey PRIMARY KEY,
    patent_id           INTEGER NOT NULL CONSTRAINT inventory_records_patent_fkey REFERENCES patents (id),
    org_id              INTEGER NOT NULL CONSTRAINT inventory_records_org_fkey REFERENCES orgs (id),
    faculty_id          INTEGER CONSTRAINT inventory_records_faculty_fkey REFERENCES faculties (id),
    state               TEXT NOT NULL CONSTRAINT inventory_records_state_check CHECK (state IN
                          ('draft', 'submitted', 'faculty_approved', 'institution_approved', 'base_pool',
                           'transferable_pool')),
    transfer_intent     TEXT CONSTRAINT inventory_records_intent_check CHECK (transfer_intent IS NULL OR
                          transfer_intent IN ('assign', 'license', 'self_implement', 'none')),
    already_implemented INTEGER NOT NULL DEFAULT 0 CONSTRAINT inventory_records_implemented_check
                          CHECK (already_implemented IN (0, 1)),
    -- The institution's self-grade: a level of the policy's prospect scale.
    prospect_level      INTEGER CONSTRAINT inventory_records_prospect_check CHECK (prospect_level IS NULL OR
                          prospect_level BETWEEN 1 AND 99),
    problem_solved      TEXT NOT NULL DEFAULT '',
    advantage           TEXT NOT NULL DEFAULT '',
    trl                 INTEGER CONSTRAINT inventory_records_trl_check CHECK (trl IS NULL OR trl BETWEEN 1 AND 9),
    application_fields  TEXT NOT NULL DEFAULT '',
    route_to_market     TEXT NOT NULL DEFAULT '',
    price_min_fen       INTEGER CONSTRAINT inventory_records_price_min_check CHECK (price_min_fen IS NULL OR price_min_fen >= 0),
    price_max_fen       INTEGER CONSTRAINT inventory_records_price_max_check CHECK (price_max_fen IS NULL OR price_max_fen >= 0),
    contact_name        TEXT NOT NULL DEFAULT '',
    contact_phone       TEXT NOT NULL DEFAULT '',
    -- The chain the institution files it under (industry_chains.code by value, as demands do).
    chain_code          TEXT,
    source              TEXT NOT NULL DEFAULT 'form' CONSTRAINT inventory_records_source_check CHECK (source IN ('form', 'import')),
    filed_by_user_id    INTEGER CONSTRAINT inventory_records_filed_by_fkey REFERENCES users (id),
    filed_by_name       TEXT NOT NULL,
    -- The comment of the last review step (a return says what to change).
    last_comment        TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    state_changed_at    TEXT NOT NULL,
    submitted_at        TEXT,
    -- Entered the transferable pool (latest time).
    pooled_at           TEXT,
    CONSTRAINT inventory_records_price_range_check CHECK (
        price_min_fen IS NULL OR price_max_fen IS NULL OR price_min_fen <= price_max_fen)
);
CREATE UNIQUE INDEX inventory_records_patent_key ON inventory_records (patent_id);
CREATE INDEX inventory_records_org_idx ON inventory_records (org_id, state);
CREATE INDEX inventory_records_faculty_idx ON inventory_records (faculty_id, state);
CREATE INDEX inventory_records_state_idx ON inventory_records (state, state_changed_at);

-- Every step of a record: creation, edits and review steps, with who (in which capacity), from, to, comment.
CREATE TABLE review_events (
    id            INTEGER NOT NULL CONSTRAINT review_events_pkey PRIMARY KEY,
    record_id     INTEGER NOT NULL CONSTRAINT review_events_record_fkey REFERENCES inventory_records (id) ON DELETE CASCADE,
    at            TEXT NOT NULL,
    actor_user_id INTEGER,
    actor_name    TEXT NOT NULL,
    actor_org_id  INTEGER,
    actor_kind    TEXT CONSTRAINT review_events_actor_check CHECK (actor_kind IS NULL OR actor_kind IN
                    ('inventor', 'faculty_reviewer', 'institution_admin', 'bureau')),
    -- NULL for the creation.
    action        TEXT CONSTRAINT review_events_action_check CHECK (action IS NULL OR action IN
                    ('edit', 'edit_contact', 'submit', 'withdraw', 'approve', 'return_for_revision',
                     'add_to_base_pool', 'screen_into_pool', 'remove_from_pool')),
    from_state    TEXT,
    to_state      TEXT NOT NULL,
    comment       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX review_events_record_idx ON review_events (record_id, id);

-- 推送批次: the bureau pushes pool patents to enterprises together. Each push is a match record of origin
-- 'push' (the enterprise answers it there); campaign_items groups them. A push that met an open match record of
-- the same pair links that record instead of creating one (created_match = 0).
CREATE TABLE push_campaigns (
    id                 INTEGER NOT NULL CONSTRAINT push_campaigns_pkey PRIMARY KEY,
    title              TEXT NOT NULL CONSTRAINT push_campaigns_title_check CHECK (length(title) > 0),
    -- How the enterprises were chosen: the patent → enterprise matcher, a chain's members, or by hand.
    selection          TEXT NOT NULL CONSTRAINT push_campaigns_selection_check CHECK (selection IN ('matching', 'chain', 'manual')),
    chain_code         TEXT,
    note               TEXT NOT NULL DEFAULT '',
    created_by_user_id INTEGER CONSTRAINT push_campaigns_created_by_fkey REFERENCES users (id),
    created_by_name    TEXT NOT NULL,
    created_at         TEXT NOT NULL
);
CREATE INDEX push_campaigns_created_idx ON push_campaigns (created_at);

CREATE TABLE campaign_items (
    campaign_id   INTEGER NOT NULL CONSTRAINT campaign_items_campaign_fkey REFERENCES push_campaigns (id) ON DELETE CASCADE,
    match_id      INTEGER NOT NULL CONSTRAINT campaign_items_match_fkey REFERENCES match_records (id),
    created_match INTEGER NOT NULL DEFAULT 1 CONSTRAINT campaign_items_created_check CHECK (created_match IN (0, 1)),
    CONSTRAINT campaign_items_pkey PRIMARY KEY (campaign_id, match_id)
);
CREATE INDEX campaign_items_match_idx ON campaign_items (match_id);

-- 企业评价反馈 on a pool patent. An enterprise may give feedback again; its latest row counts for the tier.
CREATE TABLE pool_feedback (
    id                    INTEGER NOT NULL CONSTRAINT pool_feedback_pkey PRIMARY KEY,
    patent_id             INTEGER NOT NULL CONSTRAINT pool_feedback_patent_fkey REFERENCES patents (id),
    enterprise_org_id     INTEGER NOT NULL CONSTRAINT pool_feedback_enterprise_fkey REFERENCES orgs (id),
    -- The push or interest it answers, when there is one.
    match_id              INTEGER CONSTRAINT pool_feedback_match_fkey REFERENCES match_records (id),
    prospect              INTEGER NOT NULL CONSTRAINT pool_feedback_prospect_check CHECK (prospect BETWEEN 1 AND 5),
    improvement_needs     TEXT NOT NULL DEFAULT '',
    cooperation_intent    TEXT NOT NULL CONSTRAINT pool_feedback_intent_check CHECK (cooperation_intent IN ('strong', 'possible', 'none')),
    cooperation_mode      TEXT CONSTRAINT pool_feedback_mode_check CHECK (cooperation_mode IS NULL OR cooperation_mode IN
                            ('assignment', 'license', 'joint_development', 'consulting')),
    not_interested_reason TEXT CONSTRAINT pool_feedback_reason_check CHECK (not_interested_reason IS NULL OR
                            not_interested_reason IN ('too_early', 'benefit_unclear', 'route_unclear',
                                                      'description_unclear', 'price', 'other')),
    reason_text           TEXT NOT NULL DEFAULT '',
    by_user_id            INTEGER CONSTRAINT pool_feedback_by_fkey REFERENCES users (id),
    by_name               TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    -- A refusal carries its reason; an intent carries none.
    CONSTRAINT pool_feedback_reason_intent_check CHECK ((cooperation_intent = 'none') = (not_interested_reason IS NOT NULL))
);
CREATE INDEX pool_feedback_patent_idx ON pool_feedback (patent_id, enterprise_org_id, id);
CREATE INDEX pool_feedback_enterprise_idx ON pool_feedback (enterprise_org_id, created_at);

-- 企业咨询: due_on is fixed when the question is asked (N working days of the calendar then in force).
CREATE TABLE inquiries (
    id                  INTEGER NOT NULL CONSTRAINT inquiries_pkey PRIMARY KEY,
    patent_id           INTEGER NOT NULL CONSTRAINT inquiries_patent_fkey REFERENCES patents (id),
    enterprise_org_id   INTEGER NOT NULL CONSTRAINT inquiries_enterprise_fkey REFERENCES orgs (id),
    -- The institution that must answer (the patent's owner when asked).
    holder_org_id       INTEGER NOT NULL CONSTRAINT inquiries_holder_fkey REFERENCES orgs (id),
    match_id            INTEGER CONSTRAINT inquiries_match_fkey REFERENCES match_records (id),
    question            TEXT NOT NULL CONSTRAINT inquiries_question_check CHECK (length(question) > 0),
    asked_by_user_id    INTEGER CONSTRAINT inquiries_asked_by_fkey REFERENCES users (id),
    asked_by_name       TEXT NOT NULL,
    asked_at            TEXT NOT NULL,
    asked_on            TEXT NOT NULL,
    due_on              TEXT NOT NULL,
    state               TEXT NOT NULL DEFAULT 'open' CONSTRAINT inquiries_state_check CHECK (state IN ('open', 'answered', 'closed')),
    answer              TEXT NOT NULL DEFAULT '',
    answered_by_user_id INTEGER CONSTRAINT inquiries_answered_by_fkey REFERENCES users (id),
    answered_by_name    TEXT NOT NULL DEFAULT '',
    answered_at         TEXT,
    answered_on         TEXT,
    close_reason        TEXT NOT NULL DEFAULT '',
    closed_at           TEXT,
    CONSTRAINT inquiries_answered_check CHECK ((state = 'answered') = (answered_on IS NOT NULL)),
    CONSTRAINT inquiries_due_check CHECK (due_on >= asked_on)
);
CREATE INDEX inquiries_holder_idx ON inquiries (holder_org_id, state, due_on);
CREATE INDEX inquiries_open_due_idx ON inquiries (state, due_on);
CREATE INDEX inquiries_enterprise_idx ON inquiries (enterprise_org_id, asked_at);
CREATE INDEX inquiries_patent_idx ON inquiries (patent_id);

-- 路演.
CREATE TABLE roadshows (
    id                    INTEGER NOT NULL CONSTRAINT roadshows_pkey PRIMARY KEY,
    title                 TEXT NOT NULL CONSTRAINT roadshows_title_check CHECK (length(title) > 0),
    held_on               TEXT NOT NULL,
    mode                  TEXT NOT NULL CONSTRAINT roadshows_mode_check CHECK (mode IN ('onsite', 'online')),
    venue                 TEXT NOT NULL DEFAULT '',
    online_link           TEXT NOT NULL DEFAULT '',
    chain_code            TEXT,
    description           TEXT NOT NULL DEFAULT '',
    registration_deadline TEXT,
    status                TEXT NOT NULL DEFAULT 'planned' CONSTRAINT roadshows_status_check CHECK (status IN ('planned', 'held', 'cancelled')),
    created_by_user_id    INTEGER CONSTRAINT roadshows_created_by_fkey REFERENCES users (id),
    created_by_name       TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    CONSTRAINT roadshows_place_check CHECK ((mode = 'onsite' AND length(venue) > 0) OR (mode = 'online' AND length(online_link) > 0))
);
CREATE INDEX roadshows_held_idx ON roadshows (held_on);

-- The pool patents presented, in order.
CREATE TABLE roadshow_patents (
    roadshow_id INTEGER NOT NULL CONSTRAINT roadshow_patents_roadshow_fkey REFERENCES roadshows (id) ON DELETE CASCADE,
    patent_id   INTEGER NOT NULL CONSTRAINT roadshow_patents_patent_fkey REFERENCES patents (id),
    position    INTEGER NOT NULL,
    CONSTRAINT roadshow_patents_pkey PRIMARY KEY (roadshow_id, patent_id)
);
CREATE INDEX roadshow_patents_patent_idx ON roadshow_patents (patent_id);

-- 路演报名: one live registration per enterprise and roadshow (a cancelled one may be renewed).
CREATE TABLE roadshow_registrations (
    id                    INTEGER NOT NULL CONSTRAINT roadshow_registrations_pkey PRIMARY KEY,
    roadshow_id           INTEGER NOT NULL CONSTRAINT roadshow_registrations_roadshow_fkey REFERENCES roadshows (id) ON DELETE CASCADE,
    enterprise_org_id     INTEGER NOT NULL CONSTRAINT roadshow_registrations_enterprise_fkey REFERENCES orgs (id),
    contact_name          TEXT NOT NULL,
    contact_phone         TEXT NOT NULL,
    attendees             INTEGER NOT NULL CONSTRAINT roadshow_registrations_attendees_check CHECK (attendees >= 1),
    note                  TEXT NOT NULL DEFAULT '',
    registered_by_user_id INTEGER CONSTRAINT roadshow_registrations_by_fkey REFERENCES users (id),
    registered_by_name    TEXT NOT NULL,
    registered_at         TEXT NOT NULL,
    cancelled_at          TEXT,
    -- Recorded after the event: NULL until then.
    attended              INTEGER CONSTRAINT roadshow_registrations_attended_check CHECK (attended IS NULL OR attended IN (0, 1))
);
CREATE UNIQUE INDEX roadshow_registrations_live_key ON roadshow_registrations (roadshow_id, enterprise_org_id)
    WHERE cancelled_at IS NULL;
CREATE INDEX roadshow_registrations_enterprise_idx ON roadshow_registrations (enterprise_org_id);

-- 转化交易. holder_org_id is the organisation whose patents they are (transferor, licensor, contributor or
-- implementer): coverage attributes the deal and its amount to it. A cancelled deal no longer converts.
-- open_license_id is reserved for the open-licence declaration a licence is taken under (licensing module, a
-- later migration adds its table); revenue-sharing rows will reference deals(id).
CREATE TABLE deals (
    id                  INTEGER NOT NULL CONSTRAINT deals_pkey PRIMARY KEY,
    kind                TEXT NOT NULL CONSTRAINT deals_kind_check CHECK (kind IN
                          ('assignment', 'license', 'equity_contribution', 'self_implementation')),
    status              TEXT NOT NULL DEFAULT 'effective' CONSTRAINT deals_status_check CHECK (status IN ('effective', 'cancelled')),
    holder_org_id       INTEGER NOT NULL CONSTRAINT deals_holder_fkey REFERENCES orgs (id),
    amount_fen          INTEGER NOT NULL DEFAULT 0 CONSTRAINT deals_amount_check CHECK (amount_fen >= 0),
    royalty_bp          INTEGER CONSTRAINT deals_royalty_check CHECK (royalty_bp IS NULL OR royalty_bp BETWEEN 1 AND 10000),
    signed_on           TEXT NOT NULL,
    effective_from      TEXT,
    effective_to        TEXT,
    contract_no         TEXT NOT NULL DEFAULT '',
    license_scope       TEXT CONSTRAINT deals_license_scope_check CHECK (license_scope IS NULL OR
                          license_scope IN ('exclusive', 'sole', 'ordinary')),
    filing_status       TEXT NOT NULL CONSTRAINT deals_filing_status_check CHECK (filing_status IN ('not_required', 'pending', 'filed')),
    filed_on            TEXT,
    filing_no           TEXT NOT NULL DEFAULT '',
    source              TEXT NOT NULL DEFAULT 'direct' CONSTRAINT deals_source_check CHECK (source IN
                          ('direct', 'match', 'roadshow', 'open_license')),
    match_id            INTEGER CONSTRAINT deals_match_fkey REFERENCES match_records (id),
    roadshow_id         INTEGER CONSTRAINT deals_roadshow_fkey REFERENCES roadshows (id),
    open_license_id     INTEGER,
    note                TEXT NOT NULL DEFAULT '',
    recorded_by_user_id INTEGER CONSTRAINT deals_recorded_by_fkey REFERENCES users (id),
    recorded_by_name    TEXT NOT NULL,
    recorded_by_org_id  INTEGER CONSTRAINT deals_recorded_by_org_fkey REFERENCES orgs (id),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    cancelled_at        TEXT,
    cancel_reason       TEXT NOT NULL DEFAULT '',
    CONSTRAINT deals_license_scope_kind_check CHECK ((kind = 'license') = (license_scope IS NOT NULL)),
    CONSTRAINT deals_term_check CHECK (effective_from IS NULL OR effective_to IS NULL OR effective_from <= effective_to),
    CONSTRAINT deals_filed_check CHECK ((filing_status = 'filed') = (filed_on IS NOT NULL)),
    CONSTRAINT deals_cancelled_check CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
CREATE INDEX deals_holder_idx ON deals (holder_org_id, status, signed_on);
CREATE INDEX deals_signed_idx ON deals (signed_on);
CREATE INDEX deals_match_idx ON deals (match_id);

CREATE TABLE deal_patents (
    deal_id   INTEGER NOT NULL CONSTRAINT deal_patents_deal_fkey REFERENCES deals (id) ON DELETE CASCADE,
    patent_id INTEGER NOT NULL CONSTRAINT deal_patents_patent_fkey REFERENCES patents (id),
    CONSTRAINT deal_patents_pkey PRIMARY KEY (deal_id, patent_id)
);
CREATE INDEX deal_patents_patent_idx ON deal_patents (patent_id);

-- The parties besides the holder organisation itself (counterparties, co-owners), in contract order.
CREATE TABLE deal_parties (
    deal_id     INTEGER NOT NULL CONSTRAINT deal_parties_deal_fkey REFERENCES deals (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    role        TEXT NOT NULL CONSTRAINT deal_parties_role_check CHECK (role IN ('holder', 'counterparty')),
    org_id      INTEGER CONSTRAINT deal_parties_org_fkey REFERENCES orgs (id),
    name        TEXT NOT NULL CONSTRAINT deal_parties_name_check CHECK (length(name) > 0),
    credit_code TEXT CONSTRAINT deal_parties_credit_code_check CHECK (credit_code IS NULL OR length(credit_code) = 18),
    CONSTRAINT deal_parties_pkey PRIMARY KEY (deal_id, position)
);
CREATE INDEX deal_parties_org_idx ON deal_parties (org_id);

-- 一对一跟踪项目: one patent and one enterprise, from a roadshow or a match record, followed until a deal or a
-- reasoned close. One open project per pair.
CREATE TABLE follow_up_projects (
    id                 INTEGER NOT NULL CONSTRAINT follow_up_projects_pkey PRIMARY KEY,
    patent_id          INTEGER NOT NULL CONSTRAINT follow_up_projects_patent_fkey REFERENCES patents (id),
    enterprise_org_id  INTEGER NOT NULL CONSTRAINT follow_up_projects_enterprise_fkey REFERENCES orgs (id),
    holder_org_id      INTEGER CONSTRAINT follow_up_projects_holder_fkey REFERENCES orgs (id),
    roadshow_id        INTEGER CONSTRAINT follow_up_projects_roadshow_fkey REFERENCES roadshows (id),
    match_id           INTEGER CONSTRAINT follow_up_projects_match_fkey REFERENCES match_records (id),
    state              TEXT NOT NULL DEFAULT 'open' CONSTRAINT follow_up_projects_state_check CHECK (state IN ('open', 'deal', 'closed')),
    close_reason       TEXT NOT NULL DEFAULT '',
    deal_id            INTEGER CONSTRAINT follow_up_projects_deal_fkey REFERENCES deals (id),
    created_by_user_id INTEGER CONSTRAINT follow_up_projects_created_by_fkey REFERENCES users (id),
    created_by_name    TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    ended_at           TEXT,
    CONSTRAINT follow_up_projects_closed_check CHECK (state <> 'closed' OR length(close_reason) > 0),
    CONSTRAINT follow_up_projects_ended_check CHECK ((state = 'open') = (ended_at IS NULL))
);
CREATE UNIQUE INDEX follow_up_projects_open_key ON follow_up_projects (patent_id, enterprise_org_id)
    WHERE state = 'open';
CREATE INDEX follow_up_projects_roadshow_idx ON follow_up_projects (roadshow_id);
CREATE INDEX follow_up_projects_holder_idx ON follow_up_projects (holder_org_id, state);
CREATE INDEX follow_up_projects_enterprise_idx ON follow_up_projects (enterprise_org_id, state);

-- The log: who (the recording account), when, with whom, what, next step, outcome.
CREATE TABLE follow_ups (
    id           INTEGER NOT NULL CONSTRAINT follow_ups_pkey PRIMARY KEY,
    project_id   INTEGER NOT NULL CONSTRAINT follow_ups_project_fkey REFERENCES follow_up_projects (id) ON DELETE CASCADE,
    happened_on  TEXT NOT NULL,
    by_user_id   INTEGER CONSTRAINT follow_ups_by_fkey REFERENCES users (id),
    by_name      TEXT NOT NULL,
    by_org_id    INTEGER CONSTRAINT follow_ups_by_org_fkey REFERENCES orgs (id),
    contact      TEXT NOT NULL DEFAULT '',
    content      TEXT NOT NULL CONSTRAINT follow_ups_content_check CHECK (length(content) > 0),
    next_step    TEXT NOT NULL DEFAULT '',
    next_on      TEXT,
    outcome      TEXT NOT NULL CONSTRAINT follow_ups_outcome_check CHECK (outcome IN ('continuing', 'deal', 'closed')),
    close_reason TEXT NOT NULL DEFAULT '',
    recorded_at  TEXT NOT NULL,
    CONSTRAINT follow_ups_closed_check CHECK (outcome <> 'closed' OR length(close_reason) > 0)
);
CREATE INDEX follow_ups_project_idx ON follow_ups (project_id, id);

-- The search index will carry a patent's pool status and whether it is converted: a record's state and the
-- deals touching a patent reach the outbox in the same transaction, as patent changes do (0004).
CREATE TRIGGER inventory_records_search_insert AFTER INSERT ON inventory_records
BEGIN
    INSERT INTO search_outbox (patent_id) VALUES (NEW.patent_id);
END;

CREATE TRIGGER inventory_records_search_update AFTER UPDATE OF state, transfer_intent, trl, chain_code, patent_id
    ON inventory_records
BEGIN
    INSERT INTO search_outbox (patent_id) VALUES (NEW.patent_id);
END;

CREATE TRIGGER inventory_records_search_delete AFTER DELETE ON inventory_records
BEGIN
    INSERT INTO search_outbox (patent_id) VALUES (OLD.patent_id);
END;

CREATE TRIGGER deal_patents_search_insert AFTER INSERT ON deal_patents
BEGIN
    INSERT INTO search_outbox (patent_id) VALUES (NEW.patent_id);
END;

CREATE TRIGGER deal_patents_search_delete AFTER DELETE ON deal_patents
BEGIN
    INSERT INTO search_outbox (patent_id) VALUES (OLD.patent_id);
END;

CREATE TRIGGER deals_search_update AFTER UPDATE OF status, kind ON deals
BEGIN
    INSERT INTO search_outbox (patent_id) SELECT patent_id FROM deal_patents WHERE deal_id = NEW.id;
END;
