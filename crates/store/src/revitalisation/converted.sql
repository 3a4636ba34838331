-- Converted patents (已转化专利) of institutions, one row per patent: the patents of `converted` whose owner
-- organisation is an institution, each with its latest conversion — the latest effective deal counting for the
-- institution, or, without one, its approved already-implemented record. Filters: ?1 the institution the
-- conversion counts for, or NULL; ?2 'any' | 'only' | 'none' with ?3 the faculty for 'only'. The caller appends
-- the order and the paging.
, conversions (patent_id, org_id, deal_id) AS (
    SELECT c.patent_id,
           c.org_id,
           (SELECT d.id
            FROM deal_patents dp
            JOIN deals d ON d.id = dp.deal_id
            WHERE dp.patent_id = c.patent_id AND d.holder_org_id = c.org_id AND d.status = 'effective'
            ORDER BY d.signed_on DESC, d.id DESC
            LIMIT 1)
    FROM converted c
    JOIN patents p ON p.id = c.patent_id
    JOIN orgs po ON po.id = p.owner_org_id AND po.kind = 'institution'
    WHERE (?1 IS NULL OR c.org_id = ?1)
),
-- When each conversion happened, as a China date: the deal's signing day, or the day the institution approved
-- the already-implemented record (the step that converts it; China is UTC+8 all year). The faculty as in the
-- scope: the record's (NULL included); only without a record, the first linked inventor account's.
dated (patent_id, org_id, deal_id, converted_on, faculty_id) AS (
    SELECT v.patent_id,
           v.org_id,
           v.deal_id,
           COALESCE(d.signed_on,
                    (SELECT date(max(e.at), '+8 hours')
                     FROM review_events e
                     WHERE e.record_id = r.id AND e.to_state = 'institution_approved'),
                    date(r.state_changed_at, '+8 hours')),
           -- A record's faculty decides, NULL included (the institution reviews alone: 未分院系); only a
           -- patent without a record falls back to its first linked inventor account's faculty. COALESCE would
           -- also overrule a record's deliberate NULL, counting it where nobody reviews it.
           CASE WHEN r.id IS NULL THEN (
               SELECT u.faculty_id
               FROM patent_inventor_users l
               JOIN users u ON u.id = l.user_id
               WHERE l.patent_id = v.patent_id AND u.faculty_id IS NOT NULL AND u.org_id = v.org_id
               ORDER BY l.user_id
               LIMIT 1)
           ELSE r.faculty_id END
    FROM conversions v
    LEFT JOIN deals d ON d.id = v.deal_id
    LEFT JOIN inventory_records r ON r.patent_id = v.patent_id
),
-- A patent converted for two institutions (two holders) is listed once, with its latest conversion, as the
-- city's 已转化 counts it once.
ranked AS (
    SELECT x.*,
           row_number() OVER (PARTITION BY x.patent_id ORDER BY x.converted_on DESC, x.deal_id DESC) AS nth
    FROM dated x
)
SELECT p.id AS patent_id,
       p.application_no,
       p.title,
       x.org_id,
       o.name AS org_name,
       x.faculty_id,
       fa.name AS faculty_name,
       x.converted_on,
       x.deal_id,
       d.kind,
       d.license_scope,
       d.amount_fen,
       (SELECT json_group_array(pt.name ORDER BY pt.position)
        FROM deal_parties pt
        WHERE pt.deal_id = x.deal_id AND pt.role = 'counterparty') AS counterparties,
       (SELECT count(*)
        FROM deal_patents dp
        JOIN deals d2 ON d2.id = dp.deal_id
        WHERE dp.patent_id = x.patent_id AND d2.holder_org_id = x.org_id AND d2.status = 'effective') AS deals
FROM ranked x
JOIN patents p ON p.id = x.patent_id
JOIN orgs o ON o.id = x.org_id
LEFT JOIN faculties fa ON fa.id = x.faculty_id
LEFT JOIN deals d ON d.id = x.deal_id
WHERE x.nth = 1
  AND (?2 = 'any' OR (?2 = 'only' AND x.faculty_id = ?3) OR (?2 = 'none' AND x.faculty_id IS NULL))
