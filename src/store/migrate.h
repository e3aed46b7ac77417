#pragma once
#include <sqlite3.h>

#include "util/err.h"

/* One schema step, compiled in from src/store/migrations/NNNN_*.sql. */
struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];
extern const int migrations_count;

/*
 * The schema version of db (PRAGMA user_version) into *ret: 0 for a new,
 * empty database, migrations_count for a current one. Reads only.
 */
int migrate_version(sqlite3 *db, int *ret, struct err_detail *d);

/*
 * Bring db up to the newest schema. Each step runs in its own transaction
 * and bumps PRAGMA user_version. A database newer than this program fails
 * with -ERR_SCHEMA.
 */
int migrate_up(sqlite3 *db, struct err_detail *d);
