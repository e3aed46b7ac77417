#include "report/csv.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
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
		csv_number_text(json_real_value(v), num);
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

/* digits (n of them, no point) with decimal exponent exp, in fixed form. */
static char *fixed_text(char *out, const char *digits, int n, long exp)
{
	long i;

	if (exp < 0) {
		*out++ = '0';
		*out++ = '.';
		for (i = -1; i > exp; i--)
			*out++ = '0';
		memcpy(out, digits, (size_t)n);
		return out + n;
	}
	for (i = 0; i <= exp || i < n; i++) {
		if (i == exp + 1)
			*out++ = '.';
		*out++ = i < n ? digits[i] : '0';
	}
	return out;
}

void csv_number_text(double v, char buf[64])
{
	locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	locale_t old = c ? uselocale(c) : (locale_t)0;
	char digits[24], *out = buf;
	int prec, n = 0;
	const char *p;
	long exp;

	if (v != v || v - v != 0) {	/* NaN or infinite: no JSON number */
		snprintf(buf, 64, "%s", v != v ? "NaN" :
			 v < 0 ? "-Infinity" : "Infinity");
		goto out;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, 64, "%.*e", prec - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, 64, "%.*e", prec - 1, v);
	for (p = buf; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && n < (int)sizeof(digits))
			digits[n++] = *p;
	exp = *p ? strtol(p + 1, NULL, 10) : 0;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	if (buf[0] == '-')
		*out++ = '-';
	if (exp >= -6 && exp < 21) {
		out = fixed_text(out, digits, n, exp);
		*out = '\0';
	} else {
		*out++ = digits[0];
		if (n > 1)
			*out++ = '.';
		memcpy(out, digits + 1, (size_t)n - 1);
		out += n - 1;
		snprintf(out, 64 - (size_t)(out - buf), "e%c%02d",
			 exp < 0 ? '-' : '+', (int)(exp < 0 ? -exp : exp));
	}
out:
	if (c) {
		uselocale(old);
		freelocale(c);
	}
}
