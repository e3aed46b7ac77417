#include "store/evidence.h"

#include <stdio.h>
#include <string.h>

#include "util/timeutil.h"

/* Bump when what the hash covers changes; old runs keep their version. */
#define CHAIN_HEADER "amlfs-audit-run/1"

/* Hash every column of each row stmt yields, as text. */
static int hash_rows(struct hash_ctx *h, sqlite3_stmt *st)
{
	int rc, i;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		hash_field(h, "\x1e");	/* record separator */
		for (i = 0; i < sqlite3_column_count(st); i++)
			hash_field(h, (const char *)sqlite3_column_text(st, i));
	}
	return rc == SQLITE_DONE ? 0 : -ERR_SQL;
}

int chain_run_hash(struct store *s, sqlite3_int64 run_id,
		   char out[SHA256_HEX_LEN + 1], struct err_detail *d)
{
	static const char *const sql[] = {
		"SELECT id, started_at, finished_at, status, tool_version, "
		"source, tenant_id, principal_id, scope, error_summary, notes, "
		"prev_hash FROM runs WHERE id = ?1",
		"SELECT seq, kind, subject, method, url, request_body, status, "
		"request_id, fetched_at, projected, sha256 FROM evidence_log "
		"WHERE run_id = ?1 ORDER BY seq",
		"SELECT seq, url, http_status, code, message FROM run_errors "
		"WHERE run_id = ?1 ORDER BY seq",
		"SELECT scope, list, requests, pages, items, retries, throttled, "
		"throttle_wait_ms, errors FROM run_ledger WHERE run_id = ?1 "
		"ORDER BY scope, list",
	};
	struct hash_ctx *h = hash_init();
	sqlite3_stmt *st = NULL;
	size_t i;
	int r = 0;

	if (!h) {
		err_set(d, "cannot start SHA-256");
		return -ERR_CRYPTO;
	}
	hash_field(h, CHAIN_HEADER);
	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		r = store_prepare(s, sql[i], &st, d);
		if (r < 0)
			goto out;
		sqlite3_bind_int64(st, 1, run_id);
		hash_field(h, "\x1d");	/* group separator */
		if (hash_rows(h, st) < 0) {
			r = store_sql_error(s, "cannot read run for hashing", d);
			goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	r = hash_final(h, out);
	h = NULL;
	if (r < 0)
		err_set(d, "cannot finish SHA-256");
out:
	sqlite3_finalize(st);
	hash_free(h);
	return r;
}

int chain_seal_run(struct store *s, sqlite3_int64 run_id, const char *status,
		   const char *error_summary, struct err_detail *d)
{
	static const char upd[] =
		"UPDATE runs SET finished_at = ?2, status = ?3, "
		"error_summary = ?4, prev_hash = (SELECT run_hash FROM runs "
		"WHERE id < ?1 ORDER BY id DESC LIMIT 1) WHERE id = ?1";
	static const char set_hash[] =
		"UPDATE runs SET run_hash = ?2 WHERE id = ?1";
	char now[21], hash[SHA256_HEX_LEN + 1];
	sqlite3_stmt *st = NULL;
	int r;

	time_now_iso(now);
	r = store_prepare(s, upd, &st, d);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, error_summary, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		r = store_sql_error(s, "cannot close run", d);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	r = chain_run_hash(s, run_id, hash, d);
	if (r < 0)
		goto out;
	r = store_prepare(s, set_hash, &st, d);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_sql_error(s, "cannot store run hash", d);
out:
	sqlite3_finalize(st);
	return r;
}
