-- In-scope patents without a submitted record (no record, or a draft), filtered:
-- ?1 institution or NULL; ?2 'any' | 'only' | 'none' with ?3 the faculty for 'only'; ?4 an inventor account
-- (only the patents linked to it) or NULL. The caller appends the order and the paging.
SELECT p.id AS patent_id,
       p.application_no,
       p.title,
       p.patent_type,
       p.filing_date,
       p.grant_date,
       p.main_ipc,
       s.org_id,
       o.name AS org_name,
       s.faculty_id,
       fa.name AS faculty_name,
       s.state
FROM scope s
JOIN patents p ON p.id = s.patent_id
JOIN orgs o ON o.id = s.org_id
LEFT JOIN faculties fa ON fa.id = s.faculty_id
WHERE (s.state IS NULL OR s.state = 'draft')
  AND (?1 IS NULL OR s.org_id = ?1)
  AND (?2 = 'any' OR (?2 = 'only' AND s.faculty_id = ?3) OR (?2 = 'none' AND s.faculty_id IS NULL))
  AND (?4 IS NULL OR EXISTS (SELECT 1 FROM patent_inventor_users l WHERE l.patent_id = s.patent_id AND l.user_id = ?4))
