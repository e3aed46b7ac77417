/* The cost export reader: day and tag parsing, and reading at buffer edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "costs/reader.h"
#include "util/timeutil.h"

static void days_in_both_forms(void **state)
{
	char d[11];

	(void)state;
	assert_int_equal(time_parse_day("10/05/2026", d), 0);
	assert_string_equal(d, "2026-10-05");
	assert_int_equal(time_parse_day("2026-10-05", d), 0);
	assert_int_equal(time_parse_day("2026-10-05T00:00Z", d), 0);
	assert_string_equal(d, "2026-10-05");
	assert_int_equal(time_parse_day("2026-10-05T00:00:00Z", d), 0);
	assert_int_equal(time_parse_day("13/05/2026", d), -EINVAL);
	assert_int_equal(time_parse_day("2026-10-05x", d), -EINVAL);
	assert_int_equal(time_parse_day("", d), -EINVAL);
	assert_int_equal(time_parse_day(NULL, d), -EINVAL);
	/* Only real calendar days, nothing trailing. */
	assert_int_equal(time_parse_day("2026-11-31", d), -EINVAL);
	assert_int_equal(time_parse_day("2026-02-30", d), -EINVAL);
	assert_int_equal(time_parse_day("2026-02-29", d), -EINVAL);
	assert_int_equal(time_parse_day("2028-02-29", d), 0);
	assert_int_equal(time_parse_day("02/31/2026", d), -EINVAL);
	assert_int_equal(time_parse_day("10/03/2026garbage", d), -EINVAL);
	assert_int_equal(time_parse_day("10/03/2026 00:00:00", d), 0);
	assert_string_equal(d, "2026-10-03");
	assert_int_equal(time_parse_day("2026-10-03T24:00:00Z", d), -EINVAL);
	assert_int_equal(time_parse_day("1/3/2026", d), -EINVAL);
}

static void tags_in_both_shapes(void **state)
{
	char *t;

	(void)state;
	assert_int_equal(cost_parse_tags("\"env\": \"prod\",\"team\": \"a\"", &t), 0);
	assert_string_equal(t, "{\"env\":\"prod\",\"team\":\"a\"}");
	free(t);
	assert_int_equal(cost_parse_tags(" {\"env\":\"prod\"} ", &t), 0);
	assert_string_equal(t, "{\"env\":\"prod\"}");
	free(t);
	assert_int_equal(cost_parse_tags("  ", &t), 0);
	assert_null(t);
	assert_int_equal(cost_parse_tags("env=prod", &t), -ERR_JSON);
	assert_null(t);
}

static int kept;

static int count_row(void *ctx, const struct cost_row *row, struct err_detail *d)
{
	(void)ctx;
	(void)d;
	assert_string_equal(row->day, "2026-10-02");
	kept++;
	return 0;
}

/*
 * A line that cannot be ours ending exactly where one read ends (256 KiB):
 * the reader must not touch the byte past its buffer (ASan watches).
 */
static void line_ending_at_the_read_boundary(void **state)
{
	static const char header[] =
		"BilledCost,EffectiveCost,ChargePeriodStart,ResourceId,"
		"BillingCurrency\n";
	static const char vm[] = "1.5,1.5,2026-10-01T00:00Z,/subscriptions/s/"
		"resourceGroups/r/providers/Microsoft.Compute/virtualMachines/";
	static const char ours[] = "2.5,2.0,2026-10-02T00:00Z,/subscriptions/s/"
		"resourceGroups/r/providers/Microsoft.StorageCache/"
		"amlFilesystems/fs1,USD\n";
	char path[] = "/tmp/amlfs-costs-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct cost_reader_options o = { .on_row = count_row };
	struct cost_read_result res;
	struct err_detail d;
	long size = (long)strlen(header), lines = 0;
	const long chunk = 256 * 1024;

	(void)state;
	assert_non_null(f);
	fputs(header, f);
	while (size < chunk) {
		long left = chunk - size, name;
		long fixed = (long)strlen(vm) + (long)strlen(",USD\n");

		/* The last filler line is stretched to end on the boundary. */
		name = left >= 2 * (fixed + 8) ? 8 : left - fixed;
		fprintf(f, "%s%0*d,USD\n", vm, (int)name, (int)lines % 100000000);
		size += fixed + name;
		lines++;
	}
	assert_int_equal(size, chunk);
	fputs(ours, f);
	fclose(f);
	kept = 0;
	assert_int_equal(cost_read_file(path, &o, &res, &d), 0);
	unlink(path);
	assert_int_equal(res.format, COST_FORMAT_FOCUS);
	assert_int_equal(res.rows_read, lines + 1);
	assert_int_equal(res.rows_kept, 1);
	assert_int_equal(kept, 1);
	assert_int_equal(res.bytes, chunk + (long)strlen(ours));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(days_in_both_forms),
		cmocka_unit_test(tags_in_both_shapes),
		cmocka_unit_test(line_ending_at_the_read_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
