-- Coverage of the whole city: institutions only; a patent converted for two holders counts once.
SELECT count(*) AS in_scope,
       COALESCE(sum(CASE WHEN state = 'draft' THEN 1 ELSE 0 END), 0) AS draft,
       COALESCE(sum(CASE WHEN state IS NOT NULL AND state <> 'draft' THEN 1 ELSE 0 END), 0) AS recorded,
       COALESCE(sum(CASE WHEN state IN ('institution_approved', 'base_pool', 'transferable_pool') THEN 1 ELSE 0 END), 0) AS reviewed,
       COALESCE(sum(CASE WHEN state IN ('base_pool', 'transferable_pool') THEN 1 ELSE 0 END), 0) AS base_pool,
       COALESCE(sum(CASE WHEN state = 'transferable_pool' THEN 1 ELSE 0 END), 0) AS transferable_pool,
       (SELECT count(DISTINCT c.patent_id)
        FROM converted c JOIN orgs o ON o.id = c.org_id AND o.kind = 'institution') AS converted,
       (SELECT count(*)
        FROM deals d JOIN orgs o ON o.id = d.holder_org_id AND o.kind = 'institution'
        WHERE d.status = 'effective') AS deals,
       (SELECT COALESCE(sum(d.amount_fen), 0)
        FROM deals d JOIN orgs o ON o.id = d.holder_org_id AND o.kind = 'institution'
        WHERE d.status = 'effective') AS amount_fen
FROM scope
