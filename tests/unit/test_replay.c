/* The replay transport and ARM paging over it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "azure/arm.h"
#include "azure/replay.h"
#include "util/fs.h"

static char *sample_dir(void)
{
	const char *root = getenv("SOURCE_ROOT");

	assert_non_null(root);
	return fs_join(root, "samples/replay");
}

#define SUBS_URL "https://management.azure.com/subscriptions?api-version=2022-12-01"

static void answers_recorded_and_refuses_unknown(void **state)
{
	struct transport *t = NULL;
	struct http_request req = { "GET", SUBS_URL, NULL, 0, NULL,
				    HTTP_LANE_ARM };
	struct http_response resp;
	struct http_done done;
	struct err_detail d;
	char *dir = sample_dir();
	int tags[3];

	(void)state;
	assert_int_equal(replay_open(dir, 0, &t, &d), 0);
	assert_int_equal(transport_send(t, &req, &resp, &d), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 1);
	assert_non_null(resp.request_id);
	assert_non_null(strstr(resp.origin, "bodies/subscriptions.json"));
	assert_true(resp.body.len > 10);
	http_response_release(&resp);

	/* Several in flight come back in order, unknown ones as errors. */
	assert_int_equal(t->start(t, &req, &tags[0], &d), 0);
	req.url = "https://management.azure.com/nothing";
	assert_int_equal(t->start(t, &req, &tags[1], &d), 0);
	req.method = "DELETE";
	req.url = SUBS_URL;
	assert_int_equal(t->start(t, &req, &tags[2], &d), 0);
	assert_int_equal(t->next(t, &done), 1);
	assert_ptr_equal(done.tag, &tags[0]);
	assert_int_equal(done.err, 0);
	http_done_release(&done);
	assert_int_equal(t->next(t, &done), 1);
	assert_ptr_equal(done.tag, &tags[1]);
	assert_int_equal(done.err, -ERR_NOT_FOUND);
	assert_non_null(strstr(done.detail.msg, "https://management.azure.com/nothing"));
	http_done_release(&done);
	assert_int_equal(t->next(t, &done), 1);
	assert_int_equal(done.err, -ERR_NOT_FOUND);
	http_done_release(&done);
	assert_int_equal(t->next(t, &done), 0);
	transport_free(t);
	free(dir);
}

static void response_cap_is_enforced(void **state)
{
	struct transport *t = NULL;
	struct http_request req = { "GET", SUBS_URL, NULL, 0, NULL,
				    HTTP_LANE_ARM };
	struct http_response resp;
	struct err_detail d;
	char *dir = sample_dir();

	(void)state;
	assert_int_equal(replay_open(dir, 16, &t, &d), 0);
	assert_int_equal(transport_send(t, &req, &resp, &d), -ERR_TOO_LARGE);
	transport_free(t);
	free(dir);
}

static void missing_manifest_is_named(void **state)
{
	struct transport *t = NULL;
	struct err_detail d;

	(void)state;
	assert_int_equal(replay_open("/nonexistent", 0, &t, &d), -ERR_REPLAY);
	assert_non_null(strstr(d.where, "/nonexistent/manifest.json"));
}

static void pager_stops_on_loops_and_cap(void **state)
{
	struct arm_pager p;
	struct err_detail d;
	json_t *page = json_pack("{s:s}", "nextLink", "https://h/2");
	json_t *loop = json_pack("{s:s}", "nextLink", "https://h/1");
	json_t *end = json_pack("{s:n}", "nextLink");
	json_t *cost = json_pack("{s:{s:s}}", "properties", "nextLink",
				 "https://h/3");

	(void)state;
	arm_pager_init(&p, "https://h/1", 10);
	assert_int_equal(arm_pager_advance(&p, page, &d), 1);
	assert_string_equal(p.url, "https://h/2");
	assert_int_equal(arm_pager_advance(&p, loop, &d), -ERR_PAGING);
	assert_non_null(strstr(d.msg, "repeats"));
	arm_pager_release(&p);

	arm_pager_init(&p, "https://h/1", 2);
	assert_int_equal(arm_pager_advance(&p, cost, &d), 1);
	assert_string_equal(p.url, "https://h/3");
	assert_int_equal(arm_pager_advance(&p, page, &d), -ERR_PAGING);
	assert_non_null(strstr(d.msg, "more than 2 pages"));
	arm_pager_release(&p);

	arm_pager_init(&p, "https://h/1", 2);
	assert_int_equal(arm_pager_advance(&p, end, &d), 0);
	arm_pager_release(&p);
	json_decref(page);
	json_decref(loop);
	json_decref(end);
	json_decref(cost);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answers_recorded_and_refuses_unknown),
		cmocka_unit_test(response_cap_is_enforced),
		cmocka_unit_test(missing_manifest_is_named),
		cmocka_unit_test(pager_stops_on_loops_and_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
