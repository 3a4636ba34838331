-- Patents, their import history and the links between applicants and organisations.

CREATE TABLE imports (
    id          INTEGER NOT NULL CONSTRAINT imports_pkey PRIMARY KEY,
    kind        TEXT NOT NULL CONSTRAINT imports_kind_check CHECK (kind IN ('patents', 'orgs')),
    -- The organisation on whose behalf the file was imported (its history lists it).
    org_id      INTEGER CONSTRAINT imports_org_fkey REFERENCES orgs (id),
    actor_id    INTEGER,
    actor_name  TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    file_hash   TEXT NOT NULL,
    format      TEXT NOT NULL,
    status      TEXT NOT NULL CONSTRAINT imports_status_check CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
    rows_total  INTEGER NOT NULL DEFAULT 0,
    rows_read   INTEGER NOT NULL DEFAULT 0,
    inserted    INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    message     TEXT NOT NULL DEFAULT '',
    -- The rejected rows as an xlsx workbook (original columns + 错误原因), kept for download.
    report      BLOB,
    started_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX imports_org_idx ON imports (org_id, started_at);

CREATE TABLE patents (
    id               INTEGER NOT NULL CONSTRAINT patents_pkey PRIMARY KEY,
    application_no   TEXT NOT NULL,
    patent_type      TEXT NOT NULL CONSTRAINT patents_type_check CHECK (patent_type IN ('invention', 'utility_model', 'design')),
    title            TEXT NOT NULL,
    filing_date      TEXT,
    publication_date TEXT,
    grant_date       TEXT,
    filing_year      INTEGER,
    legal_status     TEXT NOT NULL,
    in_force         INTEGER NOT NULL CONSTRAINT patents_in_force_check CHECK (in_force IN (0, 1)),
    main_ipc         TEXT,
    first_applicant  TEXT NOT NULL DEFAULT '',
    province_code    TEXT,
    -- The organisation of the first linked applicant: the patent's owner on the platform.
    owner_org_id     INTEGER CONSTRAINT patents_owner_fkey REFERENCES orgs (id),
    -- The whole record as JSON (PatentRecord), and the SM3 of that JSON: equal hash, unchanged record.
    record           TEXT NOT NULL,
    content_hash     TEXT NOT NULL,
    import_id        INTEGER CONSTRAINT patents_import_fkey REFERENCES imports (id),
    -- The import that first wrote the record (its creation entry in the history).
    created_import_id INTEGER CONSTRAINT patents_created_import_fkey REFERENCES imports (id),
    source_file      TEXT NOT NULL DEFAULT '',
    source_row       INTEGER,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX patents_application_no_key ON patents (application_no);
CREATE INDEX patents_filter_idx ON patents (patent_type, legal_status, filing_year);
CREATE INDEX patents_owner_idx ON patents (owner_org_id);
CREATE INDEX patents_main_ipc_idx ON patents (main_ipc);
CREATE INDEX patents_filing_idx ON patents (filing_date);

-- Every IPC code of a patent, for prefix filters (A23F, A23F3/00 …).
CREATE TABLE patent_ipc (
    patent_id INTEGER NOT NULL CONSTRAINT patent_ipc_patent_fkey REFERENCES patents (id) ON DELETE CASCADE,
    code      TEXT NOT NULL,
    CONSTRAINT patent_ipc_pkey PRIMARY KEY (patent_id, code)
);
CREATE INDEX patent_ipc_code_idx ON patent_ipc (code);

-- Applicants in order, with the organisation each one is linked to (by credit code, name or alias).
CREATE TABLE patent_applicants (
    patent_id INTEGER NOT NULL CONSTRAINT patent_applicants_patent_fkey REFERENCES patents (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    name      TEXT NOT NULL,
    name_norm TEXT NOT NULL,
    org_id    INTEGER CONSTRAINT patent_applicants_org_fkey REFERENCES orgs (id),
    CONSTRAINT patent_applicants_pkey PRIMARY KEY (patent_id, position)
);
CREATE INDEX patent_applicants_name_idx ON patent_applicants (name_norm);
CREATE INDEX patent_applicants_org_idx ON patent_applicants (org_id);

-- Field-level changes of a record, newest last: what an update changed, from which import. The creation is
-- the record's created_at and created_import_id (one row less per new patent in a bulk import).
CREATE TABLE patent_history (
    id         INTEGER NOT NULL CONSTRAINT patent_history_pkey PRIMARY KEY,
    patent_id  INTEGER NOT NULL CONSTRAINT patent_history_patent_fkey REFERENCES patents (id) ON DELETE CASCADE,
    at         TEXT NOT NULL,
    import_id  INTEGER CONSTRAINT patent_history_import_fkey REFERENCES imports (id),
    actor_name TEXT NOT NULL,
    kind       TEXT NOT NULL CONSTRAINT patent_history_kind_check CHECK (kind IN ('updated')),
    changes    TEXT NOT NULL
);
CREATE INDEX patent_history_patent_idx ON patent_history (patent_id, id);

-- An applicant name the bureau linked to an organisation once; later imports reuse it.
CREATE TABLE applicant_aliases (
    name_norm  TEXT NOT NULL CONSTRAINT applicant_aliases_pkey PRIMARY KEY,
    name       TEXT NOT NULL,
    org_id     INTEGER NOT NULL CONSTRAINT applicant_aliases_org_fkey REFERENCES orgs (id),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Reference data: the IPC scheme and the IPC → strategic-emerging-industry concordance.
CREATE TABLE ipc_titles (
    code     TEXT NOT NULL CONSTRAINT ipc_titles_pkey PRIMARY KEY,
    level    TEXT NOT NULL,
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL DEFAULT '',
    parent   TEXT
);

CREATE TABLE sei_categories (
    code        TEXT NOT NULL CONSTRAINT sei_categories_pkey PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code TEXT
);

CREATE TABLE ipc_sei (
    ipc_code TEXT NOT NULL,
    sei_code TEXT NOT NULL,
    CONSTRAINT ipc_sei_pkey PRIMARY KEY (ipc_code, sei_code)
);
