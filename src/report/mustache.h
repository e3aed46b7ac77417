#pragma once
#include <stddef.h>

#include <jansson.h>

#include "util/err.h"
#include "util/sbuf.h"

/*
 * A Mustache renderer: the whole of the official spec (variables, triple
 * mustache and `&`, dotted names, the implicit iterator `.`, sections,
 * inverted sections, comments, set delimiters, partials with standalone
 * indentation, the standalone-line rules), without lambdas and without
 * the optional modules (inheritance, dynamic names).
 *
 * The data is a jansson value, borrowed for the length of the call.
 * Truthiness: false, null, a missing name, an empty array and an empty
 * string are falsy (the spec's `!!data`); everything else is truthy,
 * including 0 and {}, so a zero cost still shows. Values render as:
 * strings as they are, integers plainly, reals in the shortest form that
 * reads back to the same double (1.21 is "1.21"; never locale-dependent),
 * true and false as "true" and "false", null and missing names as "",
 * arrays and objects as compact JSON.
 *
 * Everything outside input can grow is capped: the nesting of sections
 * and partials (so a partial that includes itself stops), the bytes
 * written, the bytes of partial text loaded, and the work done. Errors
 * name the line and column of the template in d->where.
 */

enum mustache_escape {
	/* &, <, >, " as entities, as the spec expects (&quot;). */
	MUSTACHE_ESCAPE_HTML = 0,
	/*
	 * For a cell of a GFM table; see mustache_escape_markdown(). JSON
	 * numbers keep their sign: -5 gets no formula guard.
	 */
	MUSTACHE_ESCAPE_MARKDOWN,
	/* Values go out as they are. */
	MUSTACHE_ESCAPE_NONE,
};

/* The defaults used when a cap below is 0. */
#define MUSTACHE_MAX_DEPTH 64
#define MUSTACHE_MAX_OUTPUT ((size_t)64 << 20)
#define MUSTACHE_MAX_STEPS ((size_t)32 << 20)

struct mustache_options {
	/* How {{name}} escapes; {{{name}}} and {{&name}} never do. */
	enum mustache_escape escape;

	/*
	 * Find partial `name` (a NUL-terminated copy of the tag's content,
	 * spaces trimmed) and append its template text to ret_text, which
	 * comes empty and capped. Return 0 when found, -ERR_NOT_FOUND when
	 * there is no such partial, or another negative code for any other
	 * failure; a message put in d (which is never NULL) is passed on.
	 * The spec renders an unknown partial as the empty string; a
	 * callback that wants that returns 0 and adds nothing. Without a
	 * callback every partial is unknown. Each name is asked for at most
	 * once per indentation and per mustache_render() call.
	 */
	int (*partial)(void *ctx, const char *name, struct sbuf *ret_text,
		       struct err_detail *d);
	void *ctx;		/* passed to partial() */

	/*
	 * Caps, 0 for the default. max_depth: how deeply sections and
	 * partials may nest (MUSTACHE_MAX_DEPTH); rendering recurses that
	 * deep, so keep it in the hundreds at most. max_output: bytes this
	 * call may add to out, and bytes of partial text it may load
	 * (MUSTACHE_MAX_OUTPUT). max_steps: tags and texts it may visit,
	 * a long name counting once more per 16 bytes and context searched
	 * (MUSTACHE_MAX_STEPS), against templates that loop without writing.
	 */
	size_t max_depth;
	size_t max_output;
	size_t max_steps;
};

#define MUSTACHE_OPTIONS_INIT { MUSTACHE_ESCAPE_HTML, NULL, NULL, 0, 0, 0 }

/*
 * Render the template tmpl (len bytes; it need not be NUL-terminated and
 * is never read past len) with data (borrowed; NULL is an empty context)
 * and append the result to out. o may be NULL for the defaults: HTML
 * escaping, no partials, default caps.
 *
 * Returns 0, or on failure a negative code with d->msg saying what and
 * d->where the place, "LINE:COLUMN" (1-based; columns count UTF-8
 * characters) or "LINE:COLUMN in partial 'NAME'", and out left as it
 * was:
 *
 *  - -ERR_JSON: the template is malformed: an unclosed tag or section, a
 *    section end that does not match, an empty name, bad delimiters;
 *  - -ERR_NOT_FOUND: a partial the callback does not know;
 *  - -ERR_TOO_LARGE: nesting beyond max_depth, output or partial text
 *    beyond max_output (or past out->max), work beyond max_steps;
 *  - whatever else the partial callback returns.
 */
int mustache_render(const char *tmpl, size_t len, json_t *data,
		    const struct mustache_options *o, struct sbuf *out,
		    struct err_detail *d);

/*
 * Append s (a NUL-terminated UTF-8 string) to out so that it reads as the
 * same literal text inside a cell of a GFM table once cmark-gfm renders
 * it: `|` becomes `\|`; backslash, backtick, `*`, `_`, `[`, `]` and `~`
 * are backslash-escaped; `<`, `>` and `&` become entities; newline,
 * carriage return (CRLF as one), tab, U+2028 and U+2029 become a space;
 * other C0 and C1 control characters and DEL are dropped, and bytes that
 * are not UTF-8 become U+FFFD; and when the first character that is not
 * a space is `=`, `+`, `-` or `@`, a `'` goes before it so that the cell
 * cannot start a spreadsheet formula or a list. (URLs stay as they are,
 * so GFM's autolink extension may still make them links.) Returns 0, or
 * -ERR_TOO_LARGE when out has a max and it would be passed (out is then
 * unchanged).
 */
int mustache_escape_markdown(struct sbuf *out, const char *s);
