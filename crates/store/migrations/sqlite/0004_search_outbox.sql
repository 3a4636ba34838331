-- The search index is derived from the database. Every change that can alter a patent's index document
-- leaves a row here in the same transaction (the triggers below), and the indexer applies and deletes them
-- after the commit. A NULL patent_id means "every patent" (a chain definition changed).

CREATE TABLE search_outbox (
    id        INTEGER NOT NULL CONSTRAINT search_outbox_pkey PRIMARY KEY,
    patent_id INTEGER
);

CREATE TRIGGER patents_search_insert AFTER INSERT ON patents
BEGIN
    INSERT INTO search_outbox (patent_id) VALUES (NEW.id);
END;

CREATE TRIGGER patents_search_update AFTER UPDATE ON patents
BEGIN
    INSERT INTO search_outbox (patent_id) VALUES (NEW.id);
END;

CREATE TRIGGER patents_search_delete AFTER DELETE ON patents
BEGIN
    INSERT INTO search_outbox (patent_id) VALUES (OLD.id);
END;

-- The owner's name and county are part of a patent's document.
CREATE TRIGGER orgs_search_update AFTER UPDATE OF name, county_code, active ON orgs
BEGIN
    INSERT INTO search_outbox (patent_id) SELECT id FROM patents WHERE owner_org_id = NEW.id;
END;

CREATE TRIGGER chains_search_insert AFTER INSERT ON industry_chains
BEGIN
    INSERT INTO search_outbox (patent_id) VALUES (NULL);
END;

CREATE TRIGGER chains_search_update AFTER UPDATE OF ipc_prefixes, keywords, active ON industry_chains
BEGIN
    INSERT INTO search_outbox (patent_id) VALUES (NULL);
END;
