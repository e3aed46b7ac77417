/*
 * The configuration reader: config/ini.c (the strict INI layer over
 * libinih) and config/config.c. Input: the text of a file. What must hold:
 *  - a refusal names the file (and a line when one is to blame) and why;
 *  - the INI layer loses no line: each line is blank, a comment, a
 *    [section], or the key line or a continuation line of an entry it
 *    returns; no key comes back twice in a section; lines are in range;
 *  - a configuration accepted, written back from config_describe() as
 *    "[section] key = value" lines, reads back to the same values.
 */
#include "fuzz.h"

#include <string.h>

#include "config/config.h"
#include "config/ini.h"
#include "util/sbuf.h"

#define NAME "fuzz.conf"

static void check_refusal(int r, const struct err_detail *d)
{
	FUZZ_ASSERT(r == -ERR_CONFIG);
	FUZZ_ASSERT(d->msg[0]);
	FUZZ_ASSERT(!strncmp(d->where, NAME, strlen(NAME)));
}

/* Is line (n bytes, no terminator) blank, a comment or a section? */
static int needs_no_entry(const char *line, size_t n)
{
	while (n && (*line == ' ' || *line == '\t' || *line == '\r' ||
		     *line == '\f' || *line == '\v')) {
		line++;
		n--;
	}
	if (!n || *line == ';' || *line == '#')
		return 1;
	/* A section: nothing after its ']' but white space or a comment. */
	if (*line == '[') {
		const char *close = memchr(line, ']', n);

		if (!close)
			return 0;
		for (close++; close < line + n && (*close == ' ' ||
			*close == '\t' || *close == '\r'); close++)
			;
		return close == line + n || *close == ';' || *close == '#';
	}
	return 0;
}

static void check_ini(const char *text, size_t len)
{
	struct ini_file f;
	struct err_detail d = { { 0 }, { 0 } };
	const char *p = text, *end = text + len, *nl;
	int r = ini_read_text(NAME, text, len, &f, &d), line = 0;
	size_t i, k;

	if (r < 0) {
		check_refusal(r, &d);
		ini_file_release(&f);
		return;
	}
	for (i = 0; i < f.n; i++) {
		FUZZ_ASSERT(f.v[i].line >= 1 && f.v[i].line <= f.v[i].last_line);
		for (k = 0; k < i; k++)
			FUZZ_ASSERT(strcmp(f.v[i].section, f.v[k].section) ||
				    strcmp(f.v[i].key, f.v[k].key));
	}
	while (p < end) {
		size_t n;
		int seen = 0;

		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		for (i = 0; i < f.n && !seen; i++)
			seen = line >= f.v[i].line && line <= f.v[i].last_line;
		if (!seen && !needs_no_entry(p, n)) {
			fprintf(stderr, "line %d lost: '%.*s'\n", line, (int)n, p);
			FUZZ_ASSERT(!"a line that is no entry");
		}
		p = nl ? nl + 1 : end;
	}
	for (i = 0; i < f.n; i++)
		FUZZ_ASSERT(f.v[i].last_line <= line);
	ini_file_release(&f);
}

/* The longest line of text, in bytes without its newline. */
static size_t longest_line(const char *s, size_t n)
{
	size_t i, cur = 0, max = 0;

	for (i = 0; s && i < n; i++) {
		cur = s[i] == '\n' ? 0 : cur + 1;
		if (cur > max)
			max = cur;
	}
	return max;
}

static void check_round_trip(const struct config *c)
{
	struct sbuf text = SBUF_INIT;
	struct config again;
	struct err_detail d = { { 0 }, { 0 } };
	const char *section, *key;
	char *value, *v2;
	int line, r;
	size_t i;

	for (i = 0; config_describe(c, i, &section, &key, &value, &line); i++) {
		/*
		 * A list item may start with ';', '#' or '[' (",;x" is no
		 * comment), but joined with ", " or alone on a continuation
		 * line it would read as a comment or a section: such a value
		 * has no INI spelling that reads back, so the check stops.
		 */
		if (strstr(value, " ;") || strstr(value, "\t;") ||
		    strstr(value, ", #") || strstr(value, ", [")) {
			free(value);
			sbuf_release(&text);
			return;
		}
		if (line > 0) {
			const char *s;

			/* No space around '=': a value may start with ';',
			 * and "key=value" is never longer than the line it
			 * was read from (a longer one could be refused). */
			sbuf_addf(&text, "[%s]\n%s=", section, key);
			/* Continuation lines stay continuation lines; a list
			 * too long for one line goes one item a line. */
			int split = strlen(key) + 1 + strlen(value) >
				    ini_longest_line();

			for (s = value; *s; s++) {
				if (split && s[0] == ',' && s[1] == ' ') {
					sbuf_adds(&text, ",\n ");
					continue;
				}
				sbuf_addch(&text, *s);
				/* One blank: no longer than any indent read. */
				if (*s == '\n')
					sbuf_addch(&text, ' ');
			}
			sbuf_addch(&text, '\n');
		}
		free(value);
	}
	/*
	 * Written back, a line may come out a little longer than the one
	 * read (indents are not kept): past the reader's limit there is no
	 * round trip to check, only the refusal, which is the reader's rule.
	 */
	if (longest_line(text.buf, text.len) > ini_longest_line()) {
		sbuf_release(&text);
		return;
	}
	config_init(&again);
	r = config_load_text(&again, NAME, text.buf ? text.buf : "", text.len,
			     &d);
	if (r < 0)
		fprintf(stderr, "written back:\n%s\nrefused: %s: %s\n",
			text.buf, d.where, d.msg);
	FUZZ_ASSERT(r == 0);
	for (i = 0; config_describe(c, i, &section, &key, &value, &line); i++) {
		int line2;

		config_describe(&again, i, &section, &key, &v2, &line2);
		if (strcmp(value, v2))
			fprintf(stderr, "[%s] %s: '%s' read back as '%s'\n",
				section, key, value, v2);
		FUZZ_ASSERT(!strcmp(value, v2));
		FUZZ_ASSERT((line > 0) == (line2 > 0));
		free(value);
		free(v2);
	}
	config_release(&again);
	sbuf_release(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct err_detail d = { { 0 }, { 0 } };
	int r;

	check_ini((const char *)data, size);
	config_init(&c);
	r = config_load_text(&c, NAME, (const char *)data, size, &d);
	if (r < 0)
		check_refusal(r, &d);
	else
		check_round_trip(&c);
	config_release(&c);
	return 0;
}
