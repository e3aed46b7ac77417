#pragma once
#include <stddef.h>
#include <sqlite3.h>

#include "util/err.h"

/*
 * The history database. This module owns the SQLite connection: it opens
 * it with WAL, foreign keys and a busy timeout, and migrates the schema.
 * Other modules borrow the handle with store_db() for prepared statements.
 */
struct store;

enum {
	/*
	 * Open an existing database for reading only (SQLITE_OPEN_READONLY),
	 * never migrated. A schema older than this program's fails with
	 * -ERR_SCHEMA_OLD ("run 'amlfs-audit migrate' first"). TEMP objects
	 * can still be made (policy helper views).
	 */
	STORE_READONLY = 1 << 0,
	/* Read-write, but leave the schema as it is: see store_migrate(). */
	STORE_NO_MIGRATE = 1 << 1,
	/*
	 * With STORE_READONLY: PRAGMA query_only too, so not even TEMP
	 * objects are written (what the read-only commands get; lift it
	 * with store_query_only() to make TEMP helpers first).
	 */
	STORE_QUERY_ONLY = 1 << 2,
	/*
	 * The connection is only ever used by one thread at a time
	 * (SQLITE_OPEN_NOMUTEX): no mutex taken on every sqlite3_column_*()
	 * call, which a reader of every row (the chain check) pays millions
	 * of times.
	 */
	STORE_ONE_THREAD = 1 << 3,
};

/*
 * Open (creating when missing unless STORE_READONLY) the history at path.
 * Without flags it is migrated to the newest schema. In every mode a
 * schema newer than this program's fails with -ERR_SCHEMA before anything
 * is written to the file. On success *ret_store is a new store the caller
 * frees with store_close().
 */
int store_open(const char *path, unsigned flags, struct store **ret_store,
	       struct err_detail *d);
void store_close(struct store *s);

/* Set PRAGMA query_only on (1) or off (0). */
int store_query_only(struct store *s, int on, struct err_detail *d);

/*
 * Migrate a store opened read-write to the newest schema. *ret_from and
 * *ret_to get the versions before and after (equal when there was nothing
 * to do).
 */
int store_migrate(struct store *s, int *ret_from, int *ret_to,
		  struct err_detail *d);

/* The borrowed connection. */
sqlite3 *store_db(struct store *s);
const char *store_path(struct store *s);
/*
 * The history as a read-only "file:" URI for ATTACH on another store's
 * connection (every store takes URIs), so a scratch database can read it
 * but never write it. Borrowed; ":memory:" stays itself.
 */
const char *store_attach_uri(struct store *s);

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

/*
 * Run each of the n statements of sql in turn to completion, with ?1
 * bound to a and ?2 (where a statement has it) to b; stops at the first
 * failure, d naming what and SQLite's message.
 */
int store_exec_ids(struct store *s, const char *const *sql, size_t n,
		   sqlite3_int64 a, sqlite3_int64 b, const char *what,
		   struct err_detail *d);
