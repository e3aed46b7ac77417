#include "report/xlsx.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "report/csv.h"
#include "util/sbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define XLSX_ROWS 1048576	/* Excel's rows per sheet */
#define XLSX_STR_MAX 32767	/* Excel's characters per cell */
#define WIDTH_MIN 8.0
#define WIDTH_MAX 60.0

/* One number format in one weight, made once per workbook. */
struct xfmt {
	char *num;		/* NULL: General */
	int bold;
	lxw_format *f;
};

struct xlsx {
	lxw_workbook *wb;
	struct xfmt *fmts;
	size_t nfmts, alloc;
	const struct report_def *def;
	struct err_detail *d;
};

/* A total of one column over one group of rows. */
struct total {
	double sum, comp;	/* Neumaier's compensated sum */
	char *currency;		/* money: the group's currency so far */
	int mixed;		/* money: more than one currency */
};

static lxw_format *fmt_get(struct xlsx *x, const char *num, int bold)
{
	struct xfmt *e;
	size_t i;

	for (i = 0; i < x->nfmts; i++) {
		e = &x->fmts[i];
		if (e->bold == bold && (num ? e->num && !strcmp(e->num, num) :
					!e->num))
			return e->f;
	}
	if (x->nfmts == x->alloc) {
		x->alloc = x->alloc ? 2 * x->alloc : 16;
		x->fmts = xrealloc(x->fmts, x->alloc * sizeof(*x->fmts));
	}
	e = &x->fmts[x->nfmts++];
	e->num = xstrdup_or_null(num);
	e->bold = bold;
	e->f = workbook_add_format(x->wb);
	if (num)
		format_set_num_format(e->f, num);
	if (bold)
		format_set_bold(e->f);
	return e->f;
}

/* A currency code fit for a number format: 1 to 8 letters or digits. */
static const char *currency_code(const char *s)
{
	size_t n = s ? strlen(s) : 0, i;

	if (!n || n > 8)
		return NULL;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return NULL;
	return s;
}

/* The currency of row for money column c, or NULL. */
static const char *row_currency(const struct report_column *c, json_t *row)
{
	if (c->currency_field)
		return currency_code(json_string_value(
			json_object_get(row, c->currency_field)));
	return currency_code(c->currency);
}

/* The number format of column c in currency cur, into sb; NULL: General. */
static const char *numfmt(const struct report_column *c, const char *cur,
			  struct sbuf *sb)
{
	sbuf_reset(sb);
	switch (c->type) {
	case REPORT_MONEY:
		if (cur)
			sbuf_addf(sb, "[$%s] ", cur);
		sbuf_adds(sb, c->format ? c->format : "#,##0.00");
		return sb->buf;
	case REPORT_INTEGER:
		return c->format ? c->format : "0";
	case REPORT_PERCENT:
		return c->format ? c->format : "0.0%";
	case REPORT_DATE:
		return c->format ? c->format : "yyyy-mm-dd";
	case REPORT_DATETIME:
		return c->format ? c->format : "yyyy-mm-dd hh:mm:ss";
	default:
		return c->format;
	}
}

static int lxw_fail(struct xlsx *x, lxw_error e)
{
	if (e == LXW_NO_ERROR)
		return 0;
	err_set(x->d, "cannot write the workbook: %s", lxw_strerror(e));
	return -EIO;
}

/* Text as a string cell: never a formula; cut to Excel's cap. */
/* Is s at an escape a reader decodes in a workbook's text: _xHHHH_? */
static int at_xhhhh(const char *s)
{
	return s[0] == '_' && s[1] == 'x' && isxdigit((unsigned char)s[2]) &&
	       isxdigit((unsigned char)s[3]) && isxdigit((unsigned char)s[4]) &&
	       isxdigit((unsigned char)s[5]) && s[6] == '_';
}

/*
 * s with each _xHHHH_ in it written _x005F_xHHHH_ (the escaped '_'), so
 * that Excel shows the text as it is: it decodes _x003D_ in a text cell as
 * '=' (the text stays text, but it would show another value); LibreOffice
 * and openpyxl read the escape back to '_' too. NULL when s has none.
 */
static char *escape_xhhhh(const char *s)
{
	struct sbuf sb = SBUF_INIT;
	const char *p;

	if (!strstr(s, "_x"))
		return NULL;
	for (p = s; *p; p++) {
		if (at_xhhhh(p))
			sbuf_adds(&sb, "_x005F");
		sbuf_addch(&sb, *p);
	}
	return sbuf_detach(&sb, NULL);
}

static int write_text(struct xlsx *x, lxw_worksheet *ws, lxw_row_t row,
		      lxw_col_t col, const char *s, lxw_format *f)
{
	char *esc = escape_xhhhh(s), *cut = NULL;
	size_t n;
	int r;

	if (esc)
		s = esc;
	n = strlen(s);
	if (n > XLSX_STR_MAX) {
		n = XLSX_STR_MAX;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		cut = xstrndup(s, n);
	}
	r = lxw_fail(x, worksheet_write_string(ws, row, col, cut ? cut : s, f));
	free(cut);
	free(esc);
	return r;
}

/* "YYYY-MM-DD" or an ISO time as a date, when it is one. */
static int parse_date(const char *s, int with_time, lxw_datetime *ret)
{
	struct tm tm;
	time_t t;

	if (!s || (!with_time && strlen(s) != 10) || time_parse_iso(s, &t) < 0 ||
	    !gmtime_r(&t, &tm))
		return -1;
	ret->year = tm.tm_year + 1900;
	ret->month = tm.tm_mon + 1;
	ret->day = tm.tm_mday;
	ret->hour = with_time ? tm.tm_hour : 0;
	ret->min = with_time ? tm.tm_min : 0;
	ret->sec = with_time ? tm.tm_sec : 0;
	return 0;
}

/* The cell of column c in row (a dataset row object) at (rown, coln). */
static int write_cell(struct xlsx *x, lxw_worksheet *ws, lxw_row_t rown,
		      lxw_col_t coln, const struct report_column *c, json_t *row,
		      struct sbuf *fmtbuf)
{
	json_t *v = json_object_get(row, c->field);
	const char *nf;
	lxw_datetime dt;
	char *text;
	int r, is_text;

	if (!v || json_is_null(v))
		return 0;
	nf = numfmt(c, c->type == REPORT_MONEY ? row_currency(c, row) : NULL,
		    fmtbuf);
	switch (c->type) {
	case REPORT_NUMBER:
	case REPORT_INTEGER:
	case REPORT_MONEY:
	case REPORT_PERCENT:
		if (json_is_number(v) && isfinite(json_number_value(v)))
			return lxw_fail(x, worksheet_write_number(ws, rown, coln,
				json_number_value(v), nf ? fmt_get(x, nf, 0) :
				NULL));
		break;
	case REPORT_DATE:
	case REPORT_DATETIME:
		if (parse_date(json_string_value(v), c->type == REPORT_DATETIME,
			       &dt) == 0)
			return lxw_fail(x, worksheet_write_datetime(ws, rown,
				coln, &dt, fmt_get(x, nf, 0)));
		break;
	default:
		break;
	}
	text = csv_cell_text(v, &is_text);
	r = write_text(x, ws, rown, coln, text, NULL);
	free(text);
	return r;
}

/* Characters a cell shows, roughly, for the column's width. */
static size_t shown_len(const struct report_column *c, json_t *v)
{
	size_t n = 0;
	const char *s;
	char *text;
	int is_text;

	if (!v || json_is_null(v))
		return 0;
	if (c->type == REPORT_DATE)
		return 10;
	if (c->type == REPORT_DATETIME)
		return 19;
	text = csv_cell_text(v, &is_text);
	for (s = text; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	free(text);
	if (json_is_number(v) && c->type == REPORT_MONEY)
		n += 8;		/* the currency, separators, cents */
	else if (json_is_number(v) && c->type != REPORT_STRING)
		n += 2;
	return n;
}

static double column_width(const struct report_column *c, json_t *rows)
{
	size_t n = strlen(c->header), i, k;
	json_t *row;

	if (c->width > 0)
		return c->width;
	json_array_foreach(rows, i, row) {
		k = shown_len(c, json_object_get(row, c->field));
		if (k > n)
			n = k;
	}
	n += 2;
	return n < WIDTH_MIN ? WIDTH_MIN : n > WIDTH_MAX ? WIDTH_MAX : (double)n;
}

/* Excel's column name of col (0 is A) into buf of 8. */
static void col_name(lxw_col_t col, char buf[8])
{
	char tmp[8];
	int n = 0, i;
	unsigned long v = (unsigned long)col + 1;

	while (v && n < 7) {
		tmp[n++] = (char)('A' + (v - 1) % 26);
		v = (v - 1) / 26;
	}
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
}

/* A sum as Excel shows it: 15 significant digits. */
static double round15(double v)
{
	char buf[64];

	if (v == 0 || !isfinite(v))
		return v;
	snprintf(buf, sizeof(buf), "%.14e", v);
	return strtod(buf, NULL);
}

static void total_add(struct total *t, const struct report_column *c,
		      json_t *row)
{
	json_t *v = json_object_get(row, c->field);
	const char *cur;
	double x, s;

	if (!json_is_number(v))
		return;
	x = json_number_value(v);
	s = t->sum + x;
	if (fabs(t->sum) >= fabs(x))
		t->comp += (t->sum - s) + x;
	else
		t->comp += (x - s) + t->sum;
	t->sum = s;
	if (c->type != REPORT_MONEY)
		return;
	cur = row_currency(c, row);
	if (!t->currency && !t->mixed)
		t->currency = xstrdup(cur ? cur : "");
	else if (t->currency && strcmp(t->currency, cur ? cur : "")) {
		free(t->currency);
		t->currency = NULL;
		t->mixed = 1;
	}
}

/* One sheet: where things are, for totals and charts. */
struct sheet_ctx {
	struct xlsx *x;
	const struct report_sheet *sh;
	lxw_worksheet *ws;
	json_t *rows;
	size_t nrows;
	struct sbuf fmtbuf;
	size_t si;		/* the sheet's index in the definition */
};

static lxw_col_t column_of(const struct report_sheet *sh, const char *field)
{
	size_t j;

	for (j = 0; j < sh->ncolumns; j++)
		if (!strcmp(sh->columns[j].field, field))
			return (lxw_col_t)j;
	return 0;
}

/*
 * The currency of a money column's group of rows that holds no amount (a
 * new string, or NULL when they name none or several), so its total of
 * 0.00 carries the currency format as the others do.
 */
static char *group_currency(struct sheet_ctx *s, const struct report_column *c,
			    long g, const long *group_of)
{
	const char *one = NULL, *cur;
	size_t i;

	for (i = 0; i < s->nrows; i++) {
		if (g >= 0 && group_of[i] != g)
			continue;
		cur = row_currency(c, json_array_get(s->rows, i));
		if (!cur || (one && strcmp(one, cur)))
			return NULL;
		one = cur;
	}
	return one ? xstrdup(one) : NULL;
}

/*
 * One totals row at row tr over the rows whose group is g (or all rows
 * when g < 0): a formula per total column with its sum cached.
 */
static int write_total_row(struct sheet_ctx *s, lxw_row_t tr, long g,
			   const long *group_of, const char *label)
{
	const struct report_sheet *sh = s->sh;
	lxw_col_t gc = sh->totals_by ? column_of(sh, sh->totals_by) : 0;
	lxw_row_t last = (lxw_row_t)s->nrows + 2; /* the blank row, 1-based */
	struct sbuf f = SBUF_INIT;
	char cn[8], gn[8];
	size_t i, j;
	int r = 0;

	if (!sh->columns[0].total && (g < 0 || gc != 0))
		r = write_text(s->x, s->ws, tr, 0, "Total",
			       fmt_get(s->x, NULL, 1));
	if (r == 0 && g >= 0)
		r = write_text(s->x, s->ws, tr, gc, label,
			       fmt_get(s->x, NULL, 1));
	col_name(gc, gn);
	for (j = 0; r == 0 && j < sh->ncolumns; j++) {
		const struct report_column *c = &sh->columns[j];
		struct total t = { 0, 0, NULL, 0 };
		const char *nf;

		if (!c->total)
			continue;
		for (i = 0; i < s->nrows; i++)
			if (g < 0 || group_of[i] == g)
				total_add(&t, c, json_array_get(s->rows, i));
		if (t.mixed) {
			r = write_text(s->x, s->ws, tr, (lxw_col_t)j,
				       "mixed currencies", fmt_get(s->x, NULL, 1));
			continue;
		}
		col_name((lxw_col_t)j, cn);
		sbuf_reset(&f);
		if (g < 0)
			sbuf_addf(&f, "=SUBTOTAL(9,%s2:%s%lu)", cn, cn,
				  (unsigned long)last);
		else	/* EXACT: SUMIFS matches case-blind, * ? ~ as wildcards */
			sbuf_addf(&f, "=SUMPRODUCT(--EXACT(%s2:%s%lu,%s%lu),"
				  "%s2:%s%lu)", gn, gn, (unsigned long)last, gn,
				  (unsigned long)tr + 1, cn, cn, (unsigned long)last);
		if (!t.currency && c->type == REPORT_MONEY)
			t.currency = group_currency(s, c, g, group_of);
		nf = numfmt(c, t.currency && t.currency[0] ? t.currency : NULL,
			    &s->fmtbuf);
		r = lxw_fail(s->x, worksheet_write_formula_num(s->ws, tr,
			(lxw_col_t)j, f.buf, fmt_get(s->x, nf, 1),
			round15(t.sum + t.comp)));
		free(t.currency);
	}
	sbuf_release(&f);
	return r;
}

/*
 * The groups of totals_by (or of a chart's series_by): *ret_keys a new
 * JSON array of their texts, first seen first; *ret_of a new array of
 * each row's group.
 */
static void group_rows(json_t *rows, const char *field, json_t **ret_keys,
		       long **ret_of)
{
	json_t *keys = json_array(), *index = json_object(), *row;
	long *of = xcalloc(json_array_size(rows) + 1, sizeof(*of));
	size_t i;
	int is_text;

	json_array_foreach(rows, i, row) {
		json_t *v = json_object_get(row, field);
		char *k = v ? csv_cell_text(v, &is_text) : xstrdup("");
		json_t *at = json_object_get(index, k);

		if (!at) {
			at = json_integer((json_int_t)json_array_size(keys));
			json_object_set_new_nocheck(index, k, at);
			json_array_append_new(keys, json_string_nocheck(k));
		}
		of[i] = (long)json_integer_value(at);
		free(k);
	}
	json_decref(index);
	*ret_keys = keys;
	*ret_of = of;
}

static int write_totals(struct sheet_ctx *s)
{
	const struct report_sheet *sh = s->sh;
	lxw_row_t tr = (lxw_row_t)s->nrows + 2;
	json_t *keys = NULL;
	long *of = NULL;
	size_t j, g;
	int r = 0, any = 0;

	for (j = 0; j < sh->ncolumns; j++)
		any |= sh->columns[j].total;
	if (!any)
		return 0;
	if (!sh->totals_by)
		return write_total_row(s, tr, -1, NULL, NULL);
	group_rows(s->rows, sh->totals_by, &keys, &of);
	if (s->nrows + 2 + json_array_size(keys) > XLSX_ROWS) {
		err_set(s->x->d, "sheet '%s' has more rows than Excel takes",
			sh->name);
		r = -ERR_TOO_LARGE;
	}
	for (g = 0; r == 0 && g < json_array_size(keys); g++)
		r = write_total_row(s, tr + (lxw_row_t)g, (long)g, of,
				    json_string_value(json_array_get(keys, g)));
	json_decref(keys);
	free(of);
	return r;
}

static int cmp_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * series_by: a table of categories (sorted) x groups (first seen) at
 * column pc, in hidden columns, one series per group.
 */
static int pivot_series(struct sheet_ctx *s, lxw_chart *chart, lxw_col_t pc)
{
	const struct report_chart *ch = &s->sh->chart;
	json_t *gkeys = NULL, *ckeys = NULL, *row;
	long *gof = NULL, *cof = NULL;
	double *cell;
	char **sorted, *k;
	size_t ng, nc, i, *rank;
	lxw_row_col_options hide = { 1, 0, 0 };
	int r = 0;

	group_rows(s->rows, ch->series_by, &gkeys, &gof);
	group_rows(s->rows, ch->categories, &ckeys, &cof);
	ng = json_array_size(gkeys);
	nc = json_array_size(ckeys);
	if (ng > XLSX_MAX_SERIES)
		ng = XLSX_MAX_SERIES;
	/* Categories in sorted order: rank[c] is where category c goes. */
	sorted = xcalloc(nc + 1, sizeof(*sorted));
	rank = xcalloc(nc + 1, sizeof(*rank));
	for (i = 0; i < nc; i++)
		sorted[i] = (char *)json_string_value(json_array_get(ckeys, i));
	qsort(sorted, nc, sizeof(*sorted), cmp_text);
	for (i = 0; i < nc; i++) {
		size_t lo = 0, hi = nc;

		k = (char *)json_string_value(json_array_get(ckeys, i));
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (strcmp(sorted[mid], k) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		rank[i] = lo;
	}
	cell = xcalloc(nc * ng + 1, sizeof(*cell));
	json_array_foreach(s->rows, i, row) {
		json_t *v = json_object_get(row, ch->values[0]);

		if ((size_t)gof[i] < ng && json_is_number(v))
			cell[rank[cof[i]] * ng + (size_t)gof[i]] +=
				json_number_value(v);
	}
	r = write_text(s->x, s->ws, 0, pc, s->sh->columns[column_of(s->sh,
		       ch->categories)].header, NULL);
	for (i = 0; r == 0 && i < nc; i++)
		r = write_text(s->x, s->ws, (lxw_row_t)i + 1, pc, sorted[i],
			       NULL);
	for (i = 0; r == 0 && i < ng * nc; i++)
		r = lxw_fail(s->x, worksheet_write_number(s->ws,
			(lxw_row_t)(i / ng) + 1, pc + 1 + (lxw_col_t)(i % ng),
			cell[i], NULL));
	for (i = 0; r == 0 && i < ng; i++) {
		lxw_chart_series *se = chart_add_series(chart, NULL, NULL);

		k = (char *)json_string_value(json_array_get(gkeys, i));
		r = write_text(s->x, s->ws, 0, pc + 1 + (lxw_col_t)i, k, NULL);
		chart_series_set_categories(se, s->sh->name, 1, pc,
					    (lxw_row_t)nc, pc);
		chart_series_set_values(se, s->sh->name, 1, pc + 1 +
					(lxw_col_t)i, (lxw_row_t)nc,
					pc + 1 + (lxw_col_t)i);
		chart_series_set_name_range(se, s->sh->name, 0,
					    pc + 1 + (lxw_col_t)i);
	}
	if (r == 0)
		r = lxw_fail(s->x, worksheet_set_column_opt(s->ws, pc,
			pc + (lxw_col_t)ng, LXW_DEF_COL_WIDTH, NULL, &hide));
	chart_show_hidden_data(chart);
	free(sorted);
	free(rank);
	free(cell);
	free(gof);
	free(cof);
	json_decref(gkeys);
	json_decref(ckeys);
	return r;
}

static int write_chart(struct sheet_ctx *s)
{
	const struct report_chart *ch = &s->sh->chart;
	lxw_col_t nc = (lxw_col_t)s->sh->ncolumns, cat, vc;
	lxw_row_t last = (lxw_row_t)s->nrows;
	lxw_chart *chart;
	size_t i;
	int r = 0;

	if (ch->type == REPORT_CHART_NONE || !s->nrows)
		return 0;
	chart = workbook_add_chart(s->x->wb, ch->type == REPORT_CHART_LINE ?
				   LXW_CHART_LINE : ch->type == REPORT_CHART_BAR ?
				   LXW_CHART_BAR : LXW_CHART_COLUMN);
	if (!chart)
		return lxw_fail(s->x, LXW_ERROR_MEMORY_MALLOC_FAILED);
	if (ch->title)
		chart_title_set_name(chart, ch->title);
	cat = column_of(s->sh, ch->categories);
	if (ch->series_by) {
		r = pivot_series(s, chart, nc + 10);
	} else {
		for (i = 0; i < ch->nvalues; i++) {
			lxw_chart_series *se = chart_add_series(chart, NULL, NULL);

			vc = column_of(s->sh, ch->values[i]);
			chart_series_set_categories(se, s->sh->name, 1, cat,
						    last, cat);
			chart_series_set_values(se, s->sh->name, 1, vc, last, vc);
			chart_series_set_name_range(se, s->sh->name, 0, vc);
		}
	}
	if (r == 0)
		r = lxw_fail(s->x, worksheet_insert_chart(s->ws, 1, nc + 1,
							  chart));
	return r;
}

/*
 * sh with its dynamic columns: every column of the dataset (cols) that
 * sh->columns does not name, as sh->dynamic with that field and header.
 * A shallow copy of sh with a new columns array (the caller frees just
 * that); the strings are borrowed from sh and cols.
 */
static struct report_sheet expand_sheet(const struct report_sheet *sh,
					json_t *cols)
{
	struct report_sheet e = *sh;
	const char *f;
	size_t i, j;
	json_t *c;

	e.columns = xcalloc(sh->ncolumns + json_array_size(cols) + 1,
			    sizeof(*e.columns));
	memcpy(e.columns, sh->columns, sh->ncolumns * sizeof(*e.columns));
	if (!sh->dynamic)
		return e;
	json_array_foreach(cols, i, c) {
		f = json_string_value(c);
		for (j = 0; j < sh->ncolumns; j++)
			if (!strcmp(sh->columns[j].field, f))
				break;
		if (j < sh->ncolumns)
			continue;
		e.columns[e.ncolumns] = *sh->dynamic;
		e.columns[e.ncolumns].field = (char *)f;
		e.columns[e.ncolumns].header = (char *)f;
		e.ncolumns++;
	}
	return e;
}

/* "#RRGGBB" as libxlsxwriter's colour. */
static lxw_color_t rgb(const char *s)
{
	return (lxw_color_t)strtoul(s + 1, NULL, 16);
}

/* One conditional format of the sheet over its data rows. */
static int write_cond(struct sheet_ctx *s, const struct report_cond *c)
{
	const struct report_sheet *sh = s->sh, *base;
	lxw_conditional_format cf;
	struct sbuf v = SBUF_INIT;
	lxw_col_t first;
	const char *p;
	size_t j;
	int r = 0;

	if (!s->nrows)
		return 0;
	memset(&cf, 0, sizeof(cf));
	cf.type = LXW_CONDITIONAL_TYPE_CELL;
	cf.criteria = LXW_CONDITIONAL_CRITERIA_EQUAL_TO;
	sbuf_addch(&v, '"');
	for (p = c->equals; *p; p++) {
		if (*p == '"')
			sbuf_addch(&v, '"');
		sbuf_addch(&v, *p);
	}
	sbuf_addch(&v, '"');
	cf.value_string = v.buf;
	cf.format = workbook_add_format(s->x->wb);
	if (c->background)
		format_set_bg_color(cf.format, rgb(c->background));
	if (c->font)
		format_set_font_color(cf.format, rgb(c->font));
	if (c->bold)
		format_set_bold(cf.format);
	base = &s->x->def->sheets[s->si];
	if (c->dynamic) {
		first = (lxw_col_t)base->ncolumns;
		if (sh->ncolumns > base->ncolumns)
			r = lxw_fail(s->x, worksheet_conditional_format_range(
				s->ws, 1, first, (lxw_row_t)s->nrows,
				(lxw_col_t)sh->ncolumns - 1, &cf));
	}
	for (j = 0; r == 0 && j < c->nfields; j++) {
		first = column_of(sh, c->fields[j]);
		r = lxw_fail(s->x, worksheet_conditional_format_range(s->ws, 1,
			first, (lxw_row_t)s->nrows, first, &cf));
	}
	sbuf_release(&v);
	return r;
}

static int write_sheet(struct xlsx *x, const struct report_result *res,
		       size_t si)
{
	struct report_sheet exp = expand_sheet(&x->def->sheets[si],
		json_object_get(res->columns, x->def->sheets[si].dataset));
	const struct report_sheet *sh = &exp;
	struct sheet_ctx s = { x, sh, NULL, NULL, 0, SBUF_INIT, si };
	lxw_format *hf = fmt_get(x, NULL, 1);
	size_t i, j;
	int r = 0;

	s.rows = json_object_get(res->data, sh->dataset);
	s.nrows = json_array_size(s.rows);
	if (s.nrows + 3 > XLSX_ROWS || sh->ncolumns > 16384) {
		err_set(x->d, "sheet '%s' has %zu rows and %zu columns, more "
			"than Excel takes", sh->name, s.nrows, sh->ncolumns);
		free(exp.columns);
		return -ERR_TOO_LARGE;
	}
	s.ws = workbook_add_worksheet(x->wb, sh->name);
	if (!s.ws) {
		err_set(x->d, "cannot add sheet '%s'", sh->name);
		free(exp.columns);
		return -EIO;
	}
	for (j = 0; r == 0 && j < sh->ncolumns; j++) {
		r = write_text(x, s.ws, 0, (lxw_col_t)j, sh->columns[j].header,
			       hf);
		if (r == 0)
			r = lxw_fail(x, worksheet_set_column(s.ws, (lxw_col_t)j,
				(lxw_col_t)j, column_width(&sh->columns[j],
							   s.rows), NULL));
	}
	for (i = 0; r == 0 && i < s.nrows; i++)
		for (j = 0; r == 0 && j < sh->ncolumns; j++)
			r = write_cell(x, s.ws, (lxw_row_t)i + 1, (lxw_col_t)j,
				       &sh->columns[j], json_array_get(s.rows, i),
				       &s.fmtbuf);
	if (r == 0 && sh->freeze)
		worksheet_freeze_panes(s.ws, 1, 0);
	if (r == 0 && sh->autofilter)
		r = lxw_fail(x, worksheet_autofilter(s.ws, 0, 0,
			(lxw_row_t)s.nrows, (lxw_col_t)sh->ncolumns - 1));
	if (r == 0)
		r = write_totals(&s);
	if (r == 0)
		r = write_chart(&s);
	for (i = 0; r == 0 && i < sh->nconds; i++)
		r = write_cond(&s, &sh->conds[i]);
	sbuf_release(&s.fmtbuf);
	free(exp.columns);
	return r;
}

int xlsx_write_report(const struct report_def *def,
		      const struct report_result *r, const char *path,
		      const char *tmpdir, struct err_detail *d)
{
	lxw_workbook_options o = { 0, (char *)tmpdir, 0 };
	lxw_doc_properties props;
	struct xlsx x = { NULL, NULL, 0, 0, def, d };
	size_t i;
	int rc = 0;

	rc = report_check(def, r, d);
	if (rc < 0)
		return rc;
	x.wb = workbook_new_opt(path, &o);
	if (!x.wb) {
		err_set(d, "cannot create the workbook");
		return -ENOMEM;
	}
	memset(&props, 0, sizeof(props));
	props.title = def->title;
	props.subject = (char *)r->label;
	props.author = "amlfs-audit";
	props.comments = def->description;
	props.created = r->created;
	rc = lxw_fail(&x, workbook_set_properties(x.wb, &props));
	for (i = 0; rc == 0 && i < def->nsheets; i++)
		rc = write_sheet(&x, r, i);
	/* workbook_close() frees the workbook whatever happened. */
	if (rc == 0)
		rc = lxw_fail(&x, workbook_close(x.wb));
	else
		workbook_close(x.wb);
	for (i = 0; i < x.nfmts; i++)
		free(x.fmts[i].num);
	free(x.fmts);
	return rc;
}
