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
 * Bring db up to the newest schema. Each step runs in its own transaction
 * and bumps PRAGMA user_version. A database newer than this program fails
 * with -ERR_SCHEMA.
 */
int migrate_up(sqlite3 *db, struct err_detail *d);
