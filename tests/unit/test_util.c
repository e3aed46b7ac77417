/* sbuf, err, time and output helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/output.h"
#include "util/err.h"
#include "util/sbuf.h"
#include "util/timeutil.h"

static void sbuf_grows_and_detaches(void **state)
{
	struct sbuf sb = SBUF_INIT;
	char *s;
	size_t n;
	int i;

	(void)state;
	assert_string_equal(sb.buf, "");
	for (i = 0; i < 1000; i++)
		assert_int_equal(sbuf_addf(&sb, "%d,", i), 0);
	assert_int_equal(sb.len, strlen(sb.buf));
	assert_memory_equal(sb.buf, "0,1,2,", 6);
	s = sbuf_detach(&sb, &n);
	assert_int_equal(n, strlen(s));
	assert_string_equal(sb.buf, "");
	free(s);
}

static void sbuf_cap_leaves_buffer_unchanged(void **state)
{
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, 8);
	assert_int_equal(sbuf_adds(&sb, "12345"), 0);
	assert_int_equal(sbuf_adds(&sb, "6789"), -ERR_TOO_LARGE);
	assert_string_equal(sb.buf, "12345");
	assert_int_equal(sbuf_adds(&sb, "678"), 0);
	assert_string_equal(sb.buf, "12345678");
	sbuf_release(&sb);
}

static void err_str_covers_both_ranges(void **state)
{
	(void)state;
	assert_string_equal(err_str(-ERR_JSON), "unexpected JSON");
	assert_string_equal(err_str(-ENOENT), strerror(ENOENT));
	assert_string_equal(err_str(-99999), "unknown error");
}

static void time_parses_iso_forms(void **state)
{
	time_t t;
	char out[21];

	(void)state;
	assert_int_equal(time_parse_iso("2026-11-02T03:00:00Z", &t), 0);
	time_iso(t, out);
	assert_string_equal(out, "2026-11-02T03:00:00Z");
	assert_int_equal(time_parse_iso("2026-11-02T04:30:00+01:30", &t), 0);
	time_iso(t, out);
	assert_string_equal(out, "2026-11-02T03:00:00Z");
	assert_int_equal(time_parse_iso("2026-11-02T03:00:00.1234567Z", &t), 0);
	assert_int_equal(time_parse_iso("2026-11-02", &t), 0);
	assert_int_equal(time_parse_iso("2026-13-02", &t), -EINVAL);
	assert_int_equal(time_parse_iso("11/02/2026", &t), -EINVAL);
	assert_int_equal(time_parse_iso("2026-11-02T03:00Zjunk", &t), -EINVAL);
}

static void months(void **state)
{
	char from[11], to[11], m[8];
	time_t t;

	(void)state;
	assert_int_equal(time_month_range("2024-02", from, to), 0);
	assert_string_equal(from, "2024-02-01");
	assert_string_equal(to, "2024-02-29");
	assert_int_equal(time_month_range("2026-02-17", from, to), 0);
	assert_string_equal(to, "2026-02-28");
	assert_int_equal(time_month_range("2026-12", from, to), 0);
	assert_string_equal(to, "2026-12-31");
	assert_int_equal(time_month_range("2026-13", from, to), -EINVAL);
	assert_int_equal(time_month_range("26-1", from, to), -EINVAL);
	assert_int_equal(time_parse_iso("2026-01-15T10:00:00Z", &t), 0);
	time_month_before(t, 0, m);
	assert_string_equal(m, "2026-01");
	time_month_before(t, 1, m);
	assert_string_equal(m, "2025-12");
	time_month_before(t, 13, m);
	assert_string_equal(m, "2024-12");
}

static char *print_to_string(enum out_format fmt, const char *rows_json)
{
	json_t *rows = json_loads(rows_json, 0, NULL);
	json_t *cols = json_pack("[s,s]", "name", "value");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(rows);
	assert_int_equal(out_print(f, fmt, cols, rows), 0);
	fclose(f);
	json_decref(rows);
	json_decref(cols);
	return buf;
}

static void csv_quotes_and_guards_formulas(void **state)
{
	char *s = print_to_string(OUT_CSV,
		"[{\"name\":\"=HYPERLINK(\\\"x\\\")\",\"value\":-5},"
		" {\"name\":\"a, \\\"b\\\"\",\"value\":\"@x\"}]");

	(void)state;
	assert_string_equal(s, "\"name\",\"value\"\r\n"
			       "\"'=HYPERLINK(\"\"x\"\")\",\"-5\"\r\n"
			       "\"a, \"\"b\"\"\",\"'@x\"\r\n");
	free(s);
}

static void table_hides_control_characters(void **state)
{
	char *s = print_to_string(OUT_TABLE,
		"[{\"name\":\"a\\u001b[31mb\\nc\",\"value\":null}]");

	(void)state;
	assert_null(strchr(s, '\033'));
	assert_non_null(strstr(s, "a?[31mb?c"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sbuf_grows_and_detaches),
		cmocka_unit_test(sbuf_cap_leaves_buffer_unchanged),
		cmocka_unit_test(err_str_covers_both_ranges),
		cmocka_unit_test(time_parses_iso_forms),
		cmocka_unit_test(months),
		cmocka_unit_test(csv_quotes_and_guards_formulas),
		cmocka_unit_test(table_hides_control_characters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
