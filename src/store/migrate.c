#include "store/migrate.h"

#include <stdio.h>

int migrate_version(sqlite3 *db, int *ret, struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	int r = -ERR_SQL;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL))
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	*ret = sqlite3_column_int(st, 0);
	r = 0;
out:
	if (r < 0)
		err_set(d, "cannot read schema version: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return r;
}

/*
 * One step at a time, each in its own write transaction, and the version
 * read inside it: a second process that waited for the first one's lock
 * then sees the step done and does not run it again (two collects racing
 * on a brand-new history).
 */
int migrate_up(sqlite3 *db, struct err_detail *d)
{
	char *msg = NULL;
	char pragma[64];
	int have, r = 0;

	for (;;) {
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg)) {
			err_set(d, "cannot start a migration: %s",
				msg ? msg : sqlite3_errmsg(db));
			r = -ERR_SQL;
			break;
		}
		if (migrate_version(db, &have, d) < 0) {
			r = -ERR_SQL;
		} else if (have > migrations_count) {
			err_set(d, "database schema version %d is newer than "
				"this program's %d", have, migrations_count);
			r = -ERR_SCHEMA;
		} else if (have == migrations_count) {
			if (sqlite3_exec(db, "COMMIT", NULL, NULL, &msg)) {
				err_set(d, "cannot finish a migration: %s",
					msg ? msg : sqlite3_errmsg(db));
				r = -ERR_SQL;
			}
			break;
		} else {
			const struct migration *m = &migrations[have];

			snprintf(pragma, sizeof(pragma), "PRAGMA user_version = "
				 "%d", m->version);
			if (sqlite3_exec(db, m->sql, NULL, NULL, &msg) ||
			    sqlite3_exec(db, pragma, NULL, NULL, &msg) ||
			    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg)) {
				err_set(d, "migration '%s' failed: %s", m->name,
					msg ? msg : sqlite3_errmsg(db));
				r = -ERR_SQL;
			}
		}
		if (r < 0)
			break;
	}
	sqlite3_free(msg);
	if (r < 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}
