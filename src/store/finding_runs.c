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

int finding_runs_add_check(struct store *s, sqlite3_int64 check_run,
			   struct err_detail *d)
{
	static const char *const sql[] = {
		"INSERT INTO main.finding_checks SELECT ?1, min(first_seen) "
		"FROM main.findings WHERE check_run = ?1 AND status IN ('ok', "
		"'skip', 'error') HAVING count(*)",
		"DROP TABLE IF EXISTS temp.finding_runs_new",
		"CREATE TEMP TABLE finding_runs_new AS "
		"SELECT rule, resource_id, severity, exemption, status, "
		"CASE WHEN status = 'ok' THEN NULL "
		"WHEN status IN ('skip', 'error') AND first_seen = (SELECT "
		"checked_at FROM main.finding_checks WHERE check_run = ?1) "
		"THEN NULL ELSE first_seen END AS first_seen, "
		"count(*) AS per_check FROM main.findings WHERE check_run = ?1 "
		"GROUP BY rule, resource_id, severity, exemption, status, 6",
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

int finding_runs_compare(struct store *s, sqlite3_int64 *ret_run, char *why,
			 size_t why_len, struct err_detail *d)
{
	/* Each way round, and the counts (EXCEPT would not see a row stored
	 * twice). */
	static const char sql[] =
		"WITH d AS MATERIALIZED (SELECT * FROM finding_runs_derived) "
		"SELECT * FROM ("
		" SELECT 'stored but not in the findings' AS k, * FROM ("
		"  SELECT * FROM finding_runs EXCEPT SELECT * FROM d)"
		" UNION ALL"
		" SELECT 'missing', * FROM ("
		"  SELECT * FROM d EXCEPT SELECT * FROM finding_runs)"
		" ORDER BY first_check, rule, resource_id LIMIT 1)"
		" UNION ALL "
		"SELECT 'rows', (SELECT count(*) FROM finding_runs), "
		"(SELECT count(*) FROM d), NULL, NULL, NULL, NULL, NULL, "
		"coalesce((SELECT min(first_check) FROM finding_runs), "
		"(SELECT min(first_check) FROM d)), NULL";
	static const char checks[] =
		"SELECT check_run FROM ("
		" SELECT * FROM (SELECT * FROM finding_checks EXCEPT "
		"  SELECT * FROM finding_checks_derived)"
		" UNION ALL"
		" SELECT * FROM (SELECT * FROM finding_checks_derived EXCEPT "
		"  SELECT * FROM finding_checks)) ORDER BY check_run LIMIT 1";
	sqlite3_stmt *st = NULL;
	sqlite3_int64 run = 0;
	int r, rc;

	r = store_prepare(s, checks, &st, d);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		run = sqlite3_column_int64(st, 0);
		snprintf(why, why_len, "check %lld's time (finding_checks) is "
			 "not the first_seen of its findings that are not open",
			 (long long)run);
	} else if (rc != SQLITE_DONE)
		r = store_sql_error(s, "cannot compare the findings summary", d);
	sqlite3_finalize(st);
	st = NULL;
	if (r < 0 || run) {
		if (r == 0)
			*ret_run = run;
		return r;
	}
	r = store_prepare(s, sql, &st, d);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);

		if (strcmp(k, "rows")) {
			run = sqlite3_column_int64(st, 8);
			snprintf(why, why_len, "%s: %s on %s (%s, checks %lld "
				 "to %lld)", k, sqlite3_column_text(st, 1),
				 sqlite3_column_text(st, 2),
				 sqlite3_column_text(st, 5),
				 (long long)run,
				 (long long)sqlite3_column_int64(st, 9));
			break;
		}
		if (sqlite3_column_int64(st, 1) != sqlite3_column_int64(st, 2)) {
			run = sqlite3_column_int64(st, 8);
			snprintf(why, why_len, "%lld rows stored, %lld in the "
				 "findings", (long long)sqlite3_column_int64(st, 1),
				 (long long)sqlite3_column_int64(st, 2));
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = store_sql_error(s, "cannot compare the findings summary", d);
	sqlite3_finalize(st);
	if (r == 0)
		*ret_run = run;
	return r;
}
