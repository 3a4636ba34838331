-- Coverage per institution: every institution (optionally one: ?1), with zeros where it has nothing.
, counts AS (
    SELECT org_id,
           count(*) AS in_scope,
           sum(CASE WHEN state = 'draft' THEN 1 ELSE 0 END) AS draft,
           sum(CASE WHEN state IS NOT NULL AND state <> 'draft' THEN 1 ELSE 0 END) AS recorded,
           sum(CASE WHEN state IN ('institution_approved', 'base_pool', 'transferable_pool') THEN 1 ELSE 0 END) AS reviewed,
           sum(CASE WHEN state IN ('base_pool', 'transferable_pool') THEN 1 ELSE 0 END) AS base_pool,
           sum(CASE WHEN state = 'transferable_pool' THEN 1 ELSE 0 END) AS transferable_pool
    FROM scope
    GROUP BY org_id
),
conversions AS (
    SELECT org_id, count(DISTINCT patent_id) AS converted FROM converted GROUP BY org_id
),
deal_totals AS (
    SELECT holder_org_id AS org_id, count(*) AS deals, sum(amount_fen) AS amount_fen
    FROM deals
    WHERE status = 'effective'
    GROUP BY holder_org_id
)
SELECT o.id AS org_id,
       o.name AS org_name,
       o.active AS active,
       COALESCE(c.in_scope, 0) AS in_scope,
       COALESCE(c.draft, 0) AS draft,
       COALESCE(c.recorded, 0) AS recorded,
       COALESCE(c.reviewed, 0) AS reviewed,
       COALESCE(c.base_pool, 0) AS base_pool,
       COALESCE(c.transferable_pool, 0) AS transferable_pool,
       COALESCE(v.converted, 0) AS converted,
       COALESCE(t.deals, 0) AS deals,
       COALESCE(t.amount_fen, 0) AS amount_fen
FROM orgs o
LEFT JOIN counts c ON c.org_id = o.id
LEFT JOIN conversions v ON v.org_id = o.id
LEFT JOIN deal_totals t ON t.org_id = o.id
WHERE o.kind = 'institution' AND (?1 IS NULL OR o.id = ?1)
ORDER BY o.name, o.id
