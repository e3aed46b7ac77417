#pragma once
#include <jansson.h>

#include "util/sbuf.h"

/*
 * CSV as RFC 4180 says: fields separated by commas, records ended by
 * CRLF, a field quoted (and its quotes doubled) only when it holds a
 * comma, a quote, CR or LF. Written by hand into an sbuf, so the same
 * bytes come out wherever they go.
 *
 * A text cell that starts with =, +, -, @, tab or CR gets a leading ',
 * so that a spreadsheet shows it rather than runs it (OWASP's CSV
 * injection advice); numbers never do, and neither does text that is a
 * plain decimal number ("-12.50"), which no spreadsheet can run.
 */

/*
 * Append one field. is_text says whether s is text (guarded) or the form
 * of a number, true, false or an empty cell (not guarded).
 */
int csv_add_field(struct sbuf *out, const char *s, int is_text);

/*
 * Append a header record of columns (a JSON array of strings) and a
 * record per row of rows (an array of objects, looked up by column):
 * strings as text, integers and reals as numbers (reals in the shortest
 * form that reads back), true and false, null and missing as empty, and
 * arrays and objects as compact JSON text. Returns 0, or -ERR_TOO_LARGE
 * when out has a max and it would be passed.
 */
int csv_add_rows(struct sbuf *out, json_t *columns, json_t *rows);

/*
 * A cell's text for CSV and the like: a new string the caller frees, and
 * *ret_is_text set for strings, arrays and objects.
 */
char *csv_cell_text(json_t *v, int *ret_is_text);
