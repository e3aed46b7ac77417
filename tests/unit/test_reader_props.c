/*
 * A property of the cost-export reader: a clean FOCUS export, and the
 * same export cut into several gzip members (at any byte, mid-line
 * included), with every field quoted (quotes inside doubled), with CRLF
 * line ends, with a UTF-8 BOM (or two), and any mix of these, read through
 * cost_read_file() to the same rows: the same count, the same totals per
 * currency (bit for bit: the same rows in the same order) as the clean
 * file, and as the export was generated (in micro-units).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "costs/reader.h"
#include "util/sbuf.h"

#define ROWS 400
#define NCUR 3

static const char *const currencies[NCUR] = { "USD", "EUR", "JPY" };

/* The generator's own numbers: what every variant must give. */
struct expect {
	long long micro[NCUR];	/* BilledCost summed, in micro-units */
	long kept;
};

static uint64_t rnd_state;

static uint32_t rnd(void)
{
	rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rnd_state >> 33);
}

/*
 * A FOCUS export: AMLFS rows in three currencies among storage and VM
 * rows, tags that need quoting, a description with a comma and a quote.
 */
static void make_export(struct sbuf *out, struct expect *e)
{
	int i;

	memset(e, 0, sizeof(*e));
	sbuf_adds(out, "BilledCost,BillingCurrency,ChargeDescription,"
		  "ChargePeriodStart,ConsumedQuantity,ConsumedUnit,"
		  "EffectiveCost,ResourceId,Tags,x_ResourceType,"
		  "x_SkuMeterName\n");
	for (i = 0; i < ROWS; i++) {
		int amlfs = rnd() % 3 != 0, cur = (int)(rnd() % NCUR);
		long long micro = (long long)(rnd() % 50000000);
		long long eff = (long long)(rnd() % 50000000);

		sbuf_addf(out, "%lld.%06lld,%s,", micro / 1000000,
			  micro % 1000000, currencies[cur]);
		if (i % 7 == 0)
			sbuf_adds(out, "\"Premium, 500 MB/s \"\"durable\"\"\",");
		else
			sbuf_adds(out, "Azure Managed Lustre,");
		sbuf_addf(out, "2026-10-%02dT00:00:00Z,%u.5,1 TiB/Hour,"
			  "%lld.%06lld,", 1 + i % 31, rnd() % 100,
			  eff / 1000000, eff % 1000000);
		if (amlfs)
			sbuf_addf(out, "/subscriptions/s%d/resourceGroups/rg/"
				  "providers/Microsoft.StorageCache/"
				  "amlFilesystems/fs%d,", i % 4, i % 5);
		else
			sbuf_addf(out, "/subscriptions/s1/resourceGroups/rg/"
				  "providers/Microsoft.Compute/"
				  "virtualMachines/vm%d,", i % 5);
		if (i % 3)
			sbuf_addf(out, "\"{\"\"env\"\": \"\"prod\"\", "
				  "\"\"n\"\": \"\"%d\"\"}\",", i);
		else
			sbuf_adds(out, ",");
		sbuf_addf(out, "%s,Meter %d\n", amlfs ?
			  "microsoft.storagecache/amlfilesystems" :
			  "microsoft.compute/virtualmachines", i % 9);
		if (amlfs) {
			e->micro[cur] += micro;
			e->kept++;
		}
	}
}

/* Every field quoted, quotes inside doubled (fields already quoted stay). */
static void requote(const struct sbuf *in, struct sbuf *out)
{
	const char *p = in->buf, *end = in->buf + in->len;

	while (p < end) {
		if (*p == '"') {	/* a quoted field: copy it whole */
			const char *q = p + 1;

			while (!(q[0] == '"' && q[1] != '"'))
				q += q[0] == '"' ? 2 : 1;
			sbuf_add(out, p, (size_t)(q + 1 - p));
			p = q + 1;
		} else {
			size_t n = strcspn(p, ",\n");

			sbuf_addch(out, '"');
			sbuf_add(out, p, n);
			sbuf_addch(out, '"');
			p += n;
		}
		if (p < end)
			sbuf_addch(out, *p++);	/* ',' or '\n' */
	}
}

static void crlf(const struct sbuf *in, struct sbuf *out)
{
	size_t i;

	for (i = 0; i < in->len; i++) {
		if (in->buf[i] == '\n')
			sbuf_addch(out, '\r');
		sbuf_addch(out, in->buf[i]);
	}
}

static void gzip_member(const char *p, size_t n, struct sbuf *out)
{
	z_stream z;
	unsigned char buf[16384];
	int r;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
				      Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)n;
	do {
		z.next_out = buf;
		z.avail_out = sizeof(buf);
		r = deflate(&z, Z_FINISH);
		assert_true(r == Z_OK || r == Z_STREAM_END);
		sbuf_add(out, (char *)buf, sizeof(buf) - z.avail_out);
	} while (r != Z_STREAM_END);
	deflateEnd(&z);
}

/* Cut in members at members - 1 random bytes (sorted; may repeat). */
static void gzip_members(const struct sbuf *in, int members, struct sbuf *out)
{
	size_t cuts[8], at = 0;
	int i, k;

	for (i = 0; i < members - 1; i++)
		cuts[i] = rnd() % (in->len + 1);
	for (i = 1; i < members - 1; i++)	/* insertion sort */
		for (k = i; k > 0 && cuts[k - 1] > cuts[k]; k--) {
			size_t t = cuts[k];

			cuts[k] = cuts[k - 1];
			cuts[k - 1] = t;
		}
	for (i = 0; i < members - 1; i++) {
		gzip_member(in->buf + at, cuts[i] - at, out);
		at = cuts[i];
	}
	gzip_member(in->buf + at, in->len - at, out);
}

static void swap(struct sbuf *a, struct sbuf *b)
{
	struct sbuf t = *a;

	*a = *b;
	*b = t;
}

struct totals {
	double sum[NCUR];
	long rows;
};

static int on_row(void *ctx, const struct cost_row *row,
		  struct err_detail *d)
{
	struct totals *t = ctx;
	int i;

	(void)d;
	for (i = 0; i < NCUR; i++)
		if (!strcmp(row->currency, currencies[i]))
			t->sum[i] += row->cost;
	t->rows++;
	return 0;
}

static void on_bad(void *ctx, long line, const char *why)
{
	(void)ctx;
	fail_msg("line %ld: %s", line, why);
}

/* Through a real file, as import-costs reads one. */
static void read_bytes(const struct sbuf *bytes, struct totals *t,
		       struct cost_read_result *res)
{
	struct cost_reader_options o = { .on_row = on_row, .on_bad = on_bad,
					 .ctx = t };
	struct err_detail d = { { 0 }, { 0 } };
	char path[] = "/tmp/amlfs-reader-props.XXXXXX";
	int fd = mkstemp(path), r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes->buf, bytes->len), (ssize_t)bytes->len);
	close(fd);
	memset(t, 0, sizeof(*t));
	r = cost_read_file(path, &o, res, &d);
	unlink(path);
	if (r < 0)
		fail_msg("%s: %s", d.where, d.msg);
}

static void variants_read_the_same(void **state)
{
	struct sbuf clean = SBUF_INIT;
	struct expect e;
	struct totals want, got;
	struct cost_read_result res0, res;
	int round, i;

	(void)state;
	rnd_state = 20261126;
	make_export(&clean, &e);
	read_bytes(&clean, &want, &res0);
	assert_int_equal(res0.format, COST_FORMAT_FOCUS);
	assert_int_equal(res0.rows_read, ROWS);
	assert_int_equal(res0.rows_malformed, 0);
	assert_int_equal(want.rows, e.kept);
	for (i = 0; i < NCUR; i++)
		assert_int_equal((long long)(want.sum[i] * 1e6 + 0.5),
				 e.micro[i]);

	for (round = 0; round < 48; round++) {
		struct sbuf a = SBUF_INIT, b = SBUF_INIT;
		int how = round % 16, members = 2 + (int)(rnd() % 6);

		/* bit 0: re-quoted, 1: CRLF, 2: BOM (or two), 3: gzip members;
		 * rounds 16.. add gzip to every mix. */
		if (round >= 16)
			how |= 8;
		sbuf_add(&a, clean.buf, clean.len);
		if (how & 1) {
			requote(&a, &b);
			swap(&a, &b);
			sbuf_reset(&b);
		}
		if (how & 2) {
			crlf(&a, &b);
			swap(&a, &b);
			sbuf_reset(&b);
		}
		if (how & 4) {
			/* every third round a file saved twice with one */
			if (round % 3 == 0)
				sbuf_adds(&b, "\xEF\xBB\xBF");
			sbuf_adds(&b, "\xEF\xBB\xBF");
			sbuf_add(&b, a.buf, a.len);
			swap(&a, &b);
			sbuf_reset(&b);
		}
		if (how & 8) {
			gzip_members(&a, members, &b);
			swap(&a, &b);
			sbuf_reset(&b);
		}
		read_bytes(&a, &got, &res);
		if (got.rows != want.rows || res.rows_read != res0.rows_read ||
		    memcmp(got.sum, want.sum, sizeof(want.sum)))
			fail_msg("variant %d (members %d): %ld rows of %ld read, "
				 "%ld kept (want %ld), USD %.6f (want %.6f)",
				 how, members, res.rows_read, res0.rows_read,
				 got.rows, want.rows, got.sum[0], want.sum[0]);
		sbuf_release(&a);
		sbuf_release(&b);
	}
	sbuf_release(&clean);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(variants_read_the_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
