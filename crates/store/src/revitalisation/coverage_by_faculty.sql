-- Coverage per faculty of institution ?1: one row per faculty and one (faculty NULL) for patents assigned to
-- none. A deal counts once for each faculty one of its patents belongs to.
, faculty_of (patent_id, faculty_id) AS MATERIALIZED (
    -- The faculty of every patent converted for, or dealt by, the institution; materialised once, as two
    -- reports below join it.
    SELECT x.patent_id,
           -- A record's faculty decides, NULL included (the institution reviews alone: 未分院系); only a
           -- patent without a record falls back to its first linked inventor account's faculty. COALESCE would
           -- also overrule a record's deliberate NULL, counting it where nobody reviews it.
           CASE WHEN r.id IS NULL THEN (
               SELECT u.faculty_id
               FROM patent_inventor_users l
               JOIN users u ON u.id = l.user_id
               WHERE l.patent_id = x.patent_id AND u.faculty_id IS NOT NULL AND u.org_id = ?1
               ORDER BY l.user_id
               LIMIT 1)
           ELSE r.faculty_id END
    FROM (SELECT patent_id FROM converted WHERE org_id = ?1
          UNION
          SELECT dp.patent_id FROM deal_patents dp JOIN deals d ON d.id = dp.deal_id
          WHERE d.status = 'effective' AND d.holder_org_id = ?1) x
    LEFT JOIN inventory_records r ON r.patent_id = x.patent_id
),
counts AS (
    SELECT faculty_id,
           count(*) AS in_scope,
           sum(CASE WHEN state = 'draft' THEN 1 ELSE 0 END) AS draft,
           sum(CASE WHEN state IS NOT NULL AND state <> 'draft' THEN 1 ELSE 0 END) AS recorded,
           sum(CASE WHEN state IN ('institution_approved', 'base_pool', 'transferable_pool') THEN 1 ELSE 0 END) AS reviewed,
           sum(CASE WHEN state IN ('base_pool', 'transferable_pool') THEN 1 ELSE 0 END) AS base_pool,
           sum(CASE WHEN state = 'transferable_pool' THEN 1 ELSE 0 END) AS transferable_pool
    FROM scope
    WHERE org_id = ?1
    GROUP BY faculty_id
),
conversions AS (
    SELECT f.faculty_id, count(DISTINCT c.patent_id) AS converted
    FROM converted c
    JOIN faculty_of f ON f.patent_id = c.patent_id
    WHERE c.org_id = ?1
    GROUP BY f.faculty_id
),
faculty_deals AS (
    SELECT DISTINCT d.id, d.amount_fen, f.faculty_id
    FROM deals d
    JOIN deal_patents dp ON dp.deal_id = d.id
    JOIN faculty_of f ON f.patent_id = dp.patent_id
    WHERE d.status = 'effective' AND d.holder_org_id = ?1
),
deal_totals AS (
    SELECT faculty_id, count(*) AS deals, sum(amount_fen) AS amount_fen FROM faculty_deals GROUP BY faculty_id
),
keys (faculty_id) AS (
    SELECT id FROM faculties WHERE org_id = ?1
    UNION
    SELECT NULL
)
SELECT k.faculty_id AS faculty_id,
       fa.name AS faculty_name,
       COALESCE(c.in_scope, 0) AS in_scope,
       COALESCE(c.draft, 0) AS draft,
       COALESCE(c.recorded, 0) AS recorded,
       COALESCE(c.reviewed, 0) AS reviewed,
       COALESCE(c.base_pool, 0) AS base_pool,
       COALESCE(c.transferable_pool, 0) AS transferable_pool,
       COALESCE(v.converted, 0) AS converted,
       COALESCE(t.deals, 0) AS deals,
       COALESCE(t.amount_fen, 0) AS amount_fen
FROM keys k
LEFT JOIN faculties fa ON fa.id = k.faculty_id
LEFT JOIN counts c ON c.faculty_id IS k.faculty_id
LEFT JOIN conversions v ON v.faculty_id IS k.faculty_id
LEFT JOIN deal_totals t ON t.faculty_id IS k.faculty_id
ORDER BY k.faculty_id IS NULL, fa.name, k.faculty_id
