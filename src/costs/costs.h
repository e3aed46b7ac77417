#pragma once
#include <jansson.h>
#include <sqlite3.h>

#include "costs/reader.h"
#include "store/db.h"

struct cost_import_options {
	/* EA and MCA files hold one cost type: ActualCost or AmortizedCost. */
	const char *cost_type;
	const struct strlist *related;	/* lower-case resource ids */
	void (*on_bad)(void *ctx, const char *path, long line, const char *why);
	void (*on_progress)(void *ctx, const char *path, long long done,
			    long long total);
	void *ctx;
};

struct cost_import_result {
	struct cost_read_result read;
	sqlite3_int64 source;		/* the new source, or the one it repeats */
	sqlite3_int64 run;		/* the import's run (a link of the chain) */
	int duplicate;			/* same bytes imported before: nothing done */
	long superseded;		/* older rows this import replaced */
	long cost_rows;			/* rows stored (FOCUS: two per line) */
};

/*
 * Import one export file in one transaction, as a link of the evidence
 * chain: a run (source "import", its scope naming the file and the
 * related resources), a cost_sources row for it (with the file's SHA-256
 * and counts, covered by the run's hash), its AMLFS rows, the older rows
 * it replaces marked superseded (for each resource, day and cost type the
 * source ingested last wins), and as the run's evidence the lines it
 * parsed, header included, content-addressed: what verify reads again.
 * The run is "partial" when rows were malformed; a file with malformed
 * rows whose other rows would replace older ones is refused whole
 * (-ERR_CONFIG: a row left out may be one they replace). A file whose
 * bytes were imported before is not imported again (res->duplicate). On
 * failure nothing is stored.
 */
int cost_import_file(struct store *s, const char *path,
		     const struct cost_import_options *o,
		     struct cost_import_result *res, struct err_detail *d);

/*
 * Verify's side of an import: read the kept lines (body) again into an
 * existing source of s (a scratch copy), keeping what the import kept
 * (AMLFS and the related resources its run names), then supersede as the
 * import did. cost_type is the source's (NULL for FOCUS).
 */
int cost_import_replay(struct store *s, sqlite3_int64 source,
		       const char *cost_type, const struct strlist *related,
		       int exact, const char *name, const char *body,
		       size_t len, struct err_detail *d);

/*
 * The key a run's scope (runs.scope, in its hash) holds, with the value
 * COST_REPEATS_EXACT, when its cost rows were judged repeats by the exact
 * rule (cost_supersede's exact): every import and every collection that
 * queries costs since it. verify replays a run without it by the first.
 */
#define COST_SCOPE_REPEATS "repeats"
#define COST_REPEATS_EXACT "exact"

/* 1 when a run's scope (parsed; NULL: 0) names the exact rule, else 0. */
int cost_scope_exact(json_t *scope);

/*
 * After rows of source were added: drop those that only repeat the rows
 * held for their resource, day and cost type (exact: row for row in every
 * column kept; 0: the first rule, for the replay of older runs), then mark
 * the current rows of other sources for the keys left superseded by it.
 * Returns the number marked, or negative.
 */
long cost_supersede(struct store *s, sqlite3_int64 source, int exact,
		    struct err_detail *d);

/*
 * After cost_supersede() of an import or a query: derive again the months
 * of cost_months (migration 0010) source touched, for it and the sources
 * it superseded. verify does not: it compares the history's table with
 * cost_months_derived over the rows it read again.
 */
int cost_months_refresh(struct store *s, sqlite3_int64 source,
			struct err_detail *d);
