/* sbuf, err, time and output helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <locale.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/output.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/num.h"
#include "util/sbuf.h"
#include "util/timeutil.h"
#include "util/url.h"

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

/* time_iso() as the C library writes it: edge days, a spread of times
 * from 1970 to 9999, times before 1970 back to 1000; years before 1000
 * with four digits; times it cannot write in 20 characters, saturated. */
/* A wrong path given by a user is a usage error; a failing system is not. */
static void path_refused_is_the_user_s(void **state)
{
	(void)state;
	assert_true(fs_path_refused(-ENOENT));
	assert_true(fs_path_refused(-ENOTDIR));
	assert_true(fs_path_refused(-EACCES));
	assert_true(fs_path_refused(-EPERM));
	assert_false(fs_path_refused(-EIO));
	assert_false(fs_path_refused(-ENOMEM));
	assert_false(fs_path_refused(-ERR_TOO_LARGE));
	assert_false(fs_path_refused(0));
}

static void time_iso_is_the_library_s(void **state)
{
	static const long long edges[] = {
		0, 59, 86399, 86400, 951782400, 951868799, 4107542399LL,
		4107542400LL, 253402300799LL, -1, -86401, -30610224000LL,
	};
	unsigned long long x = 88172645463325252ULL;
	char want[32], got[21];
	struct tm tm;
	time_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]) + 100000; i++) {
		if (i < sizeof(edges) / sizeof(edges[0])) {
			t = (time_t)edges[i];
		} else {
			x ^= x << 13;	/* xorshift64: the same spread each time */
			x ^= x >> 7;
			x ^= x << 17;
			t = (time_t)(x % 253402300800ULL);
		}
		assert_non_null(gmtime_r(&t, &tm));
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
		time_iso(t, got);
		assert_string_equal(got, want);
	}
	time_iso((time_t)253402300800LL, got);
	assert_string_equal(got, "9999-12-31T23:59:59Z");
	time_iso((time_t)LLONG_MAX, got);
	assert_string_equal(got, "9999-12-31T23:59:59Z");
	time_iso((time_t)-62135596800LL, got);	/* (%Y: "1-01-01...") */
	assert_string_equal(got, "0001-01-01T00:00:00Z");
	time_iso((time_t)-62167219200LL, got);
	assert_string_equal(got, "0000-01-01T00:00:00Z");
	time_iso((time_t)-62167219201LL, got);
	assert_string_equal(got, "0000-01-01T00:00:00Z");
	time_iso((time_t)LLONG_MIN, got);
	assert_string_equal(got, "0000-01-01T00:00:00Z");
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
	/* OWASP: a tab or CR before '=' is a formula to some spreadsheets. */
	s = print_to_string(OUT_CSV, "[{\"name\":\"\\t=1+1\",\"value\":"
			    "\"\\r=2\"}]");
	assert_string_equal(s, "\"name\",\"value\"\r\n\"'\t=1+1\",\"'\r=2\"\r\n");
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
	/* C1 controls (CSI U+009B), invalid UTF-8 and DEL too. */
	s = print_to_string(OUT_TABLE, "[{\"name\":\"x\\u009b31my\\u007f\","
			    "\"value\":null}]");
	assert_null(strstr(s, "\xc2\x9b"));
	assert_non_null(strstr(s, "x?31my?"));
	free(s);
}

/* Columns line up by display width, not bytes: wide and accented text. */
static void table_aligns_by_display_width(void **state)
{
	char *s = print_to_string(OUT_TABLE,
		"[{\"name\":\"\u65e5\u672c\",\"value\":1},"
		" {\"name\":\"Jos\u00e9\",\"value\":2},"
		" {\"name\":\"abcd\",\"value\":3}]");
	char *l1, *l2, *l3;

	(void)state;
	l1 = strstr(s, "\xe6\x97\xa5");	/* 2 wide characters: 4 columns */
	l2 = strstr(s, "Jos\xc3\xa9");		/* 4 columns, 5 bytes */
	l3 = strstr(s, "abcd");
	assert_non_null(l1);
	assert_non_null(l2);
	assert_non_null(l3);
	/* each name is padded to the same column: 4 columns + 2 spaces */
	assert_int_equal(strchr(l1, '1') - l1, 6 + 2);	/* 6 bytes */
	assert_int_equal(strchr(l2, '2') - l2, 5 + 2);	/* 5 bytes */
	assert_int_equal(strchr(l3, '3') - l3, 4 + 2);
	free(s);
}

/* The URL policy (issue 8's reproductions among them). */
static void url_policy(void **state)
{
	static const struct { const char *url; enum url_use use; int ok; } c[] = {
		{ "https://management.azure.com", URL_TOKEN, 1 },
		{ "https://management.azure.com:443/x?y=1", URL_TOKEN, 1 },
		{ "http://127.0.0.1:8080", URL_TOKEN, 1 },
		{ "http://127.9.8.7/", URL_TOKEN, 1 },
		{ "http://localhost:1", URL_TOKEN, 1 },
		{ "http://LOCALHOST", URL_TOKEN, 1 },
		{ "http://[::1]:9/", URL_TOKEN, 1 },
		/* userinfo hides the real host; never allowed */
		{ "http://localhost:1@192.0.2.2:18082", URL_TOKEN, 0 },
		{ "https://user:pw@management.azure.com", URL_TOKEN, 0 },
		{ "http://management.azure.com", URL_TOKEN, 0 },
		{ "http://127.0.0.1.evil.example", URL_TOKEN, 0 },
		{ "http://128.0.0.1", URL_TOKEN, 0 },
		{ "http://[::2]", URL_TOKEN, 0 },
		{ "ftp://127.0.0.1", URL_TOKEN, 0 },
		{ "file:///etc/passwd", URL_TOKEN, 0 },
		{ "management.azure.com", URL_TOKEN, 0 },
		{ "", URL_TOKEN, 0 },
		{ "http://169.254.169.254", URL_TOKEN, 0 },
		{ "http://169.254.169.254", URL_IMDS, 1 },
		{ "http://169.254.169.253", URL_IMDS, 0 },
		{ "https://{region}.metrics.monitor.azure.com", URL_TEMPLATE, 1 },
		{ "http://{region}.metrics.example", URL_TEMPLATE, 0 },
		{ "https://{region}.metrics.monitor.azure.com", URL_TOKEN, 0 },
	};
	struct err_detail d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int r = url_check(c[i].url, c[i].use, &d);

		if ((r == 0) != c[i].ok)
			fail_msg("'%s': %d (%s)", c[i].url, r, r ? d.msg : "");
	}
}

static void url_origins_and_regions(void **state)
{
	(void)state;
	assert_true(url_same_origin("https://a.example/x?y",
				    "https://A.example:443/z"));
	assert_true(url_same_origin("http://127.0.0.1:8/a", "http://127.0.0.1:8/b"));
	assert_false(url_same_origin("https://a.example/", "http://a.example/"));
	assert_false(url_same_origin("https://a.example/", "https://b.example/"));
	assert_false(url_same_origin("https://a.example/", "https://a.example:8443/"));
	assert_false(url_same_origin("http://127.0.0.1:8/",
				     "http://localhost:1@192.0.2.2:8/"));
	assert_false(url_same_origin("https://a.example/", "not a url"));
	assert_true(url_region_ok("westeurope"));
	assert_true(url_region_ok("eastus2"));
	assert_false(url_region_ok(""));
	assert_false(url_region_ok("evil.example/steal#"));
	assert_false(url_region_ok("West"));
}

static void strict_numbers_and_text(void **state)
{
	static const char *const good[] = {
		"0", "12", "-3.5", "715.776000", "0.0002275391", "1.2E-05",
		"123456789012345", "1e20", "100.1234567890123456",
		"0.00012345678901234567", "000000000000000012.5",
	};
	static const char *const bad[] = {
		"", " 12", "12 ", "+12", "inf", "infinity", "nan", "NaN",
		"1e999", "1e-400", "0x1p4", "0x10", "1.2.3", "12abc", ".5",
		"1234567890123456", "12345678901234567890123456789", "1e", "1e123",
		"--1", "1,5",
	};
	double v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (num_parse_decimal(good[i], &v) < 0)
			fail_msg("'%s' refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (num_parse_decimal(bad[i], &v) == 0)
			fail_msg("'%s' accepted", bad[i]);
	assert_true(utf8_valid("caf\xc3\xa9", 5));
	assert_false(utf8_valid("\xff", 1));
	assert_false(utf8_valid("\xc0\xaf", 2));		/* overlong */
	assert_false(utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(utf8_valid("\xe2\x82", 2));		/* cut short */
	assert_true(currency_code_ok("USD"));
	assert_false(currency_code_ok("=USD"));
	assert_false(currency_code_ok("usd"));
	assert_false(currency_code_ok("US"));
	{
		long long t;

		assert_int_equal(num_seconds(3600.0, &t), 0);
		assert_true(t == 3600);
		assert_int_equal(num_seconds(1e300, &t), -EINVAL);
		assert_int_equal(num_seconds(-1.0, &t), -EINVAL);
		assert_int_equal(num_seconds(0.0 / 0.0, &t), -EINVAL);
		assert_int_equal(num_seconds_int(INT64_MAX, &t), -EINVAL);
	}
}

/* Updates of every size around the 4 KiB buffer give one-shot's hash. */
static void hash_chunks_match_one_shot(void **state)
{
	static const size_t sizes[] = { 0, 1, 9, 4095, 4096, 4097, 3, 8192,
					 5000, 1, 12000 };
	static unsigned char data[50000];
	char one[SHA256_HEX_LEN + 1], chunked[SHA256_HEX_LEN + 1];
	struct hash_ctx *h = hash_init();
	size_t i, at = 0;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 131 + i / 251);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		hash_update(h, data + at, sizes[i]);
		at += sizes[i];
	}
	assert_int_equal(hash_final(h, chunked), 0);
	assert_int_equal(sha256_hex(data, at, one), 0);
	assert_string_equal(chunked, one);
	/* A known answer: SHA-256("abc"), in two updates. */
	h = hash_init();
	hash_update(h, "a", 1);
	hash_update(h, "bc", 2);
	assert_int_equal(hash_final(h, one), 0);
	assert_string_equal(one, "ba7816bf8f01cfea414140de5dae2223"
			    "b00361a396177a9cb410ff61f20015ad");
}

int main(void)
{
	/* As main() does: widths from UTF-8, numbers in the C locale. */
	setlocale(LC_CTYPE, "C.UTF-8");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sbuf_grows_and_detaches),
		cmocka_unit_test(sbuf_cap_leaves_buffer_unchanged),
		cmocka_unit_test(err_str_covers_both_ranges),
		cmocka_unit_test(path_refused_is_the_user_s),
		cmocka_unit_test(time_iso_is_the_library_s),
		cmocka_unit_test(time_parses_iso_forms),
		cmocka_unit_test(months),
		cmocka_unit_test(csv_quotes_and_guards_formulas),
		cmocka_unit_test(table_hides_control_characters),
		cmocka_unit_test(table_aligns_by_display_width),
		cmocka_unit_test(url_policy),
		cmocka_unit_test(url_origins_and_regions),
		cmocka_unit_test(strict_numbers_and_text),
		cmocka_unit_test(hash_chunks_match_one_shot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
