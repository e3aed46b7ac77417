#include "cli/output.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* Cut to the display limit and hide control characters (terminal safety). */
static char *table_cell(json_t *v)
{
	char *s = cell_text(v), *p;
	size_t n = 0, cut = 0;

	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f)
			*p = '?';
		if ((c & 0xc0) != 0x80) {	/* count code points */
			if (++n > TABLE_CELL_MAX - 3 && !cut)
				cut = (size_t)(p - s);
		}
	}
	if (n > TABLE_CELL_MAX) {
		s = xrealloc(s, cut + 4);
		memcpy(s + cut, "...", 4);
	}
	return s;
}

static size_t width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
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
	if (is_text && strchr("=+-@", s[0]) && s[0]) {
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
