#pragma once
#include <stddef.h>

#include <sqlite3.h>

#include "store/chain.h"
#include "store/db.h"
#include "util/err.h"

/*
 * The findings summary (finding_runs and finding_checks, migration 0011)
 * held to the findings as the chain check reads them, without deriving
 * the summary again (verify does that, from a window over every finding):
 * for each check, its findings counted by status, its time (the earliest
 * first_seen of its ok, skip and error findings) and a keyed digest of
 * what the summary keeps of each (rule, resource, severity, exemption,
 * status, first_seen as the summary writes it); the summary's rows give
 * the same three per check (a row counts per_check times in each check
 * from first_check to last_check). The digest is a sum of SipHash-2-4
 * values (libcrypto) under a key drawn for each tally: a checksum that an
 * edit cannot be made to match without the key, not a seal (the summary
 * is outside the chain).
 */
struct finding_tally;

/* A new tally, or NULL when libcrypto cannot give a key or SipHash. */
struct finding_tally *finding_tally_new(void);
void finding_tally_free(struct finding_tally *t);

/*
 * A chain_row_fn (store/evidence.h) for chain_run_hash_each(): counts
 * the rows of the findings group (hash encoding 2). Every run's rows in
 * id order, each run's once.
 */
int finding_tally_row(void *ctx, sqlite3_int64 run_id, int version,
		      size_t g, const struct chain_value *row);

/*
 * After every run was given: compare with the stored summary. 0 and
 * *ret_check = 0 when they agree; else *ret_check is the first check
 * whose numbers differ (-1 when the summary names no check) and why
 * (why_len bytes) says how. Negative: the summary could not be read.
 */
int finding_tally_compare(struct finding_tally *t, struct store *s,
			  sqlite3_int64 *ret_check, char *why, size_t why_len,
			  struct err_detail *d);
