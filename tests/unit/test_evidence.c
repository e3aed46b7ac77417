/* Evidence storage, URL redaction and the run hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "evidence/pack.h"
#include "evidence/tally.h"
#include "store/chain.h"
#include "store/evidence.h"
#include "util/fs.h"

static void redacts_secrets_only(void **state)
{
	static const char *const cases[][2] = {
		{ "https://h/p?api-version=1&$skipToken=abc",
		  "https://h/p?api-version=1&$skipToken=abc" },
		{ "https://acct.blob.core.windows.net/c?sv=1&sig=SECRET&se=2",
		  "https://acct.blob.core.windows.net/c?sv=1&sig=REDACTED&se=2" },
		{ "https://h/t?client_secret=s3&Code=x#frag",
		  "https://h/t?client_secret=REDACTED&Code=REDACTED" },
		{ "http://user:pw@proxy:8080/x", "http://REDACTED@proxy:8080/x" },
		{ "https://user:p@ss@h/x", "https://REDACTED@h/x" },
		{ "u:pw@h/?r=https://x", "REDACTED@h/?r=https://x" },
		{ "https://h/no-query", "https://h/no-query" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = url_redact(cases[i][0]);

		assert_string_equal(r, cases[i][1]);
		free(r);
	}
}

static struct store *fresh(void)
{
	struct store *s = NULL;
	struct err_detail d;

	assert_int_equal(store_open(":memory:", 0, &s, &d), 0);
	assert_int_equal(store_exec(s, "INSERT INTO runs (id, started_at, "
		"status, tool_version, source, scope) VALUES (1, 'x', "
		"'running', 't', 'replay', '{}'), (2, 'y', 'running', 't', "
		"'replay', '{}')", &d), 0);
	return s;
}

static void add(struct store *s, sqlite3_int64 run, int seq, const char *body)
{
	struct evidence_item e = {
		.run_id = run, .seq = seq, .kind = "filesystems", .subject = "s",
		.method = "GET", .url = "https://h/x?sig=abc", .status = 200,
		.fetched_at = 1767225600, .body = body,
		.body_len = strlen(body),
	};
	sqlite3_int64 id;
	char sha[SHA256_HEX_LEN + 1];
	struct err_detail d;
	struct evidence_writer *w = evidence_writer_new(s);

	assert_int_equal(evidence_add(w, &e, &id, sha, &d), 0);
	evidence_writer_free(w);
	assert_int_equal(strlen(sha), 64);
}

static void bodies_are_stored_once(void **state)
{
	struct store *s = fresh();

	(void)state;
	add(s, 1, 1, "{\"value\":[]}");
	add(s, 2, 1, "{\"value\":[]}");
	add(s, 2, 2, "{\"value\":[1]}");
	assert_int_equal(scalar(s, "SELECT count(*) FROM bodies"), 2);
	assert_int_equal(scalar(s, "SELECT count(*) FROM evidence"), 3);
	assert_int_equal(scalar(s, "SELECT count(*) FROM evidence_log WHERE "
				"url LIKE '%sig=REDACTED'"), 3);
	assert_int_equal(scalar(s, "SELECT count(*) FROM requests"), 1);
	/* sha256sum of the 12-byte body {"value":[]} */
	assert_int_equal(scalar(s, "SELECT count(*) FROM evidence_log WHERE sha256 = "
		"'99bcfca61a865fe7ac5bb675250de956e8e0fb175d59adac80bb2fb177154a2c'"),
		2);
	store_close(s);
}

static void run_hash_covers_evidence_and_link(void **state)
{
	struct store *s = fresh();
	char h1[SHA256_HEX_LEN + 1], h2[SHA256_HEX_LEN + 1];
	char h3[SHA256_HEX_LEN + 1];
	struct err_detail d;

	(void)state;
	add(s, 1, 1, "{\"value\":[]}");
	assert_int_equal(chain_seal_run(s, 1, "ok", NULL, &d), 0);
	add(s, 2, 1, "{\"value\":[]}");
	assert_int_equal(chain_seal_run(s, 2, "ok", NULL, &d), 0);
	assert_int_equal(scalar(s, "SELECT count(*) FROM runs r2 JOIN runs r1 "
				"ON r1.id = 1 WHERE r2.id = 2 AND "
				"r2.prev_hash = r1.run_hash"), 1);
	assert_int_equal(chain_run_hash(s, 2, h1, &d), 0);
	assert_int_equal(store_exec(s, "UPDATE evidence SET status = 201 "
				    "WHERE run_id = 2", &d), 0);
	assert_int_equal(chain_run_hash(s, 2, h2, &d), 0);
	assert_string_not_equal(h1, h2);
	assert_int_equal(store_exec(s, "UPDATE evidence SET status = 200 "
				    "WHERE run_id = 2; UPDATE runs SET "
				    "prev_hash = 'x' WHERE id = 2", &d), 0);
	assert_int_equal(chain_run_hash(s, 2, h3, &d), 0);
	assert_string_not_equal(h1, h3);
	store_close(s);
}

/* Hash of run 2 after edit, in encoding version (1 or 2). */
static void hash_after(struct store *s, int version, const char *edit,
		       char out[SHA256_HEX_LEN + 1])
{
	struct err_detail d;
	char sql[512];

	snprintf(sql, sizeof(sql), "UPDATE runs SET hash_version = %d; %s",
		 version, edit);
	assert_int_equal(store_exec(s, sql, &d), 0);
	assert_int_equal(chain_run_hash(s, 2, out, &d), 0);
}

/*
 * Version 1 hashed fields as NUL-terminated text: these edits left the
 * hash as it was. Version 2 (typed, length-prefixed) sees each; a run of
 * version 1 still hashes as before.
 */
static void hash_v2_has_no_collisions(void **state)
{
	static const char *const edit[][2] = {
		/* NULL and the text "\x01" */
		{ "UPDATE runs SET notes = NULL WHERE id = 2",
		  "UPDATE runs SET notes = char(1) WHERE id = 2" },
		/* anything after an embedded NUL */
		{ "UPDATE requests SET url = 'https://h/x'",
		  "UPDATE requests SET url = url || char(0) || '&injected=1'" },
		/* the same bytes as text and as a blob */
		{ "UPDATE runs SET scope = '{}' WHERE id = 2",
		  "UPDATE runs SET scope = CAST('{}' AS BLOB) WHERE id = 2" },
	};
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];
	struct err_detail d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(edit) / sizeof(edit[0]); i++) {
		struct store *s = fresh();

		add(s, 2, 1, "{\"value\":[]}");
		assert_int_equal(store_exec(s, "UPDATE requests SET url = "
					    "'https://h/x'", &d), 0);
		hash_after(s, 1, edit[i][0], a);
		hash_after(s, 1, edit[i][1], b);
		if (strcmp(a, b))
			fail_msg("case %zu: version 1 told them apart", i);
		hash_after(s, 2, edit[i][0], a);
		hash_after(s, 2, edit[i][1], b);
		if (!strcmp(a, b))
			fail_msg("case %zu: version 2 collides", i);
		/* The version is covered: relabelling a run changes it. */
		hash_after(s, 1, edit[i][0], b);
		hash_after(s, 2, edit[i][0], a);
		assert_string_not_equal(a, b);
		store_close(s);
	}
}

/* Export run `run` to a pack under dir/name and verify it: no problems. */
static void pack_round_trip(struct store *s, sqlite3_int64 run,
			    const char *dir, const char *name)
{
	struct pack_options o = { run, 0, NULL, 0, NULL, "test" };
	struct strlist problems = { NULL, 0 };
	struct pack_summary sum;
	struct err_detail d;
	char *out = fs_join(dir, name), want[SHA256_HEX_LEN + 1];
	size_t i;

	assert_int_equal(chain_run_hash(s, run, want, &d), 0);
	if (pack_export(s, &o, out, &sum, &d) < 0)
		fail_msg("export: %s", d.msg);
	assert_int_equal(pack_verify(out, NULL, &problems, &sum, &d), 0);
	for (i = 0; i < problems.n; i++)
		print_error("%s\n", problems.v[i]);
	assert_int_equal(problems.n, 0);
	assert_int_equal(sum.nruns, 1);
	assert_string_equal(sum.hash[0], want);
	strlist_release(&problems);
	free(out);
}

/*
 * Every kind of value the run hash covers survives the manifest exactly:
 * a blob, text that is not UTF-8, a real, an infinite real, and a run of
 * hash encoding 1.
 */
static void pack_keeps_every_value_exactly(void **state)
{
	char dir[] = "/tmp/amlfs-pack-XXXXXX", cmd[64];
	struct store *s = fresh();
	struct err_detail d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	add(s, 1, 1, "{\"value\":[]}");
	add(s, 1, 2, "not json");
	assert_int_equal(store_exec(s, "UPDATE runs SET notes = X'FF00FE', "
				    "tenant_id = 0.1, principal_id = 9e999, "
				    "scope = CAST(X'C328' AS TEXT) WHERE id = 1",
				    &d), 0);
	assert_int_equal(chain_seal_run(s, 1, "ok", "bad \xc3\x28", &d), 0);
	pack_round_trip(s, 1, dir, "p1");
	pack_round_trip(s, 1, dir, "p1.tar.gz");
	add(s, 2, 1, "[1]");
	assert_int_equal(store_exec(s, "UPDATE runs SET hash_version = 1, "
				    "notes = 2.5 WHERE id = 2", &d), 0);
	assert_int_equal(chain_seal_run(s, 2, "ok", NULL, &d), 0);
	pack_round_trip(s, 2, dir, "p2");
	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Run 1's streamed hash is its hash loaded and encoded, after sql. */
static void streamed_is_loaded(struct store *s, const char *sql)
{
	char a[SHA256_HEX_LEN + 1], b[SHA256_HEX_LEN + 1];
	struct chain_run run;
	struct err_detail d;

	assert_int_equal(store_exec(s, sql, &d), 0);
	assert_int_equal(chain_run_hash(s, 1, a, &d), 0);
	assert_int_equal(chain_run_load(s, 1, &run, &d), 0);
	assert_int_equal(chain_run_encode(&run, b), 0);
	chain_run_release(&run);
	assert_string_equal(a, b);
}

/*
 * chain_run_hash() streams the evidence from the tables under the
 * evidence_log view and turns a blob request id into the view's text
 * itself; chain_run_load() reads the view (what packs carry). Both give
 * the same hash for every kind of stored request id, in both encodings.
 */
static void streamed_hash_is_the_loaded_hash(void **state)
{
	static const char *const ids[] = {
		"X''", "X'0102030405'", "X'00112233445566778899AABBCCDDEEFF'",
		"X'00112233445566778899AABBCCDDEEFF0011223344'", "'text-id'",
		"NULL", "7", "X'0A0B0C0D0E0F10'",
	};
	struct store *s = fresh();
	struct err_detail d;
	char sql[160];
	size_t i;
	int v;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(sql, sizeof(sql), "{\"n\":%zu}", i);
		add(s, 1, (int)i + 1, sql);
		snprintf(sql, sizeof(sql), "UPDATE evidence SET request_id = %s "
			 "WHERE run_id = 1 AND seq = %zu", ids[i], i + 1);
		assert_int_equal(store_exec(s, sql, &d), 0);
	}
	for (v = 1; v <= 2; v++) {
		snprintf(sql, sizeof(sql), "UPDATE runs SET hash_version = %d "
			 "WHERE id = 1", v);
		streamed_is_loaded(s, sql);
	}
	store_close(s);
}

/*
 * chain_run_hash() writes an integer time from year 0000 to 9999 itself
 * and leaves any other value to the view's strftime(): the same hash as
 * the view gives for edge days, a spread of times, values that are not
 * integers or out of range, and each kind of run time_base (none, an
 * integer, a real, one that overflows the sum, one that makes it
 * negative), in both encodings.
 */
static void streamed_times_are_the_view_s_times(void **state)
{
	static const char *const edges[] = {
		"0", "59", "86399", "86400", "951782400", "951868799",
		"4107542399", "4107542400", "253402300799", "253402300800",
		"-1", "5.5", "'2026-01-01T00:00:00Z'", "'abc'", "X'00'",
		"9223372036854775807",
	};
	static const char *const bases[] = {
		"NULL", "0", "1700000000", "2.5", "9223372036854775000",
		"-100000000000",
	};
	size_t nedges = sizeof(edges) / sizeof(edges[0]);
	struct store *s = fresh();
	struct err_detail d;
	char sql[192];
	unsigned long long x = 88172645463325252ULL;
	size_t i, k;
	int v;

	(void)state;
	for (i = 0; i < nedges + 200; i++) {
		snprintf(sql, sizeof(sql), "{\"t\":%zu}", i);
		add(s, 1, (int)i + 1, sql);
		if (i < nedges) {
			snprintf(sql, sizeof(sql), "UPDATE evidence SET "
				 "fetched_at = %s WHERE run_id = 1 AND "
				 "seq = %zu", edges[i], i + 1);
		} else {
			x ^= x << 13;	/* xorshift64: the same spread each time */
			x ^= x >> 7;
			x ^= x << 17;
			snprintf(sql, sizeof(sql), "UPDATE evidence SET "
				 "fetched_at = %llu WHERE run_id = 1 AND "
				 "seq = %zu", x % 253402300800ULL, i + 1);
		}
		assert_int_equal(store_exec(s, sql, &d), 0);
	}
	for (k = 0; k < sizeof(bases) / sizeof(bases[0]); k++) {
		for (v = 1; v <= 2; v++) {
			snprintf(sql, sizeof(sql), "UPDATE runs SET "
				 "hash_version = %d, time_base = %s WHERE id = 1",
				 v, bases[k]);
			streamed_is_loaded(s, sql);
		}
	}
	store_close(s);
}

/*
 * An evidence row whose run_id was edited to text or a blob that reads as
 * the run's number in arithmetic ('1x' + 0 is 1) is not the run's to the
 * view, nor to the streamed hash: the two hashes stay equal, and the edit
 * changes the run's hash (the row is gone from it).
 */
static void an_edited_run_id_leaves_the_run(void **state)
{
	static const char *const edits[] = { "'1x'", "X'31'", "'1'", "1.0" };
	char before[SHA256_HEX_LEN + 1], after[SHA256_HEX_LEN + 1], sql[160];
	struct store *s = fresh();
	struct err_detail d;
	size_t i;

	(void)state;
	add(s, 1, 1, "{\"a\":1}");
	add(s, 1, 2, "{\"b\":2}");
	streamed_is_loaded(s, "UPDATE runs SET hash_version = 2 WHERE id = 1");
	assert_int_equal(chain_run_hash(s, 1, before, &d), 0);
	assert_int_equal(store_exec(s, "PRAGMA foreign_keys = OFF", &d), 0);
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		assert_int_equal(store_exec(s, "SAVEPOINT e", &d), 0);
		snprintf(sql, sizeof(sql), "UPDATE evidence SET run_id = %s "
			 "WHERE seq = 2", edits[i]);
		streamed_is_loaded(s, sql);
		assert_int_equal(chain_run_hash(s, 1, after, &d), 0);
		/* '1' and 1.0 are stored as the integer 1: the same run */
		if (i < 2)
			assert_string_not_equal(before, after);
		else
			assert_string_equal(before, after);
		assert_int_equal(store_exec(s, "ROLLBACK TO e; RELEASE e",
					    &d), 0);
	}
	store_close(s);
}

/* The tally of run 2's findings held to the summary: 0, or the check. */
static sqlite3_int64 tally_check(struct store *s, char *why, size_t len)
{
	struct finding_tally *t = finding_tally_new();
	char hash[SHA256_HEX_LEN + 1];
	sqlite3_int64 check = -2;
	struct err_detail d;

	assert_non_null(t);
	assert_int_equal(chain_run_hash_each(s, 2, hash, finding_tally_row, t,
					     &d), 0);
	assert_int_equal(finding_tally_compare(t, s, &check, why, len, &d), 0);
	finding_tally_free(t);
	return check;
}

/*
 * The tally encodes each finding whole, however long (its buffer once
 * stopped at 4 KiB, and an edit past that could not show): a summary
 * edited at byte 4,500 of a 6,000-byte resource id, or in its last byte,
 * is named.
 */
static void tally_sees_an_edit_past_4_kib(void **state)
{
	static const char *const edits[] = {
		"substr(resource_id, 1, 4499) || 'X' || "
		"substr(resource_id, 4501)",
		"substr(resource_id, 1, 5999) || 'Y'",
	};
	struct store *s = fresh();
	struct err_detail d;
	char why[512], sql[256];
	size_t i;

	(void)state;
	assert_int_equal(store_exec(s, "UPDATE runs SET source = 'check', "
		"hash_version = 2, scope = '{\"judged_run\":1}' WHERE id = 2;"
		"UPDATE runs SET hash_version = 2 WHERE id = 1;"
		"INSERT INTO findings (check_run, judged_run, rule, "
		"resource_id, status, severity, reason, first_seen) VALUES "
		"(2, 1, 'r1', '/subscriptions/s/' || printf('%.5983c', 'a'), "
		"'alarm', 'high', 'why', '2026-01-01T00:00:00Z'), "
		"(2, 1, 'r2', '/subscriptions/s/' || printf('%.5983c', 'b'), "
		"'ok', 'low', 'fine', '2026-01-02T00:00:00Z');"
		"INSERT INTO finding_runs SELECT * FROM finding_runs_derived;"
		"INSERT INTO finding_checks SELECT * FROM "
		"finding_checks_derived;", &d), 0);
	assert_int_equal(tally_check(s, why, sizeof(why)), 0);
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		snprintf(sql, sizeof(sql), "UPDATE finding_runs SET "
			 "resource_id = %s WHERE rule = 'r1'", edits[i]);
		assert_int_equal(store_exec(s, "SAVEPOINT e", &d), 0);
		assert_int_equal(store_exec(s, sql, &d), 0);
		assert_int_equal(tally_check(s, why, sizeof(why)), 2);
		assert_int_equal(store_exec(s, "ROLLBACK TO e; RELEASE e",
					    &d), 0);
		assert_int_equal(tally_check(s, why, sizeof(why)), 0);
	}
	store_close(s);
}

/*
 * SQLite's allocator with a countdown: after g_fail_after more
 * allocations, each one fails (-1: none fails). Installed by main()
 * before SQLite starts.
 */
static sqlite3_mem_methods g_mem;
static long g_fail_after = -1;

static int fail_now(void)
{
	if (g_fail_after < 0)
		return 0;
	if (g_fail_after == 0)
		return 1;
	g_fail_after--;
	return 0;
}

static void *failing_malloc(int n)
{
	return fail_now() ? NULL : g_mem.xMalloc(n);
}

static void *failing_realloc(void *p, int n)
{
	return fail_now() ? NULL : g_mem.xRealloc(p, n);
}

static void install_failing_malloc(void)
{
	sqlite3_mem_methods m;

	assert_int_equal(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &g_mem),
			 SQLITE_OK);
	m = g_mem;
	m.xMalloc = failing_malloc;
	m.xRealloc = failing_realloc;
	assert_int_equal(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK);
}

/*
 * When SQLite has no memory for a value's text, chain_view_column() says
 * so (-ENOMEM), not an empty value; and a run's hash under every failing
 * allocation in turn is either its hash or an error, never another hash
 * (hash encoding 1 reads every value as text, so numbers are converted).
 */
static void no_memory_is_an_error_never_a_hash(void **state)
{
	char want[SHA256_HEX_LEN + 1], got[SHA256_HEX_LEN + 1];
	struct store *s = fresh();
	struct chain_value v;
	struct err_detail d;
	sqlite3_stmt *st;
	long k, errors = 0;
	int r, failed = 0;

	(void)state;
	/* Small allocations from the general allocator, not lookaside. */
	assert_int_equal(sqlite3_db_config(store_db(s),
					   SQLITE_DBCONFIG_LOOKASIDE, NULL, 0,
					   0), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(store_db(s), "SELECT 12345", -1,
					    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	g_fail_after = 0;
	r = chain_view_column(&v, st, 0, 1);
	g_fail_after = -1;
	assert_int_equal(r, -ENOMEM);
	sqlite3_reset(st);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(chain_view_column(&v, st, 0, 1), 0);
	assert_string_equal(v.p, "12345");
	sqlite3_finalize(st);

	add(s, 1, 1, "{\"a\":1}");
	add(s, 1, 2, "{\"b\":2}");
	assert_int_equal(store_exec(s, "UPDATE runs SET hash_version = 1, "
				    "notes = 2.5 WHERE id = 1", &d), 0);
	assert_int_equal(chain_run_hash(s, 1, want, &d), 0);
	for (k = 0;; k++) {
		g_fail_after = k;
		r = chain_run_hash(s, 1, got, &d);
		failed = g_fail_after == 0;
		g_fail_after = -1;
		if (r == 0)
			assert_string_equal(got, want);
		else
			errors++;
		if (!failed)
			break;		/* no allocation failed: done */
	}
	/* (SQLite rides out some failed allocations; most are errors) */
	assert_true(errors > 0);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(redacts_secrets_only),
		cmocka_unit_test(bodies_are_stored_once),
		cmocka_unit_test(run_hash_covers_evidence_and_link),
		cmocka_unit_test(hash_v2_has_no_collisions),
		cmocka_unit_test(pack_keeps_every_value_exactly),
		cmocka_unit_test(streamed_hash_is_the_loaded_hash),
		cmocka_unit_test(streamed_times_are_the_view_s_times),
		cmocka_unit_test(an_edited_run_id_leaves_the_run),
		cmocka_unit_test(tally_sees_an_edit_past_4_kib),
		cmocka_unit_test(no_memory_is_an_error_never_a_hash),
	};

	install_failing_malloc();

	return cmocka_run_group_tests(tests, NULL, NULL);
}
