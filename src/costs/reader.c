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

/* A fuzz build (-Dfuzz=true) reads and grows in small steps, so inputs
 * of a few KiB cross every chunk and block boundary, and an execution
 * does not map and fill 600 KiB it never uses. */
#ifndef COST_READ_CHUNK
#define COST_READ_CHUNK (256 * 1024)
#endif
#ifndef COST_CSV_BLOCK
#define COST_CSV_BLOCK (64 * 1024)
#endif
#define READ_CHUNK COST_READ_CHUNK
#define MAX_FIELDS 512
#define MAX_LINE COST_MAX_LINE
/* libcsv grows a field's buffer by this much at a time (not 128 bytes):
 * a record of COST_MAX_RECORD_BYTES takes at most 16 steps. */
#define CSV_BLOCK COST_CSV_BLOCK

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
	/* The lines of a record whose quote runs over lines, held (copied)
	 * until it closes, to be read again if it breaks. */
	struct sbuf rec;
	long rec_line[COST_MAX_RECORD_LINES];
	size_t rec_off[COST_MAX_RECORD_LINES];
	int rec_n;
	int in_record;		/* libcsv is inside a record across lines */
	int broken;		/* that record closed with this many fields */
	/* Lines to read again after a broken record (struct queued each). */
	struct sbuf queue;
	size_t queue_pos;
	long stream_line;	/* lines taken from the input */
};

static void on_field(void *data, size_t len, void *ctx)
{
	struct reader *rd = ctx;

	if (rd->broken || rd->error)
		return;
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

/* The next column after col with col's name (case-blind), or -1. */
static int twice(struct reader *rd, int col)
{
	int i;

	for (i = col + 1; i < rd->nfields; i++)
		if (!strcasecmp(field(rd, i), field(rd, col)))
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

	/*
	 * Only a line feed ends a record (see parser_init): a carriage
	 * return left in a header name means CR-only line ends, which would
	 * read as one endless header. Said, not guessed.
	 */
	for (i = 0; i < (size_t)rd->nfields; i++) {
		if (strchr(field(rd, (int)i), '\r')) {
			err_set(rd->d, "header row: a carriage return not "
				"followed by a line feed in column %zu; files "
				"with CR-only line ends are not read (convert "
				"them: tr '\\r' '\\n')", i + 1);
			err_where(rd->d, "%s:%ld", rd->path, rd->record_line);
			return -ERR_CONFIG;
		}
	}
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
		if (rd->col[i] >= 0 && twice(rd, rd->col[i]) >= 0) {
			/* Which of the two is the cost (or the day, ...)? */
			err_set(rd->d, "header row: the column '%s' is there "
				"twice (columns %d and %d): which one to read is "
				"not known", field(rd, rd->col[i]), rd->col[i] + 1,
				twice(rd, rd->col[i]) + 1);
			err_where(rd->d, "%s:%ld", rd->path, rd->record_line);
			return -ERR_CONFIG;
		}
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

/* Money in role c's column: as a double and as exact micro-units. */
static int money_field(struct reader *rd, enum col c, double *ret,
		       long long *ret_micros, char *why, size_t n)
{
	const char *v = field(rd, rd->col[c]);

	if (number_field(rd, c, ret, why, n) < 0)
		return -1;
	if (num_parse_micros(v, ret_micros) == 0)
		return 0;
	snprintf(why, n, "malformed row: %s '%.40s' is out of range (at most "
		 "about 9.2 * 10^12)", col_name(rd, c), v);
	return -1;
}

/* Every field read is whole (no NUL) and every text kept UTF-8: a bad
 * byte would split a resource. */
static int text_fields_ok(struct reader *rd, char *why, size_t n)
{
	static const enum col text[] = {
		C_RESOURCE, C_METER, C_UNIT, C_TAGS, C_CURRENCY
	};
	const char *v;
	size_t i;

	for (i = 0; i < NCOLS; i++) {
		v = field(rd, rd->col[i]);

		/* A NUL would cut the value short without a word. */
		if (v && strlen(v) != rd->lens[rd->col[i]]) {
			snprintf(why, n, "malformed row: %s holds a NUL byte",
				 col_name(rd, (enum col)i));
			return -1;
		}
	}
	for (v = field(rd, rd->col[C_RESOURCE]); v && *v; v++) {
		if ((unsigned char)*v < 0x20 || *v == 0x7f) {
			snprintf(why, n, "malformed row: %s holds a control "
				 "character", col_name(rd, C_RESOURCE));
			return -1;
		}
	}
	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		v = field(rd, rd->col[text[i]]);

		if (v && !utf8_valid(v, strlen(v))) {
			snprintf(why, n, "malformed row: %s is not valid UTF-8",
				 col_name(rd, text[i]));
			return -1;
		}
	}
	return 0;
}

/* Is the record parsed just now one of ours (AMLFS or related)? */
static int row_is_ours(struct reader *rd)
{
	const char *id = field(rd, rd->col[C_RESOURCE]);
	const char *rtype = field(rd, rd->col[C_RTYPE]);

	return id && *id && (cost_resource_wanted(id, rd->o->related) ||
			     (rtype && !strcasecmp(rtype,
				"microsoft.storagecache/amlfilesystems")));
}

static void take_row(struct reader *rd)
{
	const char *id = field(rd, rd->col[C_RESOURCE]);
	struct cost_row row = { .line = rd->record_line };
	char why[160], *tags = NULL;

	rd->res->rows_read++;
	if (rd->overflow || rd->nfields != rd->ncols) {
		snprintf(why, sizeof(why), "malformed row: %d fields, the "
			 "header has %d", rd->nfields, rd->ncols);
		bad(rd, why);
		return;
	}
	if (!row_is_ours(rd))
		return;
	row.resource_id = id;
	if (text_fields_ok(rd, why, sizeof(why)) < 0) {
		bad(rd, why);
		return;
	}
	if (time_parse_day(field(rd, rd->col[C_DATE]), row.day) < 0) {
		snprintf(why, sizeof(why), "malformed row: date '%.40s' is "
			 "neither MM/DD/YYYY nor ISO 8601",
			 field(rd, rd->col[C_DATE]));
		bad(rd, why);
		return;
	}
	if (money_field(rd, C_COST, &row.cost, &row.cost_micros, why,
			sizeof(why)) < 0 ||
	    (rd->col[C_AMORTIZED] >= 0 &&
	     money_field(rd, C_AMORTIZED, &row.amortized,
			 &row.amortized_micros, why, sizeof(why)) < 0)) {
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

static int swallowed_ours(struct reader *rd);

static void on_record(int c, void *ctx)
{
	struct reader *rd = ctx;

	(void)c;
	if (rd->error || rd->broken)
		goto out;
	if (!rd->header_done) {
		rd->error = take_header(rd);
	} else if (rd->record_line != rd->line &&
		   (rd->nfields != rd->ncols ||
		    (!row_is_ours(rd) && swallowed_ours(rd)))) {
		/*
		 * A quote that ran over lines and closed on another record's
		 * quote: of the wrong width, or of the right one but not ours
		 * while lines it took are (dropped, they would vanish). The
		 * lines it took are read again (resync).
		 */
		rd->broken = rd->nfields;
	} else if (rd->nfields > 1 || (rd->nfields == 1 && rd->lens[0])) {
		take_row(rd);
	}
out:
	rd->nfields = 0;
	rd->overflow = 0;
	sbuf_reset(&rd->arena);
}

/*
 * Does s (n bytes) hold "amlfilesystems" in any case? Horspool's search:
 * the byte under the window's end says how far the window may move (0 in
 * the table: the whole 14), so most bytes are never looked at. Faster
 * than strcasestr() on the lines of a large export, nearly all of which
 * are not ours.
 */
static int has_amlfs(const char *s, size_t n)
{
	static const char pat[] = "amlfilesystems";
	enum { M = sizeof(pat) - 1 };
#define BOTH(c, k) [c] = k, [c - 32] = k
	static const unsigned char skip[256] = {
		BOTH('a', 13), BOTH('m', 1), BOTH('l', 8), BOTH('f', 10),
		BOTH('i', 9), BOTH('e', 2), BOTH('s', 4), BOTH('y', 5),
		BOTH('t', 3),
	};
#undef BOTH
	const unsigned char *p = (const unsigned char *)s;
	size_t i = M - 1, k;

	while (i < n) {
		unsigned char c = p[i];

		if ((c | 0x20) == 's') {
			for (k = 1; k < M && (p[i - k] | 0x20) ==
			     (unsigned char)pat[M - 1 - k]; k++)
				;
			if (k == M)
				return 1;
		}
		i += skip[c] ? skip[c] : M;
	}
	return 0;
}

/*
 * Does this line mention a resource we keep? The byte after the line is
 * writable: the read buffers have a spare byte at the end, `pending`, the
 * held record and the queue keep a NUL or the next entry there.
 */
static int mentions_ours(struct reader *rd, const char *line, size_t len)
{
	const struct strlist *rel = rd->o->related;
	char save;
	int hit;
	size_t i;

	if (has_amlfs(line, len))
		return 1;
	if (!rel || !rel->n)
		return 0;
	save = line[len];
	((char *)line)[len] = '\0';
	for (hit = 0, i = 0; !hit && i < rel->n; i++)
		hit = strcasestr(line, rel->v[i]) != NULL;
	((char *)line)[len] = save;
	return hit;
}

/* Could this line hold one of our rows? A cheap look before parsing. */
static int maybe_ours(struct reader *rd, const char *line, size_t len)
{
	if (!rd->header_done || rd->o->keep_all)
		return 1;
	return mentions_ours(rd, line, len);
}

/*
 * Would libcsv, reading this line from outside any record, end it inside
 * a quoted field? Not the parity of its quotes: libcsv (not strict, no
 * space skipping) opens a quoted field only at a field's start, keeps a
 * quote inside an unquoted field as a character, and keeps a quote in a
 * quoted field that is followed by neither a quote, a comma nor the end
 * of a record as a character too, the field going on. Only the bytes
 * around quotes are looked at, so the quick look stays cheap.
 */
static int ends_in_quotes(const char *line, size_t len)
{
	const char *p = line, *end = line + len, *q;

	if (len >= 2 && end[-2] == '\r' && end[-1] == '\n')
		end -= 2;	/* read as an LF: the end of the record */
	while ((q = memchr(p, '"', (size_t)(end - p)))) {
		p = q + 1;
		if (q > line && q[-1] != ',')
			continue;	/* inside an unquoted field */
		for (;;) {	/* a quoted field: where does it end? */
			q = memchr(p, '"', (size_t)(end - p));
			if (!q)
				return 1;
			p = q + 1;
			if (p < end && *p == '"')
				p++;	/* a doubled quote */
			else if (p == end || *p == ',' || *p == '\n')
				break;
		}
	}
	return 0;
}

/* A queued line: where it was, its length, then its bytes. */
struct queued {
	long line;
	size_t len;
};

static void queue_add(struct sbuf *q, long line, const char *text, size_t len)
{
	struct queued e = { line, len };

	sbuf_add(q, &e, sizeof(e));
	sbuf_add(q, text, len);
}

/* Take a copy of one more line of the open record. */
static void hold(struct reader *rd, long line, const char *text, size_t len)
{
	rd->rec_line[rd->rec_n] = line;
	rd->rec_off[rd->rec_n] = rd->rec.len;
	rd->rec_n++;
	sbuf_add(&rd->rec, text, len);
}

static size_t held_len(const struct reader *rd, int i)
{
	return (i + 1 < rd->rec_n ? rd->rec_off[i + 1] : rd->rec.len) -
	       rd->rec_off[i];
}

/* Does a line of the held record after its first mention one of ours? */
static int swallowed_ours(struct reader *rd)
{
	int i;

	for (i = 1; i < rd->rec_n; i++)
		if (mentions_ours(rd, rd->rec.buf + rd->rec_off[i],
				  held_len(rd, i)))
			return 1;
	return 0;
}

static int parser_init(struct csv_parser *p);

/*
 * The record opened at rd->rec_line[0] is broken: it is one malformed row
 * at that line; every line it took that mentions a resource we keep is
 * named; those lines, then `next` (the line that passed the bound, if
 * any), then the lines queued before are read again from a fresh parser.
 */
static int break_record(struct reader *rd, const char *why, long next_line,
			const char *next, size_t next_len)
{
	long open = rd->rec_line[0];
	struct sbuf q = SBUF_INIT;
	char msg[200];
	int i;

	if (!rd->header_done) {
		err_set(rd->d, "header row: %s", why);
		err_where(rd->d, "%s:%ld", rd->path, open);
		return -ERR_CONFIG;
	}
	rd->res->rows_read++;
	rd->record_line = open;
	snprintf(msg, sizeof(msg), "malformed row: %s; reading again from "
		 "line %ld", why, open + 1);
	bad(rd, msg);
	for (i = 1; i < rd->rec_n; i++) {
		const char *text = rd->rec.buf + rd->rec_off[i];

		if (rd->o->on_bad && mentions_ours(rd, text, held_len(rd, i))) {
			snprintf(msg, sizeof(msg), "an AMLFS line inside the "
				 "broken record of line %ld, read again", open);
			rd->o->on_bad(rd->o->ctx, rd->rec_line[i], msg);
		}
		queue_add(&q, rd->rec_line[i], text, held_len(rd, i));
	}
	if (next)
		queue_add(&q, next_line, next, next_len);
	sbuf_add(&q, rd->queue.buf + rd->queue_pos,
		 rd->queue.len - rd->queue_pos);
	sbuf_release(&rd->queue);
	rd->queue = q;
	rd->queue_pos = 0;
	csv_free(&rd->csv);
	if (parser_init(&rd->csv) < 0)
		return -ENOMEM;
	rd->in_record = 0;
	rd->broken = 0;
	rd->rec_n = 0;
	sbuf_reset(&rd->rec);
	rd->nfields = 0;
	rd->overflow = 0;
	sbuf_reset(&rd->arena);
	return 0;
}

/* Hand the lines of a closed record to on_line: the evidence. */
static int emit(struct reader *rd, const char *line, size_t len)
{
	int i, r = 0;

	if (!rd->o->on_line)
		return 0;
	if (!rd->rec_n)
		return rd->o->on_line(rd->o->ctx, line, len);
	for (i = 0; i < rd->rec_n && r == 0; i++)
		r = rd->o->on_line(rd->o->ctx, rd->rec.buf + rd->rec_off[i],
				   held_len(rd, i));
	return r;
}

/*
 * One physical line (with its terminator), number `lineno`. A line that
 * starts a record, closes it (an even number of quotes) and cannot be
 * ours is counted and skipped without parsing: most of a FOCUS export is
 * not AMLFS. A record whose quote stays open is held, line by line, up to
 * COST_MAX_RECORD_LINES lines and COST_MAX_RECORD_BYTES bytes.
 */
static int step(struct reader *rd, long lineno, const char *line, size_t len)
{
	char why[120];
	int r, crlf, parsed;

	rd->line = lineno;
	if (!rd->in_record) {
		rd->record_line = lineno;
		if (!ends_in_quotes(line, len) && !maybe_ours(rd, line, len)) {
			rd->res->rows_read++;
			return 0;
		}
		if (len > COST_MAX_RECORD_BYTES) {
			hold(rd, lineno, line, 0);
			snprintf(why, sizeof(why), "longer than %d MiB, the "
				 "most one record may hold",
				 COST_MAX_RECORD_BYTES >> 20);
			return break_record(rd, why, 0, NULL, 0);
		}
	} else if (rd->rec_n >= COST_MAX_RECORD_LINES ||
		   rd->rec.len + len > COST_MAX_RECORD_BYTES) {
		if (rd->rec_n >= COST_MAX_RECORD_LINES)
			snprintf(why, sizeof(why), "a quote opened on this "
				 "line is still open after %d lines",
				 COST_MAX_RECORD_LINES);
		else
			snprintf(why, sizeof(why), "a quote opened on this "
				 "line is still open after %d MiB",
				 COST_MAX_RECORD_BYTES >> 20);
		return break_record(rd, why, lineno, line, len);
	} else {
		hold(rd, lineno, line, len);
	}
	/* A CRLF ends a record as an LF does: libcsv sees the LF alone. */
	crlf = len >= 2 && line[len - 2] == '\r' && line[len - 1] == '\n';
	parsed = csv_parse(&rd->csv, line, len - 2 * crlf, on_field,
			   on_record, rd) == len - 2 * crlf;
	if (parsed && crlf && !rd->error)
		parsed = csv_parse(&rd->csv, "\n", 1, on_field, on_record,
				   rd) == 1;
	if (!parsed) {
		err_set(rd->d, "CSV error: %s", csv_strerror(csv_error(&rd->csv)));
		err_where(rd->d, "%s:%ld", rd->path, lineno);
		return -ERR_CONFIG;
	}
	if (rd->error)
		return rd->error;
	if (rd->broken) {
		if (rd->broken != rd->ncols)
			snprintf(why, sizeof(why), "a quoted field runs over "
				 "%d lines into a record of %d fields (the "
				 "header has %d)", rd->rec_n, rd->broken,
				 rd->ncols);
		else
			snprintf(why, sizeof(why), "a quoted field runs over "
				 "%d lines of AMLFS rows into a row that is "
				 "not one", rd->rec_n);
		return break_record(rd, why, 0, NULL, 0);
	}
	/* libcsv's state 0 (ROW_NOT_BEGUN): the record ended with the line. */
	if (rd->csv.pstate != 0) {
		if (!rd->in_record)
			hold(rd, lineno, line, len);
		rd->in_record = 1;
		return 0;
	}
	r = emit(rd, line, len);
	rd->in_record = 0;
	rd->rec_n = 0;
	sbuf_reset(&rd->rec);
	return r;
}

/* Read again what a resync queued, in order, until nothing is left. */
static int drain(struct reader *rd)
{
	struct queued e;
	const char *text;
	int r = 0;

	while (r == 0 && rd->queue_pos < rd->queue.len) {
		memcpy(&e, rd->queue.buf + rd->queue_pos, sizeof(e));
		text = rd->queue.buf + rd->queue_pos + sizeof(e);
		rd->queue_pos += sizeof(e) + e.len;
		r = step(rd, e.line, text, e.len);
	}
	if (rd->queue_pos >= rd->queue.len) {
		sbuf_reset(&rd->queue);
		rd->queue_pos = 0;
	}
	return r;
}

/* The next physical line of the input. */
static int feed_line(struct reader *rd, const char *line, size_t len)
{
	int r;

	/*
	 * A UTF-8 BOM before the header (seen in MCA exports) is dropped
	 * before libcsv sees it: after it, a quoted first name would be read
	 * as an unquoted one with literal quotes. Every BOM there, not one:
	 * the header handed on as evidence has lost the first, and read
	 * again it must give the same names (a file saved twice with a BOM
	 * was read one way on import and refused on verify; fuzzing).
	 */
	while (rd->stream_line == 0 && len >= 3 &&
	       !memcmp(line, "\xEF\xBB\xBF", 3)) {
		line += 3;
		len -= 3;
	}
	r = step(rd, ++rd->stream_line, line, len);

	return r < 0 ? r : drain(rd);
}

/* At the end of the input: a record still open is broken too. */
static int end_lines(struct reader *rd)
{
	int r = 0;

	while (r == 0 && rd->in_record) {
		r = break_record(rd, "a quote opened on this line is never "
				 "closed", 0, NULL, 0);
		if (r == 0)
			r = drain(rd);
	}
	return r;
}

static int line_too_long(struct reader *rd)
{
	err_set(rd->d, "line %ld is longer than %d MiB, the most one line "
		"may hold", rd->stream_line + 1, MAX_LINE >> 20);
	err_where(rd->d, "%s:%ld", rd->path, rd->stream_line + 1);
	return -ERR_TOO_LARGE;
}

/* Split decompressed bytes into lines; keeps the tail in `pending`. */
static int take_bytes(struct reader *rd, struct sbuf *pending,
		      const char *data, size_t len)
{
	const char *p = data, *end = data + len, *nl;
	int r;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			if (sbuf_add(pending, p, (size_t)(end - p)) < 0)
				return line_too_long(rd);
			return 0;
		}
		if (pending->len) {
			if (sbuf_add(pending, p, (size_t)(nl - p) + 1) < 0)
				return line_too_long(rd);
			r = feed_line(rd, pending->buf, pending->len);
			sbuf_reset(pending);
		} else {
			r = feed_line(rd, p, (size_t)(nl - p) + 1);
		}
		if (r < 0)
			return r;
		p = nl + 1;
	}
	return 0;
}

/* A last line without a newline, then what a broken record leaves. */
static int last_line(struct reader *rd, struct sbuf *pending)
{
	int r = 0;

	if (pending->len) {
		if (sbuf_addch(pending, '\n') < 0)
			return line_too_long(rd);
		r = feed_line(rd, pending->buf, pending->len);
		sbuf_reset(pending);
	}
	return r < 0 ? r : end_lines(rd);
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
	int gz = -1, zr = Z_OK, r = 0;
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
			r = take_bytes(rd, &pending, (char *)in, (size_t)n);
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
				       READ_CHUNK - z.avail_out);
			if (r < 0)
				break;
		}
	}
	if (r == 0 && gz == 1 && zr != Z_STREAM_END) {
		err_set(rd->d, "gzip data ends early (truncated file?)");
		r = -ERR_CONFIG;
	}
	if (r == 0)
		r = last_line(rd, &pending);
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

/*
 * Only a line feed ends a record. libcsv also ends one at a lone CR, in
 * the middle of a physical line; records would then not follow the lines
 * the quick look skips and the evidence keeps (the kept lines would read
 * back to other rows). A CRLF is read as an LF (step()).
 */
static int lf_only(unsigned char c)
{
	return c == '\n';
}

static int parser_init(struct csv_parser *p)
{
	memset(p, 0, sizeof(*p));
	if (csv_init(p, CSV_APPEND_NULL) != 0)
		return -ENOMEM;
	csv_set_space_func(p, no_space);
	csv_set_term_func(p, lf_only);
	csv_set_blk_size(p, CSV_BLOCK);
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

static void reader_init(struct reader *rd)
{
	sbuf_init(&rd->arena, 0);
	sbuf_init(&rd->rec, 0);
	sbuf_init(&rd->queue, 0);
}

static void reader_release(struct reader *rd)
{
	csv_free(&rd->csv);
	sbuf_release(&rd->arena);
	sbuf_release(&rd->rec);
	sbuf_release(&rd->queue);
}

int cost_read_buffer(const char *name, const char *buf, size_t len,
		     const struct cost_reader_options *o,
		     struct cost_read_result *res, struct err_detail *d)
{
	struct reader rd = { .o = o, .res = res, .d = d, .path = name };
	struct sbuf pending;
	char *copy;
	int r;

	memset(res, 0, sizeof(*res));
	if (parser_init(&rd.csv) < 0) {
		err_set(d, "out of resources");
		return -ENOMEM;
	}
	/* A spare byte after the data, as read_stream() keeps (maybe_ours). */
	copy = xmalloc(len + 1);
	memcpy(copy, buf, len);
	copy[len] = '\0';
	reader_init(&rd);
	sbuf_init(&pending, MAX_LINE);
	res->bytes = (long long)len;
	r = take_bytes(&rd, &pending, copy, len);
	if (r == 0)
		r = last_line(&rd, &pending);
	r = read_finish(&rd, r);
	if (sha256_hex(buf, len, res->sha256) < 0 && r == 0)
		r = -ERR_CRYPTO;
	reader_release(&rd);
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
	reader_init(&rd);
	r = read_stream(&rd, fd, h, fstat(fd, &sb) == 0 ? (long long)sb.st_size : 0);
	r = read_finish(&rd, r);
	if (hash_final(h, res->sha256) < 0 && r == 0)
		r = -ERR_CRYPTO;
	reader_release(&rd);
	close(fd);
	return r;
}
