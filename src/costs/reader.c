#include "costs/reader.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "util/num.h"
#include "util/sbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define READ_CHUNK (256 * 1024)
#define MAX_FIELDS 512
#define MAX_LINE (16 << 20)	/* one record: far past any real export */

/* The columns we read, by role; -1 when the header lacks one. */
enum col {
	C_RESOURCE, C_DATE, C_COST, C_AMORTIZED, C_CURRENCY, C_METER, C_QTY,
	C_UNIT, C_TAGS, C_RTYPE, NCOLS
};

/* Header names per format, case-blind; the first found wins. */
static const char *const names[][NCOLS][3] = {
	[COST_FORMAT_EA] = {
		[C_RESOURCE] = { "ResourceId" }, [C_DATE] = { "Date" },
		[C_COST] = { "CostInBillingCurrency" },
		[C_CURRENCY] = { "BillingCurrencyCode", "BillingCurrency" },
		[C_METER] = { "MeterName" }, [C_QTY] = { "Quantity" },
		[C_UNIT] = { "UnitOfMeasure" }, [C_TAGS] = { "Tags" },
	},
	[COST_FORMAT_MCA] = {
		[C_RESOURCE] = { "ResourceId" }, [C_DATE] = { "date" },
		[C_COST] = { "costInBillingCurrency" },
		[C_CURRENCY] = { "billingCurrency" },
		[C_METER] = { "meterName" }, [C_QTY] = { "quantity" },
		[C_UNIT] = { "unitOfMeasure" }, [C_TAGS] = { "tags" },
	},
	[COST_FORMAT_FOCUS] = {
		[C_RESOURCE] = { "ResourceId" },
		[C_DATE] = { "ChargePeriodStart" },
		[C_COST] = { "BilledCost" }, [C_AMORTIZED] = { "EffectiveCost" },
		[C_CURRENCY] = { "BillingCurrency" },
		[C_METER] = { "x_SkuMeterName", "ChargeDescription" },
		[C_QTY] = { "ConsumedQuantity" }, [C_UNIT] = { "ConsumedUnit" },
		[C_TAGS] = { "Tags" }, [C_RTYPE] = { "x_ResourceType" },
	},
};

/* Columns every row of a format must have. */
static const enum col required[] = { C_RESOURCE, C_DATE, C_COST, C_CURRENCY };

const char *cost_format_name(enum cost_format f)
{
	switch (f) {
	case COST_FORMAT_EA: return "ea";
	case COST_FORMAT_MCA: return "mca";
	case COST_FORMAT_FOCUS: return "focus-1.0";
	default: return "unknown";
	}
}

struct reader {
	const struct cost_reader_options *o;
	struct cost_read_result *res;
	struct err_detail *d;
	const char *path;
	struct csv_parser csv;
	/* The record being parsed: fields point into `arena`. */
	struct sbuf arena;
	size_t offs[MAX_FIELDS];
	size_t lens[MAX_FIELDS];
	int nfields;
	int overflow;
	long line;		/* current physical line */
	long record_line;	/* where the record began */
	int header_done;
	int ncols;		/* header width */
	int col[NCOLS];
	int error;		/* a failure code: stop */
};

static void on_field(void *data, size_t len, void *ctx)
{
	struct reader *rd = ctx;

	if (rd->nfields >= MAX_FIELDS) {
		rd->overflow = 1;
		return;
	}
	rd->offs[rd->nfields] = rd->arena.len;
	rd->lens[rd->nfields] = len;
	sbuf_add(&rd->arena, data, len);
	sbuf_addch(&rd->arena, '\0');
	rd->nfields++;
}

static const char *field(struct reader *rd, int i)
{
	return i >= 0 && i < rd->nfields ? rd->arena.buf + rd->offs[i] : NULL;
}

static int find_col(struct reader *rd, const char *name)
{
	int i;

	for (i = 0; i < rd->nfields; i++)
		if (!strcasecmp(field(rd, i), name))
			return i;
	return -1;
}

static enum cost_format detect(struct reader *rd)
{
	if (find_col(rd, "BilledCost") >= 0 && find_col(rd, "EffectiveCost") >= 0 &&
	    find_col(rd, "ChargePeriodStart") >= 0)
		return COST_FORMAT_FOCUS;
	if (find_col(rd, "CostInBillingCurrency") >= 0 &&
	    find_col(rd, "BillingCurrencyCode") >= 0)
		return COST_FORMAT_EA;
	if (find_col(rd, "costInBillingCurrency") >= 0 &&
	    find_col(rd, "billingCurrency") >= 0 && find_col(rd, "date") >= 0)
		return COST_FORMAT_MCA;
	return COST_FORMAT_UNKNOWN;
}

static int take_header(struct reader *rd)
{
	enum cost_format f;
	size_t i, k;
	char *first = rd->nfields ? rd->arena.buf + rd->offs[0] : NULL;

	/* A UTF-8 BOM before the first name (seen in MCA exports). */
	if (first && !memcmp(first, "\xEF\xBB\xBF", 3))
		memmove(first, first + 3, strlen(first + 3) + 1);
	f = detect(rd);
	rd->res->format = f;
	if (f == COST_FORMAT_UNKNOWN) {
		err_set(rd->d, "not a Cost Management export this tool knows "
			"(EA, MCA or FOCUS 1.0): no matching header");
		err_where(rd->d, "%s:%ld", rd->path, rd->record_line);
		return -ERR_CONFIG;
	}
	for (i = 0; i < NCOLS; i++) {
		rd->col[i] = -1;
		for (k = 0; k < 3 && names[f][i][k] && rd->col[i] < 0; k++)
			rd->col[i] = find_col(rd, names[f][i][k]);
	}
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (rd->col[required[i]] < 0) {
			err_set(rd->d, "%s export lacks the column '%s'",
				cost_format_name(f), names[f][required[i]][0]);
			err_where(rd->d, "%s:%ld", rd->path, rd->record_line);
			return -ERR_CONFIG;
		}
	}
	rd->ncols = rd->nfields;
	rd->header_done = 1;
	return 0;
}

int cost_resource_wanted(const char *id, const struct strlist *related)
{
	size_t i;

	if (strcasestr(id, "/providers/microsoft.storagecache/amlfilesystems/"))
		return 1;
	for (i = 0; related && i < related->n; i++)
		if (!strcasecmp(related->v[i], id))
			return 1;
	return 0;
}


int cost_parse_tags(const char *s, char **ret)
{
	struct sbuf sb = SBUF_INIT;
	json_t *j;
	size_t n;

	*ret = NULL;
	if (!s)
		return 0;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n)
		return 0;
	/* EA and MCA write the members without the outer braces. */
	if (s[0] != '{')
		sbuf_addch(&sb, '{');
	sbuf_add(&sb, s, n);
	if (s[0] != '{')
		sbuf_addch(&sb, '}');
	j = json_loadb(sb.buf, sb.len, 0, NULL);
	sbuf_release(&sb);
	if (!json_is_object(j)) {
		json_decref(j);
		return -ERR_JSON;
	}
	*ret = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	return 0;
}

static void bad(struct reader *rd, const char *why)
{
	rd->res->rows_malformed++;
	if (rd->o->on_bad)
		rd->o->on_bad(rd->o->ctx, rd->record_line, why);
}

/* The header name of a role's column (its first spelling). */
static const char *col_name(const struct reader *rd, enum col c)
{
	return names[rd->res->format][c][0];
}

/* A number in role c's column; says which and why otherwise. */
static int number_field(struct reader *rd, enum col c, double *ret,
			char *why, size_t n)
{
	const char *v = field(rd, rd->col[c]);

	if (num_parse_decimal(v, ret) == 0)
		return 0;
	snprintf(why, n, "malformed row: %s '%.40s' is not a finite decimal "
		 "number", col_name(rd, c), v ? v : "");
	return -1;
}

/* Every text kept must be UTF-8: a bad byte would split a resource. */
static int text_fields_ok(struct reader *rd, char *why, size_t n)
{
	static const enum col text[] = {
		C_RESOURCE, C_METER, C_UNIT, C_TAGS, C_CURRENCY
	};
	size_t i;

	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		const char *v = field(rd, rd->col[text[i]]);

		if (v && !utf8_valid(v, strlen(v))) {
			snprintf(why, n, "malformed row: %s is not valid UTF-8",
				 col_name(rd, text[i]));
			return -1;
		}
	}
	return 0;
}

static void take_row(struct reader *rd)
{
	const char *id = field(rd, rd->col[C_RESOURCE]);
	const char *rtype = field(rd, rd->col[C_RTYPE]);
	struct cost_row row = { .line = rd->record_line };
	char why[160], *tags = NULL;

	rd->res->rows_read++;
	if (rd->overflow || rd->nfields != rd->ncols) {
		snprintf(why, sizeof(why), "malformed row: %d fields, the "
			 "header has %d", rd->nfields, rd->ncols);
		bad(rd, why);
		return;
	}
	if (!id || !*id || !(cost_resource_wanted(id, rd->o->related) ||
			     (rtype && !strcasecmp(rtype,
				"microsoft.storagecache/amlfilesystems"))))
		return;		/* not ours */
	row.resource_id = id;
	if (time_parse_day(field(rd, rd->col[C_DATE]), row.day) < 0) {
		snprintf(why, sizeof(why), "malformed row: date '%.40s' is "
			 "neither MM/DD/YYYY nor ISO 8601",
			 field(rd, rd->col[C_DATE]));
		bad(rd, why);
		return;
	}
	if (text_fields_ok(rd, why, sizeof(why)) < 0 ||
	    number_field(rd, C_COST, &row.cost, why, sizeof(why)) < 0 ||
	    (rd->col[C_AMORTIZED] >= 0 &&
	     number_field(rd, C_AMORTIZED, &row.amortized, why,
			  sizeof(why)) < 0)) {
		bad(rd, why);
		return;
	}
	row.has_amortized = rd->col[C_AMORTIZED] >= 0;
	/* A quantity is optional; one that is there must be a number. */
	if (rd->col[C_QTY] >= 0 && field(rd, rd->col[C_QTY]) &&
	    *field(rd, rd->col[C_QTY])) {
		if (number_field(rd, C_QTY, &row.quantity, why,
				 sizeof(why)) < 0) {
			bad(rd, why);
			return;
		}
		row.has_quantity = 1;
	}
	row.currency = field(rd, rd->col[C_CURRENCY]);
	if (!currency_code_ok(row.currency)) {
		snprintf(why, sizeof(why), "malformed row: %s '%.20s' is not a "
			 "three-letter currency code", col_name(rd, C_CURRENCY),
			 row.currency ? row.currency : "");
		bad(rd, why);
		return;
	}
	row.meter = field(rd, rd->col[C_METER]);
	row.unit = field(rd, rd->col[C_UNIT]);
	if (cost_parse_tags(field(rd, rd->col[C_TAGS]), &tags) < 0 &&
	    rd->o->on_bad)
		rd->o->on_bad(rd->o->ctx, rd->record_line,
			      "tags are not JSON; the row is kept without them");
	row.tags = tags;
	rd->res->rows_kept++;
	rd->error = rd->o->on_row(rd->o->ctx, &row, rd->d);
	free(tags);
}

static void on_record(int c, void *ctx)
{
	struct reader *rd = ctx;

	(void)c;
	if (rd->error)
		goto out;
	if (!rd->header_done) {
		rd->error = take_header(rd);
	} else if (rd->nfields > 1 || (rd->nfields == 1 && rd->lens[0])) {
		take_row(rd);
	}
out:
	rd->nfields = 0;
	rd->overflow = 0;
	sbuf_reset(&rd->arena);
}

/* Could this line hold one of our rows? A cheap look before parsing. */
static int maybe_ours(struct reader *rd, const char *line, size_t len)
{
	const struct strlist *rel = rd->o->related;
	char save;
	int hit;
	size_t i;

	if (!rd->header_done || rd->o->keep_all)
		return 1;
	/* The byte after the line is writable: the read buffers have a
	 * spare byte at the end and `pending` keeps its NUL (see read_stream). */
	save = line[len];
	((char *)line)[len] = '\0';
	hit = strcasestr(line, "amlfilesystems") != NULL;
	for (i = 0; !hit && rel && i < rel->n; i++)
		hit = strcasestr(line, rel->v[i]) != NULL;
	((char *)line)[len] = save;
	return hit;
}

/*
 * Feed one physical line (with its terminator). A line that starts a
 * record, closes it (an even number of quotes) and cannot be ours is
 * counted and skipped without parsing: most of a FOCUS export is not AMLFS.
 */
static int feed_line(struct reader *rd, const char *line, size_t len,
		     int *open_quote)
{
	size_t quotes = 0;
	const char *q = line;

	rd->line++;
	while ((q = memchr(q, '"', len - (size_t)(q - line)))) {
		quotes++;
		q++;
	}
	if (!*open_quote) {
		rd->record_line = rd->line;
		if (!(quotes & 1) && !maybe_ours(rd, line, len)) {
			rd->res->rows_read++;
			return 0;
		}
	}
	*open_quote ^= (int)(quotes & 1);
	if (rd->o->on_line) {
		int r = rd->o->on_line(rd->o->ctx, line, len);

		if (r < 0)
			return r;
	}
	if (csv_parse(&rd->csv, line, len, on_field, on_record, rd) != len) {
		err_set(rd->d, "CSV error: %s", csv_strerror(csv_error(&rd->csv)));
		err_where(rd->d, "%s:%ld", rd->path, rd->line);
		return -ERR_CONFIG;
	}
	return rd->error;
}

/* Split decompressed bytes into lines; keeps the tail in `pending`. */
static int take_bytes(struct reader *rd, struct sbuf *pending,
		      const char *data, size_t len, int *open_quote)
{
	const char *p = data, *end = data + len, *nl;
	int r;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			if (sbuf_add(pending, p, (size_t)(end - p)) < 0) {
				err_set(rd->d, "a line longer than %d MiB",
					MAX_LINE >> 20);
				err_where(rd->d, "%s:%ld", rd->path, rd->line + 1);
				return -ERR_TOO_LARGE;
			}
			return 0;
		}
		if (pending->len) {
			if (sbuf_add(pending, p, (size_t)(nl - p) + 1) < 0)
				return -ERR_TOO_LARGE;
			r = feed_line(rd, pending->buf, pending->len, open_quote);
			sbuf_reset(pending);
		} else {
			r = feed_line(rd, p, (size_t)(nl - p) + 1, open_quote);
		}
		if (r < 0)
			return r;
		p = nl + 1;
	}
	return 0;
}

/* A last line without a newline. */
static int last_line(struct reader *rd, struct sbuf *pending, int *open_quote)
{
	struct sbuf tail = SBUF_INIT;
	int r;

	if (!pending->len)
		return 0;
	sbuf_add(&tail, pending->buf, pending->len);
	sbuf_addch(&tail, '\n');
	r = feed_line(rd, tail.buf, tail.len, open_quote);
	sbuf_release(&tail);
	return r;
}

static int read_stream(struct reader *rd, int fd, struct hash_ctx *h,
		       long long total)
{
	/* One spare byte each: maybe_ours() puts a NUL after a line that may
	 * end at the very end of the data. */
	unsigned char *in = xmalloc(READ_CHUNK + 1);
	unsigned char *out = xmalloc(READ_CHUNK + 1);
	struct sbuf pending;
	z_stream z;
	int gz = -1, zr = Z_OK, r = 0, open_quote = 0;
	ssize_t n;

	memset(&z, 0, sizeof(z));
	sbuf_init(&pending, MAX_LINE);
	while (r == 0 && (n = read(fd, in, READ_CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			err_set(rd->d, "cannot read: %s", strerror(errno));
			break;
		}
		hash_update(h, in, (size_t)n);
		rd->res->bytes += n;
		if (rd->o->on_progress)
			rd->o->on_progress(rd->o->ctx, rd->res->bytes, total);
		if (gz < 0) {	/* the gzip magic, else plain text */
			gz = n >= 2 && in[0] == 0x1f && in[1] == 0x8b;
			if (gz && inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
				r = -ERR_CONFIG;
				break;
			}
		}
		if (!gz) {
			r = take_bytes(rd, &pending, (char *)in, (size_t)n,
				       &open_quote);
			continue;
		}
		z.next_in = in;
		z.avail_in = (uInt)n;
		for (;;) {
			/* Another member after one that ended (gzip -n >>): read
			 * it too; anything else after the data is refused. */
			if (zr == Z_STREAM_END) {
				long long at = rd->res->bytes - z.avail_in;

				if (!z.avail_in)
					break;
				if (z.next_in[0] != 0x1f ||
				    (z.avail_in > 1 && z.next_in[1] != 0x8b)) {
					err_set(rd->d, "bytes after the gzip data "
						"at byte offset %lld (not another "
						"gzip member)", at);
					r = -ERR_CONFIG;
					break;
				}
				inflateReset(&z);
				zr = Z_OK;
			}
			/* More output may wait only when the buffer was full. */
			if (!z.avail_in && z.avail_out)
				break;
			z.next_out = out;
			z.avail_out = READ_CHUNK;
			zr = inflate(&z, Z_NO_FLUSH);
			if (zr == Z_BUF_ERROR) {	/* no progress: more input */
				zr = Z_OK;
				break;
			}
			if (zr != Z_OK && zr != Z_STREAM_END) {
				err_set(rd->d, "gzip data is damaged (%s) near "
					"byte offset %lld", z.msg ? z.msg :
					"inflate failed",
					rd->res->bytes - z.avail_in);
				r = -ERR_CONFIG;
				break;
			}
			r = take_bytes(rd, &pending, (char *)out,
				       READ_CHUNK - z.avail_out, &open_quote);
			if (r < 0)
				break;
		}
	}
	if (r == 0 && gz == 1 && zr != Z_STREAM_END) {
		err_set(rd->d, "gzip data ends early (truncated file?)");
		r = -ERR_CONFIG;
	}
	if (r == 0)
		r = last_line(rd, &pending, &open_quote);
	if (gz == 1)
		inflateEnd(&z);
	sbuf_release(&pending);
	free(in);
	free(out);
	return r;
}

/*
 * libcsv trims spaces and tabs around unquoted fields by default; here
 * nothing is trimmed, so " 12" reaches the strict number reader as it is
 * written and is refused, not read as 12.
 */
static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static int parser_init(struct csv_parser *p)
{
	if (csv_init(p, CSV_APPEND_NULL) != 0)
		return -ENOMEM;
	csv_set_space_func(p, no_space);
	return 0;
}

/* After the last byte: flush the parser and check what it saw. */
static int read_finish(struct reader *rd, int r)
{
	if (r == 0 && csv_fini(&rd->csv, on_field, on_record, rd) != 0)
		r = -ERR_CONFIG;
	if (r == 0 && rd->error)
		r = rd->error;
	if (r == 0 && !rd->header_done) {
		err_set(rd->d, "empty file: no header row");
		r = -ERR_CONFIG;
	}
	if (r < 0 && rd->d && !rd->d->where[0])
		err_where(rd->d, "%s:%ld", rd->path, rd->line);
	return r;
}

int cost_read_buffer(const char *name, const char *buf, size_t len,
		     const struct cost_reader_options *o,
		     struct cost_read_result *res, struct err_detail *d)
{
	struct reader rd = { .o = o, .res = res, .d = d, .path = name };
	struct sbuf pending;
	char *copy;
	int r, open_quote = 0;

	memset(res, 0, sizeof(*res));
	if (parser_init(&rd.csv) < 0) {
		err_set(d, "out of resources");
		return -ENOMEM;
	}
	/* A spare byte after the data, as read_stream() keeps (maybe_ours). */
	copy = xmalloc(len + 1);
	memcpy(copy, buf, len);
	copy[len] = '\0';
	sbuf_init(&rd.arena, 0);
	sbuf_init(&pending, MAX_LINE);
	res->bytes = (long long)len;
	r = take_bytes(&rd, &pending, copy, len, &open_quote);
	if (r == 0)
		r = last_line(&rd, &pending, &open_quote);
	r = read_finish(&rd, r);
	if (sha256_hex(buf, len, res->sha256) < 0 && r == 0)
		r = -ERR_CRYPTO;
	csv_free(&rd.csv);
	sbuf_release(&rd.arena);
	sbuf_release(&pending);
	free(copy);
	return r;
}

int cost_read_file(const char *path, const struct cost_reader_options *o,
		   struct cost_read_result *res, struct err_detail *d)
{
	struct reader rd = { .o = o, .res = res, .d = d, .path = path };
	struct hash_ctx *h = NULL;
	struct stat sb;
	int fd, r;

	memset(res, 0, sizeof(*res));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		err_set(d, "cannot open: %s", strerror(errno));
		err_where(d, "%s", path);
		return r;
	}
	h = hash_init();
	if (!h || parser_init(&rd.csv) < 0) {
		close(fd);
		hash_free(h);
		err_set(d, "out of resources");
		return -ENOMEM;
	}
	sbuf_init(&rd.arena, 0);
	r = read_stream(&rd, fd, h, fstat(fd, &sb) == 0 ? (long long)sb.st_size : 0);
	r = read_finish(&rd, r);
	if (hash_final(h, res->sha256) < 0 && r == 0)
		r = -ERR_CRYPTO;
	csv_free(&rd.csv);
	sbuf_release(&rd.arena);
	close(fd);
	return r;
}
