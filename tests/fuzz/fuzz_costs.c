/*
 * The cost-export reader (costs/reader.c). Input: the bytes of an export
 * file, plain or gzip (read from memory through a memfd, as a file).
 * What must hold:
 *  - every kept row has a real calendar day, a three-letter currency,
 *    finite numbers, a non-empty UTF-8 resource id and a line in range;
 *  - every row is accounted for: kept + malformed <= read, on_row and
 *    on_bad ("malformed ...") called once per kept and malformed row;
 *  - a refusal says what and where;
 *  - plain text reads the same from a file and from memory;
 *  - the lines handed to on_line, read again with keep_all, give the
 *    same kept rows (the evidence an import keeps reproduces it), and
 *    keep_all on the input keeps the same rows as the quick look does.
 */
#include "fuzz.h"

#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "costs/reader.h"
#include "util/num.h"
#include "util/sbuf.h"

struct seen {
	struct sbuf rows;	/* one line of text per kept row */
	struct sbuf lines;	/* what on_line handed on */
	long kept, malformed, last_line;
	long max_line;		/* lines of a well-quoted plain file, else 0 */
};

static int real_day(const char *d)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
				     30, 31 };
	int y, m, day, i;

	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? d[i] != '-' : (d[i] < '0' || d[i] > '9'))
			return 0;
	if (d[10])
		return 0;
	y = atoi(d);
	m = atoi(d + 5);
	day = atoi(d + 8);
	if (m < 1 || m > 12 || day < 1 || day > mdays[m - 1])
		return 0;
	return !(m == 2 && day == 29 &&
		 !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
}

static int on_row(void *ctx, const struct cost_row *r, struct err_detail *d)
{
	struct seen *s = ctx;

	(void)d;
	FUZZ_ASSERT(r->resource_id && *r->resource_id);
	FUZZ_ASSERT(utf8_valid(r->resource_id, strlen(r->resource_id)));
	FUZZ_ASSERT(real_day(r->day));
	FUZZ_ASSERT(currency_code_ok(r->currency));
	FUZZ_ASSERT(isfinite(r->cost));
	FUZZ_ASSERT(!r->has_amortized || isfinite(r->amortized));
	FUZZ_ASSERT(!r->has_quantity || isfinite(r->quantity));
	if (s->max_line > 0) {
		if (r->line < 2 || r->line < s->last_line)
			fprintf(stderr, "row at line %ld after one at %ld\n",
				r->line, s->last_line);
		FUZZ_ASSERT(r->line >= 2 && r->line >= s->last_line);
		FUZZ_ASSERT(r->line <= s->max_line);
	}
	s->last_line = r->line;
	s->kept++;
	/* %a: exact, so two reads compare bit for bit. */
	sbuf_addf(&s->rows, "%s|%s|%s|%s|%s|%s|%a|%d:%a|%d:%a\n",
		  r->resource_id, r->day, r->meter ? r->meter : "-",
		  r->currency, r->unit ? r->unit : "-",
		  r->tags ? r->tags : "-", r->cost, r->has_amortized,
		  r->has_amortized ? r->amortized : 0.0, r->has_quantity,
		  r->has_quantity ? r->quantity : 0.0);
	return 0;
}

static void on_bad(void *ctx, long line, const char *why)
{
	struct seen *s = ctx;

	FUZZ_ASSERT(line >= 1 && why && *why);
	FUZZ_ASSERT(s->max_line <= 0 || line <= s->max_line);
	if (!strncmp(why, "malformed", 9))
		s->malformed++;
}

static int on_line(void *ctx, const char *line, size_t len)
{
	struct seen *s = ctx;

	sbuf_add(&s->lines, line, len);
	return 0;
}

static void seen_init(struct seen *s, long max_line)
{
	memset(s, 0, sizeof(*s));
	sbuf_init(&s->rows, 0);
	sbuf_init(&s->lines, 0);
	s->max_line = max_line;
}

static void seen_release(struct seen *s)
{
	sbuf_release(&s->rows);
	sbuf_release(&s->lines);
}

static void check_result(int r, const struct seen *s,
			 const struct cost_read_result *res,
			 const struct err_detail *d)
{
	if (r < 0) {
		FUZZ_ASSERT(d->msg[0] && d->where[0]);
		return;
	}
	FUZZ_ASSERT(res->format != COST_FORMAT_UNKNOWN);
	FUZZ_ASSERT(res->rows_kept == s->kept);
	FUZZ_ASSERT(res->rows_malformed == s->malformed);
	FUZZ_ASSERT(res->rows_kept + res->rows_malformed <= res->rows_read);
}

static int same(const struct sbuf *a, const struct sbuf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->buf, b->buf, a->len));
}

/* same(), saying what differs when it does not hold. */
static int same_rows(const struct seen *a, const struct seen *b,
		     const char *what)
{
	if (same(&a->rows, &b->rows))
		return 1;
	fprintf(stderr, "rows of %s:\n%.*s\nrows read first:\n%.*s\n", what,
		(int)b->rows.len, b->rows.buf ? b->rows.buf : "",
		(int)a->rows.len, a->rows.buf ? a->rows.buf : "");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cost_reader_options o = {
		.on_row = on_row, .on_bad = on_bad, .on_line = on_line,
	};
	struct cost_read_result res, res2;
	struct err_detail d = { { 0 }, { 0 } }, d2 = { { 0 }, { 0 } };
	struct seen s, s2;
	char path[64];
	int fd, r = 0, r2, gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
	long lines = 0;
	size_t i;

	/* Lines of a plain file: where a row or a complaint may point. */
	for (i = 0; !gz && i < size; i++)
		lines += data[i] == '\n';
	if (!gz && (!size || data[size - 1] != '\n'))
		lines++;
	if (gz)
		lines = 0;

	/*
	 * gzip is read from a file only (a memfd); plain text from memory,
	 * and from a file too for one input in 16 (a fuzz build reads files
	 * 4 KiB at a time, so that path still crosses chunk boundaries; doing
	 * it for every input would halve the executions).
	 */
	seen_init(&s, lines);
	o.ctx = &s;
	if (gz || size % 16 == 0) {
		fd = memfd_create("fuzz-export", MFD_CLOEXEC);
		FUZZ_ASSERT(fd >= 0);
		FUZZ_ASSERT(write(fd, data, size) == (ssize_t)size);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		r = cost_read_file(path, &o, &res, &d);
		check_result(r, &s, &res, &d);
		close(fd);
	}
	if (!gz) {
		/* From memory: the same answer. */
		seen_init(&s2, lines);
		o.ctx = &s2;
		r2 = cost_read_buffer("fuzz", (const char *)data, size, &o,
				      &res2, &d2);
		check_result(r2, &s2, &res2, &d2);
		/*
		 * A refusal stops a file read at the chunk it is in, so what
		 * was hashed and handed on before it may differ; a refusal
		 * keeps nothing, and both must refuse.
		 */
		if (size % 16 == 0)
			FUZZ_ASSERT(r == r2);
		if (size % 16 == 0 && r == 0) {
			FUZZ_ASSERT(!strcmp(res.sha256, res2.sha256));
			FUZZ_ASSERT(res.rows_read == res2.rows_read);
			FUZZ_ASSERT(same(&s.rows, &s2.rows));
			FUZZ_ASSERT(same(&s.lines, &s2.lines));
		}
		seen_release(&s);
		s = s2;
		r = r2;
		res = res2;

		/*
		 * Every line parsed: the same rows kept. The quick look skips
		 * lines that cannot be ours only where libcsv would end them
		 * outside a record too (a NUL, a stray quote or a bare CR must
		 * not make the two disagree).
		 */
		if (r == 0 && lines) {
			seen_init(&s2, lines);
			o.ctx = &s2;
			o.keep_all = 1;
			o.on_line = NULL;
			r2 = cost_read_buffer("fuzz", (const char *)data, size,
					      &o, &res2, &d2);
			check_result(r2, &s2, &res2, &d2);
			FUZZ_ASSERT(r2 == 0);
			FUZZ_ASSERT(same_rows(&s, &s2, "every line parsed"));
			seen_release(&s2);
			o.keep_all = 0;
			o.on_line = on_line;
		}
	}

	/* The evidence (lines handed on) reads back to the same rows. */
	if (r == 0) {
		seen_init(&s2, 0);
		o.ctx = &s2;
		o.keep_all = 1;
		o.on_line = NULL;
		r2 = cost_read_buffer("evidence", s.lines.buf ? s.lines.buf : "",
				      s.lines.len, &o, &res2, &d2);
		check_result(r2, &s2, &res2, &d2);
		if (r2 != 0 && getenv("FUZZ_DUMP")) {
			FILE *f = fopen(getenv("FUZZ_DUMP"), "wb");
			fwrite(s.lines.buf, 1, s.lines.len, f);
			fclose(f);
		}
		if (r2 != 0)
			fprintf(stderr, "evidence refused: %s at %s\n", d2.msg,
				d2.where);
		FUZZ_ASSERT(r2 == 0);
		FUZZ_ASSERT(same_rows(&s, &s2, "the evidence"));
		seen_release(&s2);
	}
	seen_release(&s);
	return 0;
}
