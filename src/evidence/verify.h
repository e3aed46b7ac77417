#pragma once
#include <sqlite3.h>

#include "store/db.h"
#include "util/hash.h"

struct verify_result {
	int runs;			/* runs checked */
	sqlite3_int64 bad_run;		/* first broken run, 0 when none */
	char reason[1024];		/* why it is broken */
	char head[SHA256_HEX_LEN + 1];	/* hash of the newest run ("" if none) */
	sqlite3_int64 head_run;
	int uncovered_sources;		/* cost sources from before hash v2 */
};

/*
 * Check the whole history: every body against its SHA-256, every run's
 * hash, every run's link to the run before it, that no run id is missing
 * (a deleted run), that the typed rows of each run are exactly what
 * projecting its evidence again yields (an edited row), and that the cost
 * rows are exactly what the evidence of their sources' runs yields (a
 * query's answers, an import's kept lines); each source itself is covered
 * by its run's hash; and that the findings summary (finding_runs) is
 * what the findings give. Returns 0 when the
 * check ran (res says whether it passed) or negative when it could not.
 */
int verify_history(struct store *s, struct verify_result *res,
		   struct err_detail *d);

/*
 * The chain alone, what a report can afford to check every time: every
 * body against its SHA-256, every run's hash recomputed from its stored
 * fields (metadata, evidence list, errors, ledger, cost sources,
 * findings), every run's link to the run before it, no run id missing,
 * every run sealed; and, from the findings read for the hashes, the
 * findings summary of every check (its counts by status, its time and a
 * keyed digest of its rows: evidence/tally.h), the first check that
 * differs failing. Not done: the typed rows, cost rows, metrics and
 * prices derived again from the evidence, nor the summary's rows
 * derived again one by one (verify_history() does that; a typed row
 * edited there and nowhere else passes this check). Returns as
 * verify_history(); res->uncovered_sources stays 0.
 */
int verify_chain(struct store *s, struct verify_result *res,
		 struct err_detail *d);
