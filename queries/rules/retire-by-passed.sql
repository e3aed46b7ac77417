-- id: retire-by-passed
-- title: A temporary file system is past its retire-by date
-- severity: medium
-- rationale: Scratch and study file systems are created with a date by
--   which they should be gone; one left running past it is paid for by
--   the hour with no one using it on purpose.
-- remediation: Export what must be kept and delete the file system, or
--   move the date on with the owner's agreement.
-- param: keys = retire-by,retire-after  Tag keys holding the date, compared after removing case, spaces, '_' and '-' (RetireAfter, retire_by ...)
-- param: grace_days = 0  Days after the date before it alarms
-- param: sources = resource  Where the tag may come from (comma-separated)
-- reads: runs, filesystems, effective_tags
--
-- A date without a time means the end of that day (UTC). The run's start
-- is "now". A value that is not a date alarms too.
WITH now AS (
  SELECT started_at AS t FROM runs WHERE id = :run
),
fs AS (
  SELECT resource_id, resource_key, evidence_id
  FROM filesystems
  WHERE run_id = :run
),
tagged AS (
  SELECT e.resource_key, e.key, e.value, e.evidence_id,
         CASE WHEN length(trim(e.value)) = 10
              THEN iso_add(trim(e.value), 'P1D')
              ELSE iso_datetime(trim(e.value)) END AS due
  FROM effective_tags e
  WHERE e.run_id = :run
    AND key_fold(e.key) IN (SELECT key_fold(value)
                              FROM json_each(split_list(:keys)))
    AND e.source IN (SELECT lower(value) FROM json_each(split_list(:sources)))
),
ranked AS (
  -- A value that is not a date first, then the earliest date.
  SELECT t.*, row_number() OVER (PARTITION BY resource_key
                                 ORDER BY due IS NOT NULL, due) AS n
  FROM tagged t
)
SELECT fs.resource_id,
       CASE WHEN r.key IS NULL THEN 'skip'
            WHEN r.due IS NULL THEN 'alarm'
            WHEN days_between(r.due, now.t) > :grace_days THEN 'alarm'
            ELSE 'ok' END AS status,
       CASE WHEN r.key IS NULL
            THEN 'no retire-by tag: not a temporary file system'
            WHEN r.due IS NULL
            THEN 'tag ''' || r.key || ''' = ''' || r.value ||
                 ''' is not a date (YYYY-MM-DD)'
            WHEN days_between(r.due, now.t) > :grace_days
            THEN 'retire-by date ' || trim(r.value) || ' (tag ''' || r.key ||
                 ''') passed ' || printf('%.1f', days_between(r.due, now.t)) ||
                 ' days before this run'
            ELSE 'retire-by date ' || trim(r.value) || ' (tag ''' || r.key ||
                 ''') is ' || printf('%.1f', days_between(now.t, r.due)) ||
                 ' days ahead'
       END AS reason,
       (SELECT json_group_array(id) FROM (
          SELECT fs.evidence_id AS id
          UNION SELECT r.evidence_id WHERE r.evidence_id IS NOT NULL))
         AS evidence
FROM fs
CROSS JOIN now
LEFT JOIN ranked r ON r.resource_key = fs.resource_key AND r.n = 1
ORDER BY fs.resource_id;
