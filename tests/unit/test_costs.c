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

#include "costs/costs.h"
#include "costs/reader.h"
#include "store/db.h"
#include "util/num.h"
#include "util/sbuf.h"
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

static void money_in_micro_units(void **state)
{
	static const struct { const char *s; long long m; } ok[] = {
		{ "0.1", 100000 }, { "0.2", 200000 }, { "-0", 0 },
		{ "12345678901.234567", 12345678901234567LL },
		{ "0.0000005", 0 }, { "0.0000015", 2 }, { "0.0000025", 2 },
		{ "0.00000050001", 1 }, { "-0.0000025", -2 }, { "2.5e-6", 2 },
		{ "1.5E+3", 1500000000 }, { "1e-20", 0 },
		{ "0.0411290322580645", 41129 },
		{ "9223372036854.77580", 9223372036854775800LL },
		/* Exports' 16 decimals on a cost over 100. */
		{ "100.1234567890123456", 100123457 },
		{ "0.00012345678901234567", 123 },
		{ "00000000012.0000005000000000000001", 12000001 },
	};
	static const char *const bad[] = {
		"9.3e12", "-9.3e12", "1e20", "1234567890123456789",
		"nan", "inf", " 1", "0x10", "1,5", "", "-",
	};
	long long m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (num_parse_micros(ok[i].s, &m) < 0)
			fail_msg("refused '%s'", ok[i].s);
		if (m != ok[i].m)
			fail_msg("'%s' gave %lld", ok[i].s, m);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (num_parse_micros(bad[i], &m) == 0)
			fail_msg("accepted '%s'", bad[i]);
	assert_int_equal(num_micros_of_double(0.1 + 0.2, &m), 0);
	assert_int_equal(m, 300000);
}

struct seen {
	struct sbuf lines;	/* what on_line handed over */
	int rows, bad, notes;
	long first_bad;
};

static int seen_row(void *ctx, const struct cost_row *row, struct err_detail *d)
{
	(void)row;
	(void)d;
	((struct seen *)ctx)->rows++;
	return 0;
}

static void seen_bad(void *ctx, long line, const char *why)
{
	struct seen *s = ctx;

	if (strncmp(why, "malformed", 9)) {
		s->notes++;
		return;
	}
	if (!s->bad++)
		s->first_bad = line;
}

static int seen_line(void *ctx, const char *line, size_t len)
{
	return sbuf_add(&((struct seen *)ctx)->lines, line, len);
}

/* Read text; then read what it kept (keep_all): the same rows. */
static void read_twice(const char *text, struct seen *s)
{
	struct cost_reader_options o = {
		.on_row = seen_row, .on_bad = seen_bad, .on_line = seen_line,
		.ctx = s,
	};
	struct cost_read_result res;
	struct seen again = { .lines = SBUF_INIT };
	struct err_detail d;

	assert_int_equal(cost_read_buffer("t.csv", text, strlen(text), &o, &res,
					  &d), 0);
	o.ctx = &again;
	o.keep_all = 1;
	assert_int_equal(cost_read_buffer("kept", s->lines.buf, s->lines.len,
					  &o, &res, &d), 0);
	assert_int_equal(again.rows, s->rows);
	assert_int_equal(again.bad, 0);
	sbuf_release(&again.lines);
}

#define HDR "ResourceId,Date,CostInBillingCurrency,BillingCurrencyCode\n"
#define FS "/x/providers/Microsoft.StorageCache/amlFilesystems/"
#define SA "/x/providers/Microsoft.Storage/storageAccounts/sa,10/01/2026,1,USD"

/*
 * A stray quote in a row not ours: closed by another a few lines on (a
 * record of the wrong width), or never: one malformed row where it
 * opened, the AMLFS lines it took named and read again; the kept lines
 * (the evidence) read again give the same rows.
 */
static void a_broken_record_is_read_again(void **state)
{
	static const char *const texts[] = {
		HDR SA ",\"x\n" FS "a,10/01/2026,1,USD\n" FS "b,10/01/2026,1,USD\n"
		SA "\"\n" FS "c,10/02/2026,2,USD\n",
		HDR SA ",\"x\n" FS "a,10/01/2026,1,USD\n" FS "b,10/01/2026,1,USD\n"
		FS "c,10/02/2026,2,USD",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct seen s = { .lines = SBUF_INIT };

		read_twice(texts[i], &s);
		assert_int_equal(s.rows, 3);
		assert_int_equal(s.bad, 1);
		assert_int_equal(s.first_bad, 2);
		assert_int_equal(s.notes, 2 + (i == 1));
		sbuf_release(&s.lines);
	}
}

/*
 * Source 2 against source 1's rows for one resource, day and cost type:
 * how many of source 2's rows cost_supersede() keeps (the rest dropped as
 * repeats) and how many of source 1's it marks superseded, by either rule.
 */
static void supersede_case(const char *held, const char *newer, int exact,
			   long want_kept, long want_marked)
{
	struct err_detail d = { "", "" };
	struct store *s = NULL;
	struct sbuf sql = SBUF_INIT;
	sqlite3_stmt *st = NULL;
	long marked;

	assert_int_equal(store_open(":memory:", 0, &s, &d), 0);
	sbuf_addf(&sql, "INSERT INTO cost_sources (id, kind, name, format, "
		  "ingested_at) VALUES (1, 'file', 'a', 'ea', '2026-11-01'), "
		  "(2, 'file', 'b', 'ea', '2026-11-02');"
		  "CREATE TEMP TABLE r (source, meter, micros, tags);"
		  "INSERT INTO r VALUES %s%s%s;"
		  "INSERT INTO cost_rows (source, resource_key, resource_id, "
		  "day, cost_type, meter, currency, cost, tags, cost_micros) "
		  "SELECT source, 'k', 'K', '2026-10-01', 'ActualCost', meter, "
		  "'USD', micros / 1e6, tags, micros FROM r;", held,
		  *held && *newer ? ", " : "", newer);
	assert_int_equal(store_exec(s, sql.buf, &d), 0);
	marked = cost_supersede(s, 2, exact, &d);
	assert_int_equal(marked, want_marked);
	assert_int_equal(sqlite3_prepare_v2(store_db(s), "SELECT count(*) FROM "
					    "cost_rows WHERE source = 2", -1,
					    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), want_kept);
	sqlite3_finalize(st);
	sbuf_release(&sql);
	store_close(s);
}

/* Found in review: a newer import that differs only in a tag, or in how
 * many times a row comes, replaced nothing (it "repeated" the old one). */
static void repeats_are_exact(void **state)
{
	static const char *const held_ab =
		"(1, 'cap', 10000000, NULL), (1, 'tput', 5000000, NULL)";
	(void)state;
	/* The same rows: dropped by both rules, nothing superseded. */
	supersede_case(held_ab, "(2, 'tput', 5000000, NULL), "
		       "(2, 'cap', 10000000, NULL)", 1, 0, 0);
	supersede_case(held_ab, "(2, 'tput', 5000000, NULL), "
		       "(2, 'cap', 10000000, NULL)", 0, 0, 0);
	/* {cap 10, cap 10} against {cap 10, tput 5}: a change. */
	supersede_case(held_ab, "(2, 'cap', 10000000, NULL), "
		       "(2, 'cap', 10000000, NULL)", 1, 2, 2);
	supersede_case(held_ab, "(2, 'cap', 10000000, NULL), "
		       "(2, 'cap', 10000000, NULL)", 0, 0, 0);
	/* A tag changed: a change for the chargeback. */
	supersede_case("(1, 'cap', 10000000, '{\"CostCenter\":\"CC-1\"}')",
		       "(2, 'cap', 10000000, '{\"CostCenter\":\"CC-2\"}')",
		       1, 1, 1);
	supersede_case("(1, 'cap', 10000000, '{\"CostCenter\":\"CC-1\"}')",
		       "(2, 'cap', 10000000, '{\"CostCenter\":\"CC-2\"}')",
		       0, 0, 0);
	/* A row held twice against it once: a change by either rule. */
	supersede_case("(1, 'cap', 10000000, NULL), (1, 'cap', 10000000, NULL)",
		       "(2, 'cap', 10000000, NULL)", 1, 1, 2);
	supersede_case("(1, 'cap', 10000000, NULL), (1, 'cap', 10000000, NULL)",
		       "(2, 'cap', 10000000, NULL)", 0, 1, 2);
	/* Nothing held: kept, nothing to supersede. */
	supersede_case("", "(2, 'cap', 10000000, NULL)", 1, 1, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(days_in_both_forms),
		cmocka_unit_test(tags_in_both_shapes),
		cmocka_unit_test(line_ending_at_the_read_boundary),
		cmocka_unit_test(money_in_micro_units),
		cmocka_unit_test(a_broken_record_is_read_again),
		cmocka_unit_test(repeats_are_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
