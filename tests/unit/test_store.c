/* Migrations, and every query file against a freshly migrated database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirent.h>
#include <jansson.h>

#include "store/db.h"
#include "store/migrate.h"
#include "store/query.h"

static struct store *g_store;
static const char *g_root;
static int g_checked;

static void migrates_to_newest_and_refuses_newer(void **state)
{
	struct store *s = NULL;
	struct err_detail d;
	sqlite3_stmt *st;

	(void)state;
	assert_int_equal(store_open(":memory:", 0, &s, &d), 0);
	assert_int_equal(sqlite3_prepare_v2(store_db(s), "PRAGMA user_version",
					    -1, &st, NULL), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), migrations_count);
	sqlite3_finalize(st);
	/* Running again is a no-op. */
	assert_int_equal(migrate_up(store_db(s), &d), 0);
	assert_int_equal(store_exec(s, "PRAGMA user_version = 999", &d), 0);
	assert_int_equal(migrate_up(store_db(s), &d), -ERR_SCHEMA);
	store_close(s);
}

/*
 * A history file in a fresh directory, under a name that needs URI
 * escaping: at the newest schema (version -1), at the first one (1, as
 * that release left it), or claiming a later one.
 */
struct tmp_history {
	char dir[64];
	char path[128];
};

static void tmp_history_init(struct tmp_history *h, int version)
{
	struct store *s = NULL;
	struct err_detail d;
	sqlite3 *db = NULL;
	char pragma[64];

	snprintf(h->dir, sizeof(h->dir), "/tmp/amlfs-store-XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	snprintf(h->path, sizeof(h->path), "%s/a ?b#c%%41d.db", h->dir);
	if (version == 1) {
		assert_int_equal(sqlite3_open(h->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, migrations[0].sql, NULL,
					      NULL, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 1",
					      NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
		return;
	}
	assert_int_equal(store_open(h->path, 0, &s, &d), 0);
	if (version >= 0) {
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
			 version);
		assert_int_equal(store_exec(s, pragma, &d), 0);
	}
	store_close(s);
}

static void tmp_history_release(struct tmp_history *h)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char name[160];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%s%s", h->path, sfx[i]);
		unlink(name);
	}
	rmdir(h->dir);
}

static int page_size(struct store *s)
{
	sqlite3_stmt *st;
	int n;

	assert_int_equal(sqlite3_prepare_v2(store_db(s), "PRAGMA page_size",
					    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/*
 * A new history has 16 KiB pages; one made with SQLite's 4 KiB keeps
 * them, opens, migrates and is read as before.
 */
static void new_histories_have_16_kib_pages(void **state)
{
	struct tmp_history h;
	struct store *s = NULL;
	struct err_detail d;
	sqlite3 *db = NULL;

	(void)state;
	tmp_history_init(&h, -1);
	assert_int_equal(store_open(h.path, 0, &s, &d), 0);
	assert_int_equal(page_size(s), 16384);
	store_close(s);
	tmp_history_release(&h);

	snprintf(h.dir, sizeof(h.dir), "/tmp/amlfs-store-XXXXXX");
	assert_non_null(mkdtemp(h.dir));
	snprintf(h.path, sizeof(h.path), "%s/old.db", h.dir);
	assert_int_equal(sqlite3_open(h.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA page_size = 4096; "
				      "CREATE TABLE x (a); DROP TABLE x",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(h.path, 0, &s, &d), 0);
	assert_int_equal(page_size(s), 4096);
	store_close(s);
	assert_int_equal(store_open(h.path, STORE_READONLY, &s, &d), 0);
	assert_int_equal(page_size(s), 4096);
	store_close(s);
	tmp_history_release(&h);
}

/*
 * A VFS over the default one whose main database file answers its first
 * g_refuse lock requests past SHARED with SQLITE_BUSY: what a second
 * process switching the same new history into WAL mode makes it answer,
 * here without a second process or a clock.
 */
struct busy_file {
	sqlite3_file base;
	sqlite3_file *real;
	int main_db;
};

static sqlite3_vfs *g_real_vfs;
static sqlite3_vfs g_busy_vfs;
static sqlite3_io_methods g_busy_io;
static int g_refuse, g_refused;

#define REAL(f) (((struct busy_file *)(f))->real)

static int busy_close(sqlite3_file *f)
{
	int rc = REAL(f)->pMethods->xClose(REAL(f));

	f->pMethods = NULL;
	return rc;
}

static int busy_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int busy_write(sqlite3_file *f, const void *buf, int n,
		      sqlite3_int64 off)
{
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int busy_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int busy_sync(sqlite3_file *f, int flags)
{
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int busy_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int busy_lock(sqlite3_file *f, int level)
{
	if (((struct busy_file *)f)->main_db && level > SQLITE_LOCK_SHARED &&
	    g_refused < g_refuse) {
		g_refused++;
		return SQLITE_BUSY;
	}
	return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int busy_unlock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int busy_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int busy_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int busy_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int busy_device(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int busy_shm_map(sqlite3_file *f, int region, int size, int extend,
			void volatile **out)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, out);
}

static int busy_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void busy_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int busy_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int busy_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **out)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, out);
}

static int busy_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static int busy_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f,
		     int flags, int *out_flags)
{
	struct busy_file *b = (struct busy_file *)f;
	int rc;

	(void)vfs;
	b->real = (sqlite3_file *)(b + 1);
	rc = g_real_vfs->xOpen(g_real_vfs, name, b->real, flags, out_flags);
	if (rc != SQLITE_OK || !b->real->pMethods) {
		f->pMethods = NULL;
		return rc;
	}
	b->main_db = !!(flags & SQLITE_OPEN_MAIN_DB);
	/* The unix VFS's methods are version 3: every one is forwarded. */
	assert_true(b->real->pMethods->iVersion >= 3);
	f->pMethods = &g_busy_io;
	return SQLITE_OK;
}

static void busy_vfs_install(int refuse)
{
	static const sqlite3_io_methods io = {
		3, busy_close, busy_read, busy_write, busy_truncate, busy_sync,
		busy_file_size, busy_lock, busy_unlock, busy_check_reserved,
		busy_file_control, busy_sector_size, busy_device, busy_shm_map,
		busy_shm_lock, busy_shm_barrier, busy_shm_unmap, busy_fetch,
		busy_unfetch,
	};

	g_real_vfs = sqlite3_vfs_find(NULL);
	assert_non_null(g_real_vfs);
	g_busy_io = io;
	g_busy_vfs = *g_real_vfs;
	g_busy_vfs.zName = "amlfs-busy";
	g_busy_vfs.pNext = NULL;
	g_busy_vfs.szOsFile = (int)sizeof(struct busy_file) +
			      g_real_vfs->szOsFile;
	g_busy_vfs.xOpen = busy_open;
	g_refuse = refuse;
	g_refused = 0;
	assert_int_equal(sqlite3_vfs_register(&g_busy_vfs, 1), SQLITE_OK);
}

/* A teardown, so a failed test leaves the default VFS to the next. */
static int busy_vfs_remove(void **state)
{
	(void)state;
	if (g_real_vfs && sqlite3_vfs_register(g_real_vfs, 1) != SQLITE_OK)
		return -1;
	return sqlite3_vfs_unregister(&g_busy_vfs) == SQLITE_OK ? 0 : -1;
}

/*
 * Two collects racing on a brand-new history (a CI run failed on it): SQLite
 * answers SQLITE_BUSY to the switch into WAL mode at once, without its busy
 * handler, and the history must wait that out as it waits out any lock.
 */
static void a_new_history_waits_out_a_busy_switch_to_wal(void **state)
{
	struct tmp_history h;
	struct store *s = NULL;
	struct err_detail d;
	sqlite3_stmt *st;

	(void)state;
	snprintf(h.dir, sizeof(h.dir), "/tmp/amlfs-store-XXXXXX");
	assert_non_null(mkdtemp(h.dir));
	snprintf(h.path, sizeof(h.path), "%s/new.db", h.dir);
	busy_vfs_install(3);
	assert_int_equal(store_open(h.path, 0, &s, &d), 0);
	assert_int_equal(g_refused, 3);
	assert_int_equal(sqlite3_prepare_v2(store_db(s), "PRAGMA journal_mode",
					    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	store_close(s);
	tmp_history_release(&h);
}

static void readers_cannot_write(void **state)
{
	struct tmp_history h;
	struct store *s = NULL, *scratch = NULL;
	struct err_detail d;
	char sql[256];

	(void)state;
	tmp_history_init(&h, -1);
	assert_int_equal(store_open(h.path, STORE_READONLY | STORE_QUERY_ONLY,
				    &s, &d), 0);
	assert_int_equal(store_exec(s, "DELETE FROM runs", &d), -ERR_SQL);
	assert_int_equal(store_exec(s, "CREATE TEMP VIEW v AS SELECT 1", &d),
			 -ERR_SQL);
	/* Lifted for TEMP helpers, the file itself stays read-only. */
	assert_int_equal(store_query_only(s, 0, &d), 0);
	assert_int_equal(store_exec(s, "CREATE TEMP VIEW v AS SELECT 1", &d),
			 0);
	assert_int_equal(store_exec(s, "DELETE FROM runs", &d), -ERR_SQL);
	assert_non_null(strstr(d.msg, "readonly"));
	assert_int_equal(store_query_only(s, 1, &d), 0);
	/* A scratch database reads it through the URI, and cannot write. */
	assert_int_equal(store_open(":memory:", 0, &scratch, &d), 0);
	assert_non_null(strstr(store_attach_uri(s), "mode=ro"));
	assert_null(strchr(store_attach_uri(s), ' '));
	snprintf(sql, sizeof(sql), "ATTACH DATABASE '%s' AS h",
		 store_attach_uri(s));
	assert_int_equal(store_exec(scratch, sql, &d), 0);
	assert_int_equal(store_exec(scratch, "SELECT count(*) FROM h.runs",
				    &d), 0);
	assert_int_equal(store_exec(scratch, "DELETE FROM h.runs", &d),
			 -ERR_SQL);
	assert_non_null(strstr(d.msg, "readonly"));
	store_close(scratch);
	store_close(s);
	tmp_history_release(&h);
}

static void readers_refuse_other_versions_and_migrate_says_what(void **state)
{
	struct tmp_history h;
	struct store *s = NULL;
	struct err_detail d;
	int from = -1, to = -1;

	(void)state;
	tmp_history_init(&h, 1);
	assert_int_equal(store_open(h.path, STORE_READONLY, &s, &d),
			 -ERR_SCHEMA_OLD);
	assert_non_null(strstr(d.msg, "run 'amlfs-audit migrate' first"));
	assert_non_null(strstr(d.where, h.path));
	assert_int_equal(store_open(h.path, STORE_NO_MIGRATE, &s, &d), 0);
	assert_int_equal(store_migrate(s, &from, &to, &d), 0);
	assert_int_equal(from, 1);
	assert_int_equal(to, migrations_count);
	assert_int_equal(store_migrate(s, &from, &to, &d), 0);
	assert_int_equal(from, migrations_count);
	store_close(s);
	assert_int_equal(store_open(h.path, STORE_READONLY, &s, &d), 0);
	store_close(s);
	tmp_history_release(&h);

	tmp_history_init(&h, migrations_count + 1);
	assert_int_equal(store_open(h.path, STORE_READONLY, &s, &d),
			 -ERR_SCHEMA);
	assert_int_equal(store_open(h.path, STORE_NO_MIGRATE, &s, &d),
			 -ERR_SCHEMA);
	assert_int_equal(store_open(h.path, 0, &s, &d), -ERR_SCHEMA);
	assert_non_null(strstr(d.msg, "newer"));
	tmp_history_release(&h);
}

static const struct query_param g_params[] = {
	{ ":run_id", QP_INT, 1, NULL },
	{ ":limit", QP_INT, 10, NULL },
	{ ":from", QP_TEXT, 0, "2026-10-01" },
	{ ":to", QP_TEXT, 0, "2026-10-31" },
	{ ":as_of", QP_NULL, 0, NULL },
	{ ":month", QP_TEXT, 0, "2026-10" },
	{ ":allocate_by", QP_TEXT, 0, "[\"CostCenter\"]" },
	{ ":variance_pct", QP_INT, 10, NULL },
	{ ":usage", QP_NULL, 0, NULL },
	{ ":run", QP_NULL, 0, NULL },
};

/*
 * The "setup" queries of every report definition (the JSON files of
 * reports/), run as the report engine runs them, so the datasets that read
 * their TEMP tables prepare and run too. Returns how many ran.
 */
static int run_setups(void)
{
	char *dir = malloc(strlen(g_root) + 16);
	struct dirent *e;
	int ran = 0;
	DIR *dh;

	strcpy(dir, g_root);
	strcat(dir, "/reports");
	dh = opendir(dir);
	assert_non_null(dh);
	while ((e = readdir(dh))) {
		size_t n = strlen(e->d_name), i;
		json_error_t je;
		json_t *root, *v;
		char *path;

		if (n < 5 || strcmp(e->d_name + n - 5, ".json"))
			continue;
		path = malloc(strlen(dir) + n + 2);
		sprintf(path, "%s/%s", dir, e->d_name);
		root = json_load_file(path, 0, &je);
		assert_non_null(root);
		json_array_foreach(json_object_get(root, "setup"), i, v) {
			struct err_detail d = { "", "" };
			sqlite3_stmt *st = NULL;
			int rc;

			if (query_open_writer(g_store, g_root, json_string_value(v),
					      g_params, sizeof(g_params) /
					      sizeof(g_params[0]), &st, &d) < 0)
				fail_msg("%s: %s (%s)", json_string_value(v),
					 d.msg, d.where);
			while ((rc = sqlite3_step(st)) == SQLITE_ROW)
				;
			if (rc != SQLITE_DONE)
				fail_msg("%s: %s", json_string_value(v),
					 sqlite3_errmsg(store_db(g_store)));
			sqlite3_finalize(st);
			ran++;
		}
		json_decref(root);
		free(path);
	}
	closedir(dh);
	free(dir);
	return ran;
}

static int check_one(const char *path, const struct stat *sb, int type,
		     struct FTW *ftw)
{
	struct err_detail d = { "", "" };
	sqlite3_stmt *st = NULL;
	size_t n = strlen(path);
	const char *rel;
	json_t *rows = NULL;

	(void)sb;
	(void)ftw;
	if (type != FTW_F || n < 4 || strcmp(path + n - 4, ".sql"))
		return 0;
	rel = path + strlen(g_root) + strlen("/queries/");
	/* Rules need the policy functions: tests/unit/test_policy.c runs them. */
	if (!strncmp(rel, "rules/", 6))
		return 0;
	/* The compliance report's need the report engine's parameters and
	 * functions: tests/unit/test_report.c runs them. */
	if (!strncmp(rel, "compliance/", 11))
		return 0;
	/* A report's setup writes TEMP tables: run_setups() ran it. */
	if (strstr(rel, "/setup/"))
		return 0;
	if (query_open(g_store, g_root, rel, g_params,
		       sizeof(g_params) / sizeof(g_params[0]), &st, &d) < 0)
		fail_msg("%s: %s (%s)", rel, d.msg, d.where);
	if (query_rows(st, &rows, &d) < 0)
		fail_msg("%s: %s", rel, d.msg);
	json_decref(rows);
	sqlite3_finalize(st);
	g_checked++;
	return 0;
}

static void every_query_prepares_and_runs(void **state)
{
	struct err_detail d;
	char *dir;

	(void)state;
	g_root = getenv("SOURCE_ROOT");
	assert_non_null(g_root);
	assert_int_equal(store_open(":memory:", 0, &g_store, &d), 0);
	assert_true(run_setups() >= 1);
	dir = malloc(strlen(g_root) + 16);
	strcpy(dir, g_root);
	strcat(dir, "/queries");
	assert_int_equal(nftw(dir, check_one, 8, FTW_PHYS), 0);
	assert_true(g_checked >= 4);
	free(dir);
	store_close(g_store);
}

static void query_errors_name_the_file(void **state)
{
	struct err_detail d;
	sqlite3_stmt *st = NULL;

	(void)state;
	g_root = getenv("SOURCE_ROOT");
	assert_int_equal(store_open(":memory:", 0, &g_store, &d), 0);
	assert_int_equal(query_open(g_store, g_root, "runs/list.sql", NULL, 0,
				    &st, &d), -ERR_USAGE);
	assert_non_null(strstr(d.msg, ":limit"));
	assert_non_null(strstr(d.where, "queries/runs/list.sql"));
	assert_int_equal(query_open(g_store, g_root, "no/such.sql", NULL, 0,
				    &st, &d), -ENOENT);
	store_close(g_store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(migrates_to_newest_and_refuses_newer),
		cmocka_unit_test(readers_cannot_write),
		cmocka_unit_test(new_histories_have_16_kib_pages),
		cmocka_unit_test_teardown(
			a_new_history_waits_out_a_busy_switch_to_wal,
			busy_vfs_remove),
		cmocka_unit_test(readers_refuse_other_versions_and_migrate_says_what),
		cmocka_unit_test(every_query_prepares_and_runs),
		cmocka_unit_test(query_errors_name_the_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
