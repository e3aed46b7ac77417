/*
 * The Mustache renderer (report/mustache.c). Input: one byte choosing the
 * escaping (byte % 3: HTML, Markdown, none), the template up to the first
 * NUL, then the text every partial resolves to (a partial named
 * "missing" is unknown). The data is fixed: every JSON type, nested
 * objects, lists, text with markup and control characters. What must
 * hold:
 *  - a refusal is one of the documented codes, names LINE:COLUMN, and
 *    leaves the output as it was;
 *  - output stays under the cap; text with no "{{" renders as itself;
 *  - mustache_escape_markdown() of any text gives UTF-8 with no control
 *    character, every '|' escaped, and no formula or list start.
 */
#include "fuzz.h"

#include <string.h>

#include "report/mustache.h"
#include "util/num.h"
#include "util/sbuf.h"

#define MAX_OUT (1 << 16)	/* caps small enough that hitting them is cheap */

static const char data_json[] =
	"{\"name\": \"<b>&\\\"x\\\"|*_[]`~\", \"n\": 0, \"r\": 1.21, "
	"\"big\": 1e300, \"neg\": -5, \"t\": true, \"f\": false, "
	"\"nil\": null, \"s\": \"\", \"u\": \"\\u00e9\\u2028\\u0001\\u009b=cmd\","
	"\"list\": [{\"a\": 1, \"name\": \"one\"}, {\"a\": \"x\"}, [1, 2], "
	"\"str\", 3.5, null, {\"list\": [{\"a\": \"inner\"}]}], \"empty\": [],"
	"\"obj\": {\"a\": {\"b\": {\"c\": \"deep\"}}, \"name\": \"obj\"}}";

static json_t *data;
static const char *partial_text;
static size_t partial_len;

static int partial(void *ctx, const char *name, struct sbuf *ret_text,
		   struct err_detail *d)
{
	(void)ctx;
	(void)d;
	if (!strcmp(name, "missing"))
		return -ERR_NOT_FOUND;
	return sbuf_add(ret_text, partial_text, partial_len) < 0 ?
	       -ERR_TOO_LARGE : 0;
}

static void check_markdown_cell(const char *s)
{
	struct sbuf out = SBUF_INIT;
	const unsigned char *p, *first;
	size_t i;

	FUZZ_ASSERT(mustache_escape_markdown(&out, s) == 0);
	p = (const unsigned char *)(out.buf ? out.buf : "");
	FUZZ_ASSERT(utf8_valid((const char *)p, out.len));
	for (i = 0; i < out.len; i++) {
		FUZZ_ASSERT(p[i] >= 0x20 && p[i] != 0x7f);
		/* C1 controls: U+0080..U+009F, encoded C2 80..C2 9F. */
		FUZZ_ASSERT(!(p[i] == 0xc2 && i + 1 < out.len &&
			      p[i + 1] >= 0x80 && p[i + 1] <= 0x9f));
		if (p[i] == '|') {
			size_t k = i, slashes = 0;

			while (k > 0 && p[--k] == '\\')
				slashes++;
			FUZZ_ASSERT(slashes % 2 == 1);
		}
	}
	for (first = p; *first == ' '; first++)
		;
	FUZZ_ASSERT(!strchr("=+-@", *first) || !*first);
	sbuf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	struct mustache_options o = MUSTACHE_OPTIONS_INIT;
	struct err_detail d = { { 0 }, { 0 } };
	struct sbuf out;
	const char *tmpl = (const char *)in + 1, *nul;
	size_t tlen;
	char *copy;
	int r;

	if (!data)
		data = json_loads(data_json, 0, NULL);
	FUZZ_ASSERT(data);
	if (size < 1)
		return 0;
	o.escape = (enum mustache_escape)(in[0] % 3);
	o.partial = partial;
	o.max_output = MAX_OUT;
	o.max_steps = 1 << 16;
	nul = memchr(tmpl, '\0', size - 1);
	tlen = nul ? (size_t)(nul - tmpl) : size - 1;
	partial_text = nul ? nul + 1 : "";
	partial_len = nul ? size - 1 - tlen - 1 : 0;

	sbuf_init(&out, 0);
	sbuf_adds(&out, "KEEP");
	r = mustache_render(tmpl, tlen, data, &o, &out, &d);
	if (r < 0) {
		FUZZ_ASSERT(r == -ERR_JSON || r == -ERR_NOT_FOUND ||
			    r == -ERR_TOO_LARGE);
		FUZZ_ASSERT(d.msg[0] && d.where[0] >= '1' && d.where[0] <= '9');
		FUZZ_ASSERT(out.len == 4 && !memcmp(out.buf, "KEEP", 4));
	} else {
		FUZZ_ASSERT(out.len - 4 <= MAX_OUT);
		if (!memmem(tmpl, tlen, "{{", 2))
			FUZZ_ASSERT(out.len - 4 == tlen &&
				    !memcmp(out.buf + 4, tmpl, tlen));
	}
	sbuf_release(&out);

	copy = malloc(tlen + 1);
	memcpy(copy, tmpl, tlen);
	copy[tlen] = '\0';
	check_markdown_cell(copy);
	free(copy);
	return 0;
}
