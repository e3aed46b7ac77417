#pragma once
#include <sqlite3.h>

#include "util/err.h"

/*
 * The history database. This module owns the SQLite connection: it opens
 * it with WAL, foreign keys and a busy timeout, and migrates the schema.
 * Other modules borrow the handle with store_db() for prepared statements.
 */
struct store;

enum {
	STORE_READONLY = 1 << 0,	/* open an existing database read-only */
};

/*
 * Open (creating when missing unless STORE_READONLY) the history at path.
 * On success *ret_store is a new store the caller frees with
 * store_close().
 */
int store_open(const char *path, unsigned flags, struct store **ret_store,
	       struct err_detail *d);
void store_close(struct store *s);

/* The borrowed connection. */
sqlite3 *store_db(struct store *s);
const char *store_path(struct store *s);

int store_begin(struct store *s, struct err_detail *d);
int store_commit(struct store *s, struct err_detail *d);
/* Roll back when a transaction is open; never fails. */
void store_rollback(struct store *s);

/* Run SQL without results; d gets SQLite's message. */
int store_exec(struct store *s, const char *sql, struct err_detail *d);

/* Prepare sql; on failure d names SQLite's message. */
int store_prepare(struct store *s, const char *sql, sqlite3_stmt **ret,
		  struct err_detail *d);

/* Fill d from the connection's last error, prefixed by what. */
int store_sql_error(struct store *s, const char *what, struct err_detail *d);
