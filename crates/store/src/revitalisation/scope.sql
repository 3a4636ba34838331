-- The revitalisation scope, shared by every coverage report (the query text that follows this prefix uses
-- the two tables it defines). Definitions: docs/revitalisation.md.
WITH
-- Converted patents and the organisation each conversion counts for: a patent in an effective deal of any
-- kind counts for the deal's holder; a record saying the patent is already implemented counts for the
-- record's institution once the institution approved it (a self-declaration alone does not leave the scope).
converted (patent_id, org_id) AS (
    SELECT dp.patent_id, d.holder_org_id
    FROM deal_patents dp
    JOIN deals d ON d.id = dp.deal_id
    WHERE d.status = 'effective'
    UNION
    SELECT r.patent_id, r.org_id
    FROM inventory_records r
    WHERE r.already_implemented = 1 AND r.state IN ('institution_approved', 'base_pool', 'transferable_pool')
),
-- In scope: in-force patents whose owner organisation is an institution, not converted. Each carries its
-- institution, its faculty (the record's, NULL included; only without a record, the faculty of the first
-- linked inventor account of the same institution that has one) and its record's state (NULL: no record yet).
scope (patent_id, org_id, faculty_id, state) AS (
    SELECT p.id,
           p.owner_org_id,
           -- A record's faculty decides, NULL included (the institution reviews alone: 未分院系); only a
           -- patent without a record falls back to its first linked inventor account's faculty. COALESCE would
           -- also overrule a record's deliberate NULL, counting it where nobody reviews it.
           CASE WHEN r.id IS NULL THEN (
               SELECT u.faculty_id
               FROM patent_inventor_users l
               JOIN users u ON u.id = l.user_id
               WHERE l.patent_id = p.id AND u.faculty_id IS NOT NULL AND u.org_id = p.owner_org_id
               ORDER BY l.user_id
               LIMIT 1)
           ELSE r.faculty_id END,
           r.state
    FROM patents p
    JOIN orgs o ON o.id = p.owner_org_id AND o.kind = 'institution'
    LEFT JOIN inventory_records r ON r.patent_id = p.id
    WHERE p.in_force = 1
      -- The same two conversions as `converted`, written against the indexed tables so that each patent is a
      -- lookup rather than a scan of the union (r is the patent's only record).
      AND NOT EXISTS (SELECT 1 FROM deal_patents dp JOIN deals d ON d.id = dp.deal_id
                      WHERE dp.patent_id = p.id AND d.status = 'effective')
      AND NOT (r.already_implemented IS 1
               AND r.state IN ('institution_approved', 'base_pool', 'transferable_pool'))
)
