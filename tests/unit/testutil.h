#pragma once
/* Helpers shared by the unit tests (include after cmocka.h). */
#include <sqlite3.h>

#include "store/db.h"

/* The first column of the first row of sql, or -1 when there is none. */
static inline sqlite3_int64 scalar(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	sqlite3_int64 v = -1;

	assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL), 0);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}
