#include "store/evidence.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "util/timeutil.h"

/*
 * What a run's hash covers, by version (runs.hash_version). Old runs keep
 * theirs. Version 1 hashed each field as NUL-terminated text: NULL and
 * "\x01" hashed alike, a type was lost and anything after an embedded NUL
 * was invisible. Version 2 writes each field as a type byte (N, I, R, T,
 * B), then for I and R the 8-byte big-endian value, for T and B the
 * 8-byte big-endian length and the bytes; no two rows hash alike.
 */
#define CHAIN_V1 "amlfs-audit-run/1"
#define CHAIN_V2 "amlfs-audit-run/2"

static void put_u64(struct hash_ctx *h, char type, unsigned long long v)
{
	unsigned char b[9];
	int i;

	b[0] = (unsigned char)type;
	for (i = 0; i < 8; i++)
		b[1 + i] = (unsigned char)(v >> (56 - 8 * i));
	hash_update(h, b, sizeof(b));
}

static void put_bytes(struct hash_ctx *h, char type, const void *p, size_t n)
{
	put_u64(h, type, (unsigned long long)n);
	if (n)
		hash_update(h, p, n);
}

/* One column of the current row, typed (version 2). */
static void put_column(struct hash_ctx *h, sqlite3_stmt *st, int i)
{
	double r;
	unsigned long long bits;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		hash_update(h, "N", 1);
		break;
	case SQLITE_INTEGER:
		put_u64(h, 'I', (unsigned long long)sqlite3_column_int64(st, i));
		break;
	case SQLITE_FLOAT:
		r = sqlite3_column_double(st, i);
		memcpy(&bits, &r, sizeof(bits));
		put_u64(h, 'R', bits);
		break;
	case SQLITE_TEXT:
		put_bytes(h, 'T', sqlite3_column_text(st, i),
			  (size_t)sqlite3_column_bytes(st, i));
		break;
	default:
		put_bytes(h, 'B', sqlite3_column_blob(st, i),
			  (size_t)sqlite3_column_bytes(st, i));
		break;
	}
}

/* A marker between records and groups, for both versions. */
static void put_mark(struct hash_ctx *h, int version, const char *v1, char v2)
{
	if (version == 1)
		hash_field(h, v1);
	else
		hash_update(h, &v2, 1);
}

/* Hash every column of each row stmt yields. */
static int hash_rows(struct hash_ctx *h, sqlite3_stmt *st, int version)
{
	int rc, i;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		put_mark(h, version, "\x1e", 'r');	/* record separator */
		for (i = 0; i < sqlite3_column_count(st); i++) {
			if (version == 1)
				hash_field(h, (const char *)
					   sqlite3_column_text(st, i));
			else
				put_column(h, st, i);
		}
	}
	return rc == SQLITE_DONE ? 0 : -ERR_SQL;
}

static int run_version(struct store *s, sqlite3_int64 run_id, int *ret,
		       struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	int r = store_prepare(s, "SELECT hash_version FROM runs WHERE id = ?1",
			      &st, d);

	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, run_id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*ret = sqlite3_column_int(st, 0);
		r = *ret == 1 || *ret == 2 ? 0 : -ERR_VERIFY;
		if (r < 0)
			err_set(d, "run %lld has unknown hash version %d",
				(long long)run_id, *ret);
	} else {
		r = r == SQLITE_DONE ? -ERR_NOT_FOUND :
		    store_sql_error(s, "cannot read run", d);
		if (r == -ERR_NOT_FOUND)
			err_set(d, "no run %lld", (long long)run_id);
	}
	sqlite3_finalize(st);
	return r;
}

int chain_run_hash(struct store *s, sqlite3_int64 run_id,
		   char out[SHA256_HEX_LEN + 1], struct err_detail *d)
{
	static const char *const sql[] = {
		"SELECT id, started_at, finished_at, status, tool_version, "
		"source, tenant_id, principal_id, scope, error_summary, notes, "
		"prev_hash%s FROM runs WHERE id = ?1",
		"SELECT seq, kind, subject, method, url, request_body, status, "
		"request_id, fetched_at, projected, sha256 FROM evidence_log "
		"WHERE run_id = ?1 ORDER BY seq",
		"SELECT seq, url, http_status, code, message FROM run_errors "
		"WHERE run_id = ?1 ORDER BY seq",
		"SELECT scope, list, requests, pages, items, retries, throttled, "
		"throttle_wait_ms, errors FROM run_ledger WHERE run_id = ?1 "
		"ORDER BY scope, list",
		/* Version 2: the cost sources the run made (their rows are
		 * re-derived from its evidence by verify). */
		"SELECT id, kind, name, sha256, format, cost_type, ingested_at, "
		"rows_read, rows_kept, rows_malformed, first_day, last_day "
		"FROM cost_sources WHERE run_id = ?1 ORDER BY id",
		/* and the findings of a check. */
		"SELECT judged_run, rule, resource_id, status, severity, reason, "
		"evidence, detail, exemption, first_seen FROM findings "
		"WHERE check_run = ?1 ORDER BY id",
	};
	struct hash_ctx *h = NULL;
	sqlite3_stmt *st = NULL;
	char first[256];
	size_t i;
	int r, version = 0;

	r = run_version(s, run_id, &version, d);
	if (r < 0)
		return r;
	h = hash_init();
	if (!h) {
		err_set(d, "cannot start SHA-256");
		return -ERR_CRYPTO;
	}
	if (version == 1)
		hash_field(h, CHAIN_V1);
	else
		put_bytes(h, 'T', CHAIN_V2, strlen(CHAIN_V2));
	/* Version 2 covers the version too: a run cannot be relabelled. */
	snprintf(first, sizeof(first), sql[0],
		 version == 1 ? "" : ", hash_version");
	/* Version 1 covered the first four groups. */
	for (i = 0; i < (version == 1 ? 4 : sizeof(sql) / sizeof(sql[0])); i++) {
		r = store_prepare(s, i ? sql[i] : first, &st, d);
		if (r < 0)
			goto out;
		sqlite3_bind_int64(st, 1, run_id);
		put_mark(h, version, "\x1d", 'g');	/* group separator */
		if (hash_rows(h, st, version) < 0) {
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

int chain_begin_run(struct store *s, const char *source, const char *scope,
		    sqlite3_int64 *ret, struct err_detail *d)
{
	static const char sql[] =
		"INSERT INTO runs (started_at, status, tool_version, source, "
		"scope, hash_version) VALUES (?1, 'running', ?2, ?3, ?4, "
		CHAIN_VERSION ")";
	sqlite3_stmt *st = NULL;
	char now[21];
	int r;

	time_now_iso(now);
	r = store_prepare(s, sql, &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, AMLFS_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, scope, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = store_sql_error(s, "cannot start run", d);
	else
		*ret = sqlite3_last_insert_rowid(store_db(s));
	sqlite3_finalize(st);
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
