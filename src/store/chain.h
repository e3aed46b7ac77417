#pragma once
#include <stddef.h>

#include <sqlite3.h>

#include "store/db.h"
#include "util/hash.h"

/*
 * What a run's hash covers, in memory: the run's hash encoding and, per
 * group (the run's metadata, its evidence rows, errors, ledger, the cost
 * sources it made and the findings of a check), its rows of typed values
 * in hashing order. chain_run_load() fills one from the history;
 * an evidence pack's verifier builds one from its manifest; both hash it
 * with chain_run_encode(), the one encoder of a run's hash.
 */

enum chain_type {
	CHAIN_NULL = 0,
	CHAIN_INT,
	CHAIN_REAL,
	CHAIN_TEXT,
	CHAIN_BLOB,
};

struct chain_value {
	enum chain_type type;
	long long i;		/* CHAIN_INT */
	double r;		/* CHAIN_REAL */
	char *p;		/* CHAIN_TEXT, CHAIN_BLOB: n bytes and a NUL, owned */
	size_t n;
};

/* A group's name (the manifest's key) and columns, in hashing order. */
struct chain_group_def {
	const char *name;
	const char *const *columns;	/* NULL-terminated */
	size_t ncols;
};

#define CHAIN_MAX_GROUPS 6

/* Rows of one group: nrows * ncols values, row by row. */
struct chain_table {
	size_t ncols;
	size_t nrows;
	size_t alloc;
	struct chain_value *v;
};

struct chain_run {
	int version;		/* the hash encoding: 1 or 2 */
	size_t ngroups;		/* chain_groups(version) */
	struct chain_table g[CHAIN_MAX_GROUPS];
};

/*
 * The groups hash encoding `version` covers (4 for version 1, whose run
 * row also lacks hash_version; 6 for version 2), or 0 for an unknown
 * version. *ret points at static definitions.
 */
size_t chain_groups(int version, const struct chain_group_def **ret);

/*
 * Column i of st's current row as a value: typed, or as text (version 1).
 * Text and blobs point into st (valid until its next step), not owned.
 * 0, or -ENOMEM when SQLite could not give a value's bytes (a NULL
 * pointer for a value that is not NULL and not empty): hashed as empty,
 * it would read as a tampered run.
 */
int chain_view_column(struct chain_value *v, sqlite3_stmt *st, int i,
		      int version);

/* Empty run of a known version (0, or -EINVAL). */
int chain_run_init(struct chain_run *run, int version);
void chain_run_release(struct chain_run *run);

/*
 * Append a row to group g: its ncols values, all CHAIN_NULL, for the
 * caller to fill (text and blobs in memory the run owns: xmalloc'd, with
 * a NUL after the n bytes).
 */
struct chain_value *chain_run_add_row(struct chain_run *run, size_t g);

/*
 * Load run run_id from the history as its hash covers it. Version 1
 * runs are loaded as the text SQLite gives (what that encoding hashed).
 * -ERR_NOT_FOUND for no such run, -ERR_VERIFY for an unknown encoding.
 */
int chain_run_load(struct store *s, sqlite3_int64 run_id,
		   struct chain_run *ret, struct err_detail *d);

/*
 * The run's hash: SHA-256 over a header naming the encoding and each
 * group's rows. Version 2 writes each value as a type byte (N, I, R, T,
 * B), then for I and R the 8-byte big-endian value (R: its IEEE-754
 * bits), for T and B the 8-byte big-endian length and the bytes; a 'g'
 * starts each group and an 'r' each row. Version 1 wrote each value as
 * NUL-terminated text. Into out as hex; 0 or -ERR_CRYPTO.
 */
int chain_run_encode(const struct chain_run *run,
		     char out[SHA256_HEX_LEN + 1]);
