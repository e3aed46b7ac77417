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
 * Store what one list page (body, already parsed) holds, in schema
 * ("main", or verify's scratch): each item's state (once per distinct
 * item JSON), its resource, and the run's sighting of it in `items`. subject is the
 * file system id the page belongs to (job kinds) or the subscription.
 * Fails with -ERR_JSON and d naming the JSON path ($.value[3].properties...)
 * or with -ERR_SQL.
 */
int project_page(sqlite3 *db, const char *schema, sqlite3_int64 run_id,
		 sqlite3_int64 evidence_id, const char *kind,
		 const char *subject, json_t *body, struct err_detail *d);

/*
 * The views that show the typed rows per run (NULL-terminated). They hold
 * no internal ids, so verify can compare them between two databases.
 */
extern const char *const project_views[];

/*
 * Metrics responses, one resource's ({"value": [...]}; subject is its id)
 * or a batch ({"values": [{"resourceid", "value"}]}): each metric's hourly
 * averages summed over its series, into metric_points (a point already
 * held keeps its row unless its value changed).
 */
int project_metrics(sqlite3 *db, const char *schema, sqlite3_int64 run_id,
		    const char *subject, json_t *body, struct err_detail *d);

/*
 * Split an ARM resource id into subscription and resource group (new
 * strings the caller frees). -ERR_JSON when id is not of the form
 * /subscriptions/{sub}/resourceGroups/{rg}/...
 */
int arm_id_parse(const char *id, char **ret_sub, char **ret_rg);

/* ASCII lower-case copy (ARM ids and tag names compare this way). */
char *lower_dup(const char *s);
