#pragma once
#include <jansson.h>
#include <sqlite3.h>

#include "util/err.h"

/*
 * The projection from evidence to typed rows. Collection calls it on every
 * list page it stores; verify calls it again on the stored bodies, into a
 * scratch schema, and compares. It is the only code that turns ARM JSON
 * into rows, so the two can never disagree.
 */

/* Evidence kinds: what a stored response holds. */
#define KIND_SUBSCRIPTIONS	"subscriptions"		/* GET /subscriptions */
#define KIND_SUBSCRIPTION	"subscription"		/* GET one, for its tags */
#define KIND_RESOURCE_GROUP	"resource_group"	/* GET one, for its tags */
#define KIND_FILESYSTEMS	"filesystems"
#define KIND_GRAPH		"graph"			/* Resource Graph page */
#define KIND_IMPORT_JOBS	"import_jobs"
#define KIND_AUTO_EXPORT_JOBS	"auto_export_jobs"
#define KIND_AUTO_IMPORT_JOBS	"auto_import_jobs"
#define KIND_ROLE_ASSIGNMENTS	"role_assignments"
#define KIND_LOCKS		"locks"
#define KIND_DIAGNOSTIC_SETTINGS "diagnostic_settings"
#define KIND_METRICS		"metrics"

/* Is kind one of the above? */
int project_kind_known(const char *kind);

/*
 * A projector writes into one database (the history, or verify's scratch)
 * with statements prepared once. Free it before the database.
 */
struct projector;

struct projector *projector_new(sqlite3 *db);

/*
 * The projector reads answers as they arrive (collect), not evidence kept
 * (verify, which must project it as the version that kept it did): what
 * older versions let through fails the page (project_metrics()).
 */
void projector_collecting(struct projector *p);
void projector_free(struct projector *p);

/*
 * Store what one response (body, already parsed; its evidence row
 * evidence_id already stored) holds: each item's state (once per distinct
 * item JSON), its resource, and its sighting on the page (the evidence
 * row's request and body) in `sightings`, once per distinct page; the run
 * sees it through its evidence row (the view `items`). For metrics, the
 * points. subject is what the response belongs to (a file system id for
 * child lists and one resource's metrics). Fails with -ERR_JSON and d
 * naming the JSON path ($.value[3].properties...) or with -ERR_SQL.
 */
int project_page(struct projector *p, sqlite3_int64 run_id,
		 sqlite3_int64 evidence_id, const char *kind,
		 const char *subject, json_t *body, struct err_detail *d);

/*
 * After the run's last page: a resource the run saw more than once keeps
 * its last sighting (by evidence seq, then position in the body); the
 * earlier ones go into `shadowed`. Call once per run, before it is read.
 */
int project_run_end(struct projector *p, sqlite3_int64 run_id,
		    struct err_detail *d);

/*
 * The views that show the typed rows per run (NULL-terminated). They hold
 * no internal ids, so verify can compare them between two databases.
 */
extern const char *const project_views[];
