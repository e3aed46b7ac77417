/* The projection from ARM JSON pages to typed rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azure/arm.h"
#include "collect/project.h"
#include "store/db.h"

#define FS_ID "/subscriptions/00000000-0000-0000-0000-000000000001/" \
	"resourceGroups/RG-One/providers/Microsoft.StorageCache/" \
	"amlFilesystems/fs1"

static int setup(void **state)
{
	struct store *s = NULL;
	struct err_detail d;

	if (store_open(":memory:", 0, &s, &d) < 0)
		return -1;
	/* Evidence rows the typed rows point at. */
	if (store_exec(s, "INSERT INTO runs (id, started_at, status, "
		       "tool_version, source, scope) VALUES (1, 'x', 'running', "
		       "'t', 'replay', '{}');"
		       "INSERT INTO bodies VALUES (1, 'h', 0, x'');"
		       "INSERT INTO requests VALUES (1, 'GET', 'u', "
		       "'filesystems', 's', '');"
		       "INSERT INTO evidence VALUES (1, 1, 1, 1, 200, NULL, 'x', "
		       "1, 1)",
		       &d) < 0)
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	store_close(*state);
	return 0;
}

/* A page read by a collection (collecting) or by verify (not). */
static int project_as(struct store *s, int collecting, const char *kind,
		      const char *json, struct err_detail *d)
{
	json_t *j = json_loads(json, 0, NULL);
	struct projector *p = projector_new(store_db(s));
	int r;

	assert_non_null(j);
	if (collecting)
		projector_collecting(p);
	r = project_page(p, 1, 1, kind, FS_ID, j, d);
	projector_free(p);
	json_decref(j);
	return r;
}

static int project(struct store *s, const char *kind, const char *json,
		   struct err_detail *d)
{
	return project_as(s, 1, kind, json, d);
}

static void arm_ids_split(void **state)
{
	char *sub = NULL, *rg = NULL;

	(void)state;
	assert_int_equal(arm_id_parse(FS_ID, &sub, &rg), 0);
	assert_string_equal(sub, "00000000-0000-0000-0000-000000000001");
	assert_string_equal(rg, "RG-One");
	free(sub);
	free(rg);
	assert_int_equal(arm_id_parse("/SUBSCRIPTIONS/a/RESOURCEGROUPS/b/x",
				      &sub, &rg), 0);
	free(sub);
	free(rg);
	assert_int_equal(arm_id_parse("/subscriptions/a/providers/x", &sub, &rg),
			 -ERR_JSON);
	assert_int_equal(arm_id_parse("/subscriptions//resourceGroups/b/x",
				      &sub, &rg), -ERR_JSON);
}

static void filesystem_fields_and_string_numbers(void **state)
{
	struct store *s = *state;
	struct err_detail d;

	assert_int_equal(project(s, KIND_FILESYSTEMS,
		"{\"value\":[{\"id\":\"" FS_ID "\",\"name\":\"fs1\","
		"\"sku\":{\"name\":\"AMLFS-Durable-Premium-250\"},"
		"\"tags\":{\"CostCenter\":\"1\",\"env\":\"p\"},"
		"\"properties\":{\"storageCapacityTiB\":\"16\","
		"\"throughputProvisionedMBps\":4000.0,"
		"\"health\":{\"state\":\"Available\"}}}]}", &d), 0);
	assert_int_equal(scalar(s, "SELECT capacity_tib FROM filesystems"), 16);
	assert_int_equal(scalar(s, "SELECT throughput_mbps FROM filesystems"), 4000);
	assert_int_equal(scalar(s, "SELECT count(*) FROM filesystems WHERE "
				"resource_key = lower(resource_id) AND "
				"resource_group = 'RG-One' AND "
				"health_state = 'Available'"), 1);
	assert_int_equal(scalar(s, "SELECT count(*) FROM tags WHERE "
				"key = 'CostCenter' AND key_norm = 'costcenter'"), 1);
}

static void wrong_type_names_the_json_path(void **state)
{
	struct store *s = *state;
	struct err_detail d;

	assert_int_equal(project(s, KIND_FILESYSTEMS,
		"{\"value\":[{\"id\":\"" FS_ID "\",\"name\":\"fs1\","
		"\"properties\":{\"storageCapacityTiB\":\"lots\"}}]}", &d),
		-ERR_JSON);
	assert_string_equal(d.msg, "expected a number at "
			    "$.value[0].properties.storageCapacityTiB");
	assert_int_equal(project(s, KIND_FILESYSTEMS, "{\"values\":[]}", &d),
			 -ERR_JSON);
	assert_string_equal(d.msg, "expected an array at $.value");
	assert_int_equal(project(s, KIND_IMPORT_JOBS,
		"{\"value\":[{\"id\":\"j\",\"name\":\"j\",\"properties\":"
		"{\"status\":{\"totalErrors\":[1]}}}]}", &d), -ERR_JSON);
	assert_string_equal(d.msg, "expected an integer at "
			    "$.value[0].properties.status.totalErrors");
}

static void tag_keys_differing_in_case_are_refused(void **state)
{
	struct store *s = *state;
	struct err_detail d;

	assert_int_equal(project(s, KIND_FILESYSTEMS,
		"{\"value\":[{\"id\":\"" FS_ID "\",\"name\":\"fs1\","
		"\"tags\":{\"Env\":\"a\",\"env\":\"b\"},\"properties\":{}}]}", &d),
		-ERR_JSON);
	assert_non_null(strstr(d.msg, "differing only in case"));
}

static void jobs_skip_references_and_accept_string_counts(void **state)
{
	struct store *s = *state;
	struct err_detail d;

	assert_int_equal(project(s, KIND_AUTO_IMPORT_JOBS,
		"{\"value\":[{\"id\":\"ref-only\"},"
		"{\"id\":\"" FS_ID "/autoImportJobs/a\",\"name\":\"a\","
		"\"properties\":{\"maximumErrors\":\"0\",\"enableDeletions\":true,"
		"\"status\":{\"state\":\"Failed\",\"totalBlobsWalked\":12345678901}}}]}",
		&d), 0);
	assert_int_equal(scalar(s, "SELECT count(*) FROM auto_import_jobs"), 1);
	assert_int_equal(scalar(s, "SELECT total_blobs_walked FROM "
				"auto_import_jobs"), 12345678901LL);
	assert_int_equal(scalar(s, "SELECT maximum_errors FROM auto_import_jobs"), 0);
	assert_int_equal(scalar(s, "SELECT enable_deletions FROM auto_import_jobs"), 1);
	assert_int_equal(scalar(s, "SELECT item_index FROM auto_import_jobs"), 1);
	assert_int_equal(scalar(s, "SELECT count(*) FROM auto_import_jobs WHERE "
				"fs_key = lower('" FS_ID "')"), 1);
}

/* Found by tests/fuzz/fuzz_project.c (regressions/project). */
static void numbers_out_of_range_are_refused(void **state)
{
	static const char *const bad[][2] = {
		/* 1e300 overflowed the cast to a 64-bit integer (UB). */
		{ "\"maximumErrors\":1e300", "maximumErrors" },
		{ "\"maximumErrors\":-9.3e18", "maximumErrors" },
		/* strtoll clamped these to LLONG_MAX without a word. */
		{ "\"maximumErrors\":\"99999999999999999999\"", "maximumErrors" },
		{ "\"maximumErrors\":\" 12\"", "maximumErrors" },
		{ "\"maximumErrors\":\"+12\"", "maximumErrors" },
		{ "\"maximumErrors\":\"-\"", "maximumErrors" },
	};
	struct store *s = *state;
	struct err_detail d;
	char json[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json), "{\"value\":[{\"id\":\"" FS_ID
			 "/importJobs/j\",\"name\":\"j\",\"properties\":"
			 "{%s}}]}", bad[i][0]);
		assert_int_equal(project(s, KIND_IMPORT_JOBS, json, &d),
				 -ERR_JSON);
		assert_non_null(strstr(d.msg, bad[i][1]));
	}
	/* A real field takes a finite decimal string only. */
	assert_int_equal(project(s, KIND_FILESYSTEMS,
		"{\"value\":[{\"id\":\"" FS_ID "\",\"name\":\"fs1\","
		"\"properties\":{\"storageCapacityTiB\":\"nan\"}}]}", &d),
		-ERR_JSON);
	assert_int_equal(project(s, KIND_FILESYSTEMS,
		"{\"value\":[{\"id\":\"" FS_ID "\",\"name\":\"fs1\","
		"\"properties\":{\"storageCapacityTiB\":\"0x10\"}}]}", &d),
		-ERR_JSON);
	/* In range they still pass, whole reals and digit strings alike. */
	assert_int_equal(project(s, KIND_IMPORT_JOBS,
		"{\"value\":[{\"id\":\"" FS_ID "/importJobs/j\",\"name\":\"j\","
		"\"properties\":{\"maximumErrors\":-1.0,\"status\":"
		"{\"totalErrors\":\"-9223372036854775808\"}}}]}", &d), 0);
	assert_int_equal(scalar(s, "SELECT maximum_errors FROM import_jobs"), -1);
}

#define METRIC(name, rest) "{\"name\":{\"value\":\"" name "\"}," rest "}"
#define SERIES(v) "{\"data\":[{\"timeStamp\":\"2026-11-01T00:00:00Z\"," \
	"\"average\":" v "}]}"
#define OK_METRIC(name, v) METRIC(name, "\"errorCode\":\"Success\"," \
	"\"timeseries\":[" SERIES(v) "]")

/* Review findings: each of these left no rows and the run "ok". */
static const char *const bad_metrics[][2] = {
	{ "{\"value\":[" OK_METRIC("OSTBytesTotal", "5") ","
	  METRIC("OSTBytesUsed", "\"errorCode\":\"Throttled\","
		 "\"errorMessage\":\"Too many requests\",\"timeseries\":[]")
	  "]}",
	  "metric 'OSTBytesUsed' at $.value[1] has errorCode 'Throttled': "
	  "Too many requests" },
	{ "{\"values\":[{\"resourceid\":\"" FS_ID "\",\"value\":["
	  METRIC("OSTBytesUsed", "\"errorCode\":\"BadRequest\"") "]}]}",
	  "metric 'OSTBytesUsed' at $.values[0].value[0] has errorCode "
	  "'BadRequest': no errorMessage" },
	{ "{\"value\":[" METRIC("OSTBytesTotal", "\"errorCode\":\"Success\","
				"\"timeseries\":{\"oops\":1}") "]}",
	  "expected an array at $.value[0].timeseries" },
	{ "{\"value\":[" METRIC("OSTBytesTotal", "\"timeseries\":[{\"data\":"
				"\"x\"}]") "]}",
	  "expected an array at $.value[0].timeseries[0].data" },
	{ "{\"value\":[" METRIC("OSTBytesUsed", "\"timeseries\":["
		SERIES("1.7e308") "," SERIES("1.7e308") "]") "]}",
	  "metric 'OSTBytesUsed' summed over its series is out of range at "
	  "2026-11-01T00:00:00Z ($.value[0].timeseries[1].data[0].average)" },
};

static void metrics_refused_while_collecting(void **state)
{
	struct store *s = *state;
	struct err_detail d;
	size_t i;

	for (i = 0; i < sizeof(bad_metrics) / sizeof(bad_metrics[0]); i++) {
		assert_int_equal(project(s, KIND_METRICS, bad_metrics[i][0], &d),
				 -ERR_JSON);
		assert_string_equal(d.msg, bad_metrics[i][1]);
	}
	assert_int_equal(project(s, KIND_METRICS, "{\"value\":["
				 OK_METRIC("OSTBytesUsed", "1.5e308") ","
				 METRIC("X", "\"timeseries\":[]") "]}", &d), 0);
}

/* verify projects a finished run's evidence as the version that kept it. */
static void metrics_of_a_finished_run_project_as_before(void **state)
{
	struct store *s = *state;
	struct err_detail d;
	size_t i;

	for (i = 0; i < sizeof(bad_metrics) / sizeof(bad_metrics[0]); i++)
		assert_int_equal(project_as(s, 0, KIND_METRICS,
					    bad_metrics[i][0], &d), 0);
	assert_int_equal(scalar(s, "SELECT count(*) FROM metric_points"), 2);
	assert_int_equal(scalar(s, "SELECT value FROM metric_points JOIN "
				"metric_names n ON n.id = metric WHERE "
				"n.name = 'OSTBytesTotal'"), 5);
	assert_int_equal(scalar(s, "SELECT value = 9e999 FROM metric_points "
				"JOIN metric_names n ON n.id = metric WHERE "
				"n.name = 'OSTBytesUsed'"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(arm_ids_split),
		cmocka_unit_test_setup_teardown(filesystem_fields_and_string_numbers,
						setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_type_names_the_json_path,
						setup, teardown),
		cmocka_unit_test_setup_teardown(tag_keys_differing_in_case_are_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			jobs_skip_references_and_accept_string_counts, setup,
			teardown),
		cmocka_unit_test_setup_teardown(numbers_out_of_range_are_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(metrics_refused_while_collecting,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			metrics_of_a_finished_run_project_as_before, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
