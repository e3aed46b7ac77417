#include "store/finding_runs.h"

#include <stdio.h>
#include <string.h>

/* The same values, NULL exemptions alike (a row of the runs, r, and a
 * signature of the new check, n). */
#define SAME_FINDING \
	"n.rule = r.rule AND n.resource_id = r.resource_id AND " \
	"n.severity = r.severity AND n.exemption IS r.exemption AND " \
	"n.status = r.status AND n.first_seen IS r.first_seen AND " \
	"n.per_check = r.per_check"

/* The signature of check ?1's findings: one row per rule, resource and
 * result, first_seen NULL where the header says (finding_checks holds
 * ?1's time). */
#define CHECK_SIGNATURE \
	"SELECT rule, resource_id, severity, exemption, status, " \
	"CASE WHEN status = 'ok' THEN NULL " \
	"WHEN status IN ('skip', 'error') AND first_seen = (SELECT " \
	"checked_at FROM main.finding_checks WHERE check_run = ?1) " \
	"THEN NULL ELSE first_seen END AS first_seen, " \
	"count(*) AS per_check FROM main.findings WHERE check_run = ?1 " \
	"GROUP BY rule, resource_id, severity, exemption, status, 6"

int finding_runs_add_check(struct store *s, sqlite3_int64 check_run,
			   struct err_detail *d)
{
	static const char *const sql[] = {
		"INSERT INTO main.finding_checks SELECT ?1, min(first_seen) "
		"FROM main.findings WHERE check_run = ?1 AND status IN ('ok', "
		"'skip', 'error') HAVING count(*)",
		"DROP TABLE IF EXISTS temp.finding_runs_new",
		"CREATE TEMP TABLE finding_runs_new AS " CHECK_SIGNATURE,
		"CREATE INDEX temp.finding_runs_new_key ON "
		"finding_runs_new(rule, resource_id)",
		"UPDATE main.finding_runs AS r SET last_check = ?1 "
		"WHERE last_check = (SELECT max(id) FROM main.runs "
		"WHERE source = 'check' AND id < ?1) AND EXISTS (SELECT 1 FROM "
		"temp.finding_runs_new n WHERE " SAME_FINDING ")",
		"INSERT INTO main.finding_runs SELECT n.rule, n.resource_id, "
		"n.severity, n.exemption, n.status, n.first_seen, n.per_check, "
		"?1, ?1 FROM temp.finding_runs_new n WHERE NOT EXISTS (SELECT 1 "
		"FROM main.finding_runs r WHERE r.last_check = ?1 AND "
		SAME_FINDING ")",
		"DROP TABLE temp.finding_runs_new",
	};

	return store_exec_ids(s, sql, sizeof(sql) / sizeof(sql[0]), check_run,
			      0, "cannot summarize the findings", d);
}

/* The first row of sql (?1 bound to bind when bind > 0): column 0, a
 * check, into *ret_run and column 1, what differs there, into why. 1 when
 * there was a row, 0 when none, or the error. */
static int first_row(struct store *s, const char *sql, sqlite3_int64 bind,
		     sqlite3_int64 *ret_run, char *why, size_t why_len,
		     const char *what, struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	int r = store_prepare(s, sql, &st, d), rc;

	if (r < 0)
		return r;
	if (bind > 0)
		sqlite3_bind_int64(st, 1, bind);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret_run = sqlite3_column_int64(st, 0);
		snprintf(why, why_len, "%s", sqlite3_column_text(st, 1));
		r = 1;
	} else if (rc != SQLITE_DONE)
		r = store_sql_error(s, what, d);
	sqlite3_finalize(st);
	return r;
}

/*
 * Check by check, not the whole derivation at once (finding_runs_derived
 * groups and windows every finding of the history: 6.5 s for 614,340):
 * the rows' ends are checks in order; at each check the rows holding it
 * are its findings' signature, no more, no less, no row twice; and no
 * two rows with the same signature meet (a stretch split in two).
 */
int finding_runs_compare(struct store *s, sqlite3_int64 *ret_run, char *why,
			 size_t why_len, struct err_detail *d)
{
	static const char times[] =
		"SELECT check_run, printf('check %d''s time (finding_checks) "
		"is not the first_seen of its findings that are not open', "
		"check_run) FROM ("
		" SELECT * FROM (SELECT * FROM finding_checks EXCEPT "
		"  SELECT * FROM finding_checks_derived)"
		" UNION ALL"
		" SELECT * FROM (SELECT * FROM finding_checks_derived EXCEPT "
		"  SELECT * FROM finding_checks)) ORDER BY check_run LIMIT 1";
	static const char ends[] =
		"SELECT first_check, printf('stored but not in the findings: "
		"%s on %s (%s, checks %d to %d: not two checks in order)', "
		"rule, resource_id, status, first_check, last_check) "
		"FROM finding_runs WHERE first_check > last_check "
		"OR first_check NOT IN (SELECT id FROM runs WHERE source = "
		"'check') OR last_check NOT IN (SELECT id FROM runs WHERE "
		"source = 'check') ORDER BY first_check LIMIT 1";
	static const char at_check[] =
		"WITH a AS MATERIALIZED (" CHECK_SIGNATURE "), "
		"b AS MATERIALIZED (SELECT rule, resource_id, severity, "
		" exemption, status, first_seen, per_check FROM finding_runs "
		" WHERE first_check <= ?1 AND last_check >= ?1) "
		"SELECT ?1, k || printf(': %s on %s (%s, check %d)', rule, "
		" resource_id, status, ?1) FROM ("
		" SELECT 'stored but not in the findings' AS k, * FROM ("
		"  SELECT * FROM b EXCEPT SELECT * FROM a)"
		" UNION ALL"
		" SELECT 'missing', * FROM (SELECT * FROM a EXCEPT SELECT * FROM b)"
		" ORDER BY rule, resource_id LIMIT 1) "
		"UNION ALL "
		"SELECT ?1, printf('at check %d, %d rows stored, %d in the "
		"findings', ?1, (SELECT count(*) FROM b), (SELECT count(*) "
		"FROM a)) WHERE (SELECT count(*) FROM b) <> (SELECT count(*) "
		"FROM a)";
	static const char split[] =
		"WITH seq AS (SELECT id, lag(id) OVER (ORDER BY id) AS prev "
		" FROM runs WHERE source = 'check') "
		"SELECT n.first_check, printf('stored but not in the findings: "
		"%s on %s (%s) is two rows, checks %d to %d and %d to %d, "
		"where the findings give one', n.rule, n.resource_id, n.status, "
		"r.first_check, r.last_check, n.first_check, n.last_check) "
		"FROM finding_runs n JOIN seq ON seq.id = n.first_check "
		"JOIN finding_runs r ON r.last_check = seq.prev AND "
		SAME_FINDING " ORDER BY n.first_check LIMIT 1";
	const char *what = "cannot compare the findings summary";
	sqlite3_stmt *checks = NULL;
	sqlite3_int64 run = 0;
	int r, rc;

	*ret_run = 0;
	r = first_row(s, times, 0, &run, why, why_len, what, d);
	if (r == 0)
		r = first_row(s, ends, 0, &run, why, why_len, what, d);
	if (r == 0)
		r = store_prepare(s, "SELECT id FROM runs WHERE source = "
				  "'check' ORDER BY id", &checks, d);
	while (r == 0 && (rc = sqlite3_step(checks)) == SQLITE_ROW)
		r = first_row(s, at_check, sqlite3_column_int64(checks, 0),
			      &run, why, why_len, what, d);
	if (r == 0 && rc != SQLITE_DONE)
		r = store_sql_error(s, what, d);
	sqlite3_finalize(checks);
	if (r == 0)
		r = first_row(s, split, 0, &run, why, why_len, what, d);
	if (r < 0)
		return r;
	if (r == 1)
		*ret_run = run;
	return 0;
}
