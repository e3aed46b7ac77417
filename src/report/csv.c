#include "report/csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/num.h"
#include "util/xalloc.h"

/* "-12", "0.5", "-12.50": text no spreadsheet can run as a formula. */
static int plain_decimal(const char *s)
{
	const char *p = s + (*s == '-');
	size_t n = strspn(p, "0123456789");

	if (!n)
		return 0;
	p += n;
	if (*p == '.') {
		n = strspn(p + 1, "0123456789");
		if (!n)
			return 0;
		p += 1 + n;
	}
	return *p == '\0';
}

int csv_add_field(struct sbuf *out, const char *s, int is_text)
{
	size_t start = out->len;
	int guard = is_text && s[0] && strchr("=+-@\t\r", s[0]) &&
		    !plain_decimal(s);
	int quote = s[strcspn(s, ",\"\r\n")] != '\0';
	int r = 0;

	if (quote)
		r = sbuf_addch(out, '"');
	if (r == 0 && guard)
		r = sbuf_addch(out, '\'');
	for (; r == 0 && *s; s++)
		r = *s == '"' && quote ? sbuf_add(out, "\"\"", 2) :
					 sbuf_addch(out, *s);
	if (r == 0 && quote)
		r = sbuf_addch(out, '"');
	if (r < 0) {
		out->len = start;
		out->buf[start] = '\0';
	}
	return r;
}

char *csv_cell_text(json_t *v, int *ret_is_text)
{
	char num[64];
	char *s;

	*ret_is_text = 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		*ret_is_text = 1;
		return xstrndup(json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return xstrdup(num);
	case JSON_REAL:
		num_shortest(json_real_value(v), num);
		return xstrdup(num);
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	case JSON_OBJECT:
	case JSON_ARRAY:
		*ret_is_text = 1;
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		return s ? s : xstrdup("");
	default:
		return xstrdup("");
	}
}

int csv_add_rows(struct sbuf *out, json_t *columns, json_t *rows)
{
	size_t nc = json_array_size(columns), i, j;
	json_t *row;
	int r = 0, is_text;

	for (j = 0; r == 0 && j < nc; j++) {
		if (j)
			r = sbuf_addch(out, ',');
		if (r == 0)
			r = csv_add_field(out, json_string_value(
				json_array_get(columns, j)), 1);
	}
	if (r == 0)
		r = sbuf_add(out, "\r\n", 2);
	json_array_foreach(rows, i, row) {
		for (j = 0; r == 0 && j < nc; j++) {
			const char *k = json_string_value(
				json_array_get(columns, j));
			json_t *v = json_object_get(row, k);
			char *c = v ? csv_cell_text(v, &is_text) : xstrdup("");

			if (!v)
				is_text = 0;
			if (j)
				r = sbuf_addch(out, ',');
			if (r == 0)
				r = csv_add_field(out, c, is_text);
			free(c);
		}
		if (r == 0)
			r = sbuf_add(out, "\r\n", 2);
		if (r < 0)
			break;
	}
	return r;
}

