#pragma once
#include <jansson.h>
#include <stdio.h>

enum out_format { OUT_TABLE, OUT_JSON, OUT_CSV };

/* "table", "json" or "csv"; -1 when name is none of them. */
int out_format_parse(const char *name);

/*
 * Write s (NULL: nothing) to f as a table cell shows it, uncut: every
 * control character (C0, C1 such as CSI U+009B, DEL) and every byte that
 * is not UTF-8 becomes '?', so text read from Azure cannot drive the
 * terminal.
 */
void out_put_clean(FILE *f, const char *s);

/*
 * Print rows (an array of objects) with the given columns (an array of
 * strings, in order) to f:
 *  - table: aligned, for people; control characters shown as '?', long
 *    cells cut at 48 characters with "..."; nested JSON shown compact;
 *  - json:  the array itself, indented, keys in column order;
 *  - csv:   RFC 4180 with a header row (libcsv quoting); nested JSON as
 *    compact text; a text cell that starts with = + - @ gets a leading '
 *    so a spreadsheet shows it instead of running it.
 * Returns 0, or -EIO when writing failed.
 */
int out_print(FILE *f, enum out_format fmt, json_t *columns, json_t *rows);
