-- Indicators against the city's targets (measure 2): which patents are the city's and which county's, which
-- chains they belong to, which high-value criteria hold, the statistics that are not patent-level data
-- (trademarks, geographical-indication users, patent-intensive industries), the awards the bureau records,
-- the aggregates the dashboards read and the monthly snapshots behind the trend charts.
--
-- patent_facts, patent_chain_links and indicator_cells are derived: the refresh job recomputes them from the
-- patents, the organisations, the policy, the chains, the awards and the bureau's overrides, so a dashboard
-- reads a few hundred precomputed rows instead of scanning the patents. Months are 'YYYY-MM'.

-- What the indicators need from a record, kept in columns so the refresh reads no JSON.
ALTER TABLE patents ADD COLUMN applicant_address TEXT NOT NULL DEFAULT '';
ALTER TABLE patents ADD COLUMN has_foreign_family INTEGER NOT NULL DEFAULT 0;
-- The highest pledge financing recorded for the patent, in fen (import field 质押金额 now, pledge loans later).
ALTER TABLE patents ADD COLUMN pledge_amount INTEGER;
ALTER TABLE patents ADD COLUMN lapse_date TEXT;
UPDATE patents SET
    applicant_address = coalesce(json_extract(record, '$.applicants[0].address'), ''),
    has_foreign_family = coalesce(json_extract(record, '$.has_foreign_family'), 0),
    pledge_amount = json_extract(record, '$.pledge_amount'),
    lapse_date = json_extract(record, '$.lapse_date');

-- 国家科学技术奖 / 中国专利奖 won by a patent, recorded by the bureau (one by one or from a list). Keyed by
-- application number so an award may be recorded before the patent is imported.
CREATE TABLE patent_awards (
    id             INTEGER NOT NULL CONSTRAINT patent_awards_pkey PRIMARY KEY,
    application_no TEXT NOT NULL,
    award          TEXT NOT NULL CONSTRAINT patent_awards_award_check CHECK (award IN ('national_sci_tech', 'china_patent')),
    -- 等级 as announced (金奖、银奖、优秀奖、一等奖、二等奖…).
    grade          TEXT NOT NULL DEFAULT '',
    year           INTEGER NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    CONSTRAINT patent_awards_key UNIQUE (application_no, award, year)
);
CREATE INDEX patent_awards_application_idx ON patent_awards (application_no);

-- The bureau's decision where an applicant's patents count, overriding the derived rule: in the city and in
-- county_code (NULL: the city, no county), or not the city's (in_city = 0).
CREATE TABLE applicant_places (
    name_norm   TEXT NOT NULL CONSTRAINT applicant_places_pkey PRIMARY KEY,
    name        TEXT NOT NULL,
    in_city     INTEGER NOT NULL CONSTRAINT applicant_places_in_city_check CHECK (in_city IN (0, 1)),
    county_code TEXT,
    note        TEXT NOT NULL DEFAULT '',
    set_by      TEXT NOT NULL,
    set_at      TEXT NOT NULL
);

-- Derived, one row per patent: where it counts and why, and the high-value criteria with their reasons.
CREATE TABLE patent_facts (
    patent_id       INTEGER NOT NULL CONSTRAINT patent_facts_pkey PRIMARY KEY
                      CONSTRAINT patent_facts_patent_fkey REFERENCES patents (id) ON DELETE CASCADE,
    in_city         INTEGER NOT NULL,
    county_code     TEXT,
    -- override | org | address | province_code | none
    place_basis     TEXT NOT NULL,
    -- What placed it: the organisation's name, the address text matched, the division code.
    place_detail    TEXT NOT NULL DEFAULT '',
    valid_invention INTEGER NOT NULL,
    high_value      INTEGER NOT NULL,
    -- Bit set of the criteria that hold (1 sei, 2 foreign family, 4 maintained, 8 pledge, 16 award).
    hv_criteria     INTEGER NOT NULL DEFAULT 0,
    -- JSON object criterion → why it holds (or why not), shown on the patent page.
    hv_reasons      TEXT NOT NULL DEFAULT '{}',
    -- The patent's filing date, so the list of high-value patents reads its newest page from an index
    -- instead of sorting every high-value patent.
    filing_date     TEXT
);
CREATE INDEX patent_facts_city_idx ON patent_facts (in_city, county_code);
CREATE INDEX patent_facts_high_value_idx ON patent_facts (high_value, hv_criteria);
CREATE INDEX patent_facts_high_value_filing_idx ON patent_facts (high_value, filing_date);

-- Derived: the chains a patent belongs to and what placed it there (by = 'ipc' or 'keyword', matched = the
-- prefix or keyword), so pages can show the mapping.
CREATE TABLE patent_chain_links (
    patent_id  INTEGER NOT NULL CONSTRAINT patent_chain_links_patent_fkey REFERENCES patents (id) ON DELETE CASCADE,
    chain_code TEXT NOT NULL,
    by_kind    TEXT NOT NULL CONSTRAINT patent_chain_links_by_check CHECK (by_kind IN ('ipc', 'keyword')),
    matched    TEXT NOT NULL,
    CONSTRAINT patent_chain_links_pkey PRIMARY KEY (patent_id, chain_code)
);
CREATE INDEX patent_chain_links_chain_idx ON patent_chain_links (chain_code);

-- Derived, one row per first applicant (normalised name): its patents and where they count, for the bureau's
-- review of applicant places (grouping a million applicant rows on every view would take seconds).
CREATE TABLE applicant_facts (
    name_norm       TEXT NOT NULL CONSTRAINT applicant_facts_pkey PRIMARY KEY,
    name            TEXT NOT NULL,
    patents         INTEGER NOT NULL,
    in_city_patents INTEGER NOT NULL,
    -- Comma-separated PlaceBasis codes and county codes of its patents.
    bases           TEXT NOT NULL,
    counties        TEXT NOT NULL
);
CREATE INDEX applicant_facts_patents_idx ON applicant_facts (patents DESC, name_norm);

-- Derived aggregates of the city's patents: scope '' is the city, 'county:<code>' or 'chain:<code>' a part
-- of it; dimension names the breakdown (county, chain, institution, enterprise, ipc_section, ipc_class,
-- ipc_group, applicant, type, year, total).
CREATE TABLE indicator_cells (
    scope           TEXT NOT NULL,
    dimension       TEXT NOT NULL,
    key             TEXT NOT NULL,
    label           TEXT NOT NULL,
    patents         INTEGER NOT NULL,
    in_force        INTEGER NOT NULL,
    valid_invention INTEGER NOT NULL,
    high_value      INTEGER NOT NULL,
    CONSTRAINT indicator_cells_pkey PRIMARY KEY (scope, dimension, key)
);

-- One row per refresh of the derived tables: when, why, how long, over how many patents.
CREATE TABLE indicator_refreshes (
    id          INTEGER NOT NULL CONSTRAINT indicator_refreshes_pkey PRIMARY KEY,
    trigger     TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    patents     INTEGER NOT NULL DEFAULT 0,
    millis      INTEGER NOT NULL DEFAULT 0,
    error       TEXT
);

-- Monthly values of every indicator (scope as in indicator_cells). A value is in the indicator's unit scaled
-- by its factor (see ipbridge_domain::indicators::Indicator::scale). origin: auto (the job, kept current
-- until the month ends), manual (taken on demand), backfill (reconstructed from filing and grant dates).
CREATE TABLE indicator_snapshots (
    month     TEXT NOT NULL,
    indicator TEXT NOT NULL,
    scope     TEXT NOT NULL,
    value     INTEGER NOT NULL,
    origin    TEXT NOT NULL CONSTRAINT indicator_snapshots_origin_check CHECK (origin IN ('auto', 'manual', 'backfill')),
    taken_at  TEXT NOT NULL,
    CONSTRAINT indicator_snapshots_pkey PRIMARY KEY (month, indicator, scope)
);
-- Trend charts read one indicator of one scope across months.
CREATE INDEX indicator_snapshots_series_idx ON indicator_snapshots (indicator, scope, month);

-- Periodic trademark statistics per county (not patent-level data): valid trademarks held and
-- geographical-indication authorised users at the end of the month.
CREATE TABLE trademark_stats (
    county_code      TEXT NOT NULL,
    month            TEXT NOT NULL,
    valid_trademarks INTEGER NOT NULL CONSTRAINT trademark_stats_trademarks_check CHECK (valid_trademarks >= 0),
    gi_users         INTEGER NOT NULL CONSTRAINT trademark_stats_gi_check CHECK (gi_users >= 0),
    -- form | import
    source           TEXT NOT NULL,
    entered_by       TEXT NOT NULL,
    entered_at       TEXT NOT NULL,
    CONSTRAINT trademark_stats_pkey PRIMARY KEY (county_code, month)
);

-- Patent-intensive industry value added and GDP of a year (万元), entered yearly from the statistics bureau.
CREATE TABLE intensive_industry_stats (
    year            INTEGER NOT NULL CONSTRAINT intensive_industry_stats_pkey PRIMARY KEY,
    value_added_wan INTEGER NOT NULL CONSTRAINT intensive_value_added_check CHECK (value_added_wan >= 0),
    gdp_wan         INTEGER NOT NULL CONSTRAINT intensive_gdp_check CHECK (gdp_wan > 0),
    note            TEXT NOT NULL DEFAULT '',
    entered_by      TEXT NOT NULL,
    entered_at      TEXT NOT NULL
);
