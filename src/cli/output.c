#include "cli/output.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "util/sbuf.h"
#include "util/xalloc.h"

#define TABLE_CELL_MAX 48

int out_format_parse(const char *name)
{
	if (!strcmp(name, "table"))
		return OUT_TABLE;
	if (!strcmp(name, "json"))
		return OUT_JSON;
	if (!strcmp(name, "csv"))
		return OUT_CSV;
	return -1;
}

/* A cell as text: strings raw, numbers in C-locale form, JSON compact. */
static char *cell_text(json_t *v)
{
	struct sbuf sb = SBUF_INIT;
	char *s;

	if (!v || json_is_null(v))
		return xstrdup("");
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v)) {
		sbuf_addf(&sb, "%lld", (long long)json_integer_value(v));
		return sbuf_detach(&sb, NULL);
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER |
			  JSON_REAL_PRECISION(15));
	return s ? s : xstrdup("");
}

/*
 * One character of s at p (n bytes left): its length in bytes and its
 * display width, or -1 when it must not reach a terminal (invalid UTF-8,
 * a C0 or C1 control, DEL, or no width at all).
 */
static int char_at(const char *p, size_t n, size_t *ret_len)
{
	mbstate_t st;
	wchar_t wc;
	size_t k;
	int w;

	memset(&st, 0, sizeof(st));
	k = mbrtowc(&wc, p, n, &st);
	if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
		*ret_len = 1;
		return -1;
	}
	*ret_len = k;
	if (wc < 0x20 || (wc >= 0x7f && wc < 0xa0))
		return -1;
	w = wcwidth(wc);
	return w < 0 ? -1 : w;
}

/* Display columns of s (main() sets LC_CTYPE to C.UTF-8). */
static size_t width(const char *s)
{
	size_t n = strlen(s), len, cols = 0;
	int w;

	while (n) {
		w = char_at(s, n, &len);
		cols += w < 0 ? 1 : (size_t)w;
		s += len;
		n -= len;
	}
	return cols;
}

void out_put_clean(FILE *f, const char *s)
{
	size_t n = s ? strlen(s) : 0, len;

	while (n) {
		if (char_at(s, n, &len) < 0)
			fputc('?', f);
		else
			fwrite(s, 1, len, f);
		s += len;
		n -= len;
	}
}

/*
 * Terminal safety: every control character (C0, C1, DEL) and every byte
 * that is not UTF-8 shown as '?', the cell cut to TABLE_CELL_MAX columns
 * with "...".
 */
static char *table_cell(json_t *v)
{
	char *text = cell_text(v);
	struct sbuf sb = SBUF_INIT;
	const char *p = text;
	size_t n = strlen(text), len, cols = 0, total = width(text);
	int w;

	while (n) {
		w = char_at(p, n, &len);
		if (total > TABLE_CELL_MAX &&
		    cols + (w < 0 ? 1 : (size_t)w) > TABLE_CELL_MAX - 3) {
			sbuf_adds(&sb, "...");
			break;
		}
		if (w < 0)
			sbuf_addch(&sb, '?');
		else
			sbuf_add(&sb, p, len);
		cols += w < 0 ? 1 : (size_t)w;
		p += len;
		n -= len;
	}
	free(text);
	return sbuf_detach(&sb, NULL);
}

static void pad(FILE *f, const char *s, size_t w, int last)
{
	size_t n = width(s);

	fputs(s, f);
	if (!last)
		for (; n < w + 2; n++)
			fputc(' ', f);
}

static void print_table(FILE *f, json_t *columns, json_t *rows)
{
	size_t nc = json_array_size(columns), nr = json_array_size(rows);
	size_t *w = xcalloc(nc, sizeof(*w)), i, j;
	char **cells = xcalloc(nc * (nr + 1), sizeof(*cells));

	for (j = 0; j < nc; j++) {
		cells[j] = xstrdup(json_string_value(json_array_get(columns, j)));
		w[j] = width(cells[j]);
	}
	for (i = 0; i < nr; i++) {
		json_t *row = json_array_get(rows, i);

		for (j = 0; j < nc; j++) {
			const char *k = json_string_value(json_array_get(columns, j));
			char *c = table_cell(json_object_get(row, k));

			cells[(i + 1) * nc + j] = c;
			if (width(c) > w[j])
				w[j] = width(c);
		}
	}
	for (i = 0; i <= nr; i++) {
		for (j = 0; j < nc; j++)
			pad(f, cells[i * nc + j], w[j], j + 1 == nc);
		fputc('\n', f);
	}
	for (i = 0; i < nc * (nr + 1); i++)
		free(cells[i]);
	free(cells);
	free(w);
}

static void csv_cell(FILE *f, const char *s, int is_text)
{
	/* OWASP's list: a spreadsheet must show these, not run them. */
	if (is_text && s[0] && strchr("=+-@\t\r", s[0])) {
		char *guarded = xmalloc(strlen(s) + 2);

		guarded[0] = '\'';
		strcpy(guarded + 1, s);
		csv_fwrite(f, guarded, strlen(guarded));
		free(guarded);
		return;
	}
	csv_fwrite(f, s, strlen(s));
}

static void print_csv(FILE *f, json_t *columns, json_t *rows)
{
	size_t nc = json_array_size(columns), i, j;
	json_t *row;

	for (j = 0; j < nc; j++) {
		if (j)
			fputc(',', f);
		csv_cell(f, json_string_value(json_array_get(columns, j)), 0);
	}
	fputs("\r\n", f);
	json_array_foreach(rows, i, row) {
		for (j = 0; j < nc; j++) {
			const char *k = json_string_value(json_array_get(columns, j));
			json_t *v = json_object_get(row, k);
			char *c = cell_text(v);

			if (j)
				fputc(',', f);
			csv_cell(f, c, json_is_string(v));
			free(c);
		}
		fputs("\r\n", f);
	}
}

static void print_json(FILE *f, json_t *columns, json_t *rows)
{
	json_t *ordered = json_array(), *row;
	size_t i, j;

	json_array_foreach(rows, i, row) {
		json_t *o = json_object();

		for (j = 0; j < json_array_size(columns); j++) {
			const char *k = json_string_value(json_array_get(columns, j));
			json_t *v = json_object_get(row, k);

			json_object_set(o, k, v ? v : json_null());
		}
		json_array_append_new(ordered, o);
	}
	json_dumpf(ordered, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
				 JSON_REAL_PRECISION(15));
	fputc('\n', f);
	json_decref(ordered);
}

int out_print(FILE *f, enum out_format fmt, json_t *columns, json_t *rows)
{
	switch (fmt) {
	case OUT_TABLE:
		print_table(f, columns, rows);
		break;
	case OUT_JSON:
		print_json(f, columns, rows);
		break;
	case OUT_CSV:
		print_csv(f, columns, rows);
		break;
	}
	return ferror(f) ? -EIO : 0;
}
