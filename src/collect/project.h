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

/* Evidence kinds: what a recorded list page holds. */
#define KIND_SUBSCRIPTIONS	"subscriptions"
#define KIND_FILESYSTEMS	"filesystems"
#define KIND_IMPORT_JOBS	"import_jobs"
#define KIND_AUTO_EXPORT_JOBS	"auto_export_jobs"
#define KIND_AUTO_IMPORT_JOBS	"auto_import_jobs"

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
 * Split an ARM resource id into subscription and resource group (new
 * strings the caller frees). -ERR_JSON when id is not of the form
 * /subscriptions/{sub}/resourceGroups/{rg}/...
 */
int arm_id_parse(const char *id, char **ret_sub, char **ret_rg);

/* ASCII lower-case copy (ARM ids and tag names compare this way). */
char *lower_dup(const char *s);
