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

int migrate_up(sqlite3 *db, struct err_detail *d)
{
	int have, i;
	char *msg = NULL;
	char pragma[64];

	if (migrate_version(db, &have, d) < 0)
		return -ERR_SQL;
	if (have > migrations_count) {
		err_set(d, "database schema version %d is newer than this "
			"program's %d", have, migrations_count);
		return -ERR_SCHEMA;
	}
	for (i = have; i < migrations_count; i++) {
		const struct migration *m = &migrations[i];

		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
			 m->version);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) ||
		    sqlite3_exec(db, m->sql, NULL, NULL, &msg) ||
		    sqlite3_exec(db, pragma, NULL, NULL, &msg) ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg)) {
			err_set(d, "migration '%s' failed: %s", m->name,
				msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -ERR_SQL;
		}
	}
	return 0;
}
