/*
 * Mustache: every test of the official spec (tests/data/mustache-spec/,
 * read at run time, one cmocka test per spec test, named by file and
 * name), then our own: numbers, truthiness, escaping, errors and caps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/mustache.h"
#include "util/err.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

static const char *const spec_files[] = {
	"comments", "delimiters", "interpolation", "inverted", "partials",
	"sections",
};

/* A string as a JSON literal, so that whitespace shows; caller frees. */
static char *quoted(const char *s, size_t n)
{
	json_t *j = json_stringn_nocheck(s, n);
	char *q = json_dumps(j, JSON_ENCODE_ANY);

	json_decref(j);
	return q ? q : xstrdup("?");
}

/* The template in a buffer of exactly len bytes: ASan sees overreads. */
static char *exact_copy(const char *s, size_t len)
{
	char *p = xmalloc(len ? len : 1);

	memcpy(p, s, len);
	return p;
}

/*
 * The spec's partials: a JSON object of name -> template. An unknown name
 * renders as the empty string, as the spec says it SHOULD.
 */
static int spec_partial(void *ctx, const char *name, struct sbuf *ret_text,
			struct err_detail *d)
{
	json_t *p = json_object_get(ctx, name);

	(void)d;
	if (!json_is_string(p))
		return 0;
	return sbuf_add(ret_text, json_string_value(p), json_string_length(p));
}

static void spec_case(void **state)
{
	json_t *tc = *state;
	json_t *tmpl = json_object_get(tc, "template");
	const char *want = json_string_value(json_object_get(tc, "expected"));
	struct mustache_options o = MUSTACHE_OPTIONS_INIT;
	struct err_detail d = { "", "" };
	struct sbuf out = SBUF_INIT;
	char *buf, *q1, *q2, *q3;
	int r, ok;

	assert_non_null(want);
	assert_true(json_is_string(tmpl));
	o.partial = spec_partial;
	o.ctx = json_object_get(tc, "partials");
	buf = exact_copy(json_string_value(tmpl), json_string_length(tmpl));
	r = mustache_render(buf, json_string_length(tmpl),
			    json_object_get(tc, "data"), &o, &out, &d);
	ok = r == 0 && !strcmp(out.buf, want);
	if (!ok) {
		q1 = quoted(buf, json_string_length(tmpl));
		q2 = quoted(want, strlen(want));
		q3 = quoted(out.buf, out.len);
		print_error("template: %s\nexpected: %s\nrendered: %s\n"
			    "result:   %d %s %s\n", q1, q2, q3, r, d.msg,
			    d.where);
		free(q1);
		free(q2);
		free(q3);
	}
	free(buf);
	sbuf_release(&out);
	assert_true(ok);
}

/* Run one spec file as a group of tests; returns the number that failed. */
static int run_spec_file(const char *root, const char *name)
{
	char path[4096], group[128];
	struct CMUnitTest *tests;
	json_error_t err;
	json_t *doc, *list;
	char **names;
	size_t i, n;
	int failed;

	snprintf(path, sizeof(path), "%s/tests/data/mustache-spec/%s.json",
		 root, name);
	snprintf(group, sizeof(group), "mustache-spec/%s.json", name);
	doc = json_load_file(path, 0, &err);
	list = json_object_get(doc, "tests");
	n = json_array_size(list);
	if (!n) {
		fprintf(stderr, "%s: cannot read the spec tests: %s\n", path,
			doc ? "no tests" : err.text);
		json_decref(doc);
		return 1;
	}
	tests = xcalloc(n, sizeof(*tests));
	names = xcalloc(n, sizeof(*names));
	for (i = 0; i < n; i++) {
		json_t *tc = json_array_get(list, i);
		size_t len = strlen(name) + 64 +
			json_string_length(json_object_get(tc, "name"));

		names[i] = xmalloc(len);
		snprintf(names[i], len, "%s.json: %s", name,
			 json_string_value(json_object_get(tc, "name")));
		tests[i].name = names[i];
		tests[i].test_func = spec_case;
		tests[i].initial_state = tc;
	}
	failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	json_decref(doc);
	return failed;
}

/* Render tmpl (from an exact-size copy) with data given as JSON text. */
static int render_with(const char *tmpl, const char *data,
		       const struct mustache_options *o, struct sbuf *out,
		       struct err_detail *d)
{
	json_t *j = data ? json_loads(data, JSON_DECODE_ANY, NULL) : NULL;
	char *buf = exact_copy(tmpl, strlen(tmpl));
	int r;

	if (data)
		assert_non_null(j);
	r = mustache_render(buf, strlen(tmpl), j, o, out, d);
	free(buf);
	json_decref(j);
	return r;
}

/* Render and compare with want; want NULL expects a failure. */
static void check(const char *tmpl, const char *data,
		  const struct mustache_options *o, const char *want)
{
	struct err_detail d = { "", "" };
	struct sbuf out = SBUF_INIT;
	int r = render_with(tmpl, data, o, &out, &d);

	if (r < 0)
		print_error("%s: %s at %s\n", tmpl, d.msg, d.where);
	assert_int_equal(r, 0);
	assert_string_equal(out.buf, want);
	sbuf_release(&out);
}

/* Expect code, a message containing msg, and d->where equal to where. */
static void check_error(const char *tmpl, const char *data,
			const struct mustache_options *o, int code,
			const char *msg, const char *where)
{
	struct err_detail d = { "", "" };
	struct sbuf out = SBUF_INIT;
	int r;

	sbuf_adds(&out, "kept");
	r = render_with(tmpl, data, o, &out, &d);
	if (r != code || !strstr(d.msg, msg) || strcmp(d.where, where))
		print_error("%s: got %d '%s' at '%s'\n", tmpl, r, d.msg,
			    d.where);
	assert_int_equal(r, code);
	assert_non_null(strstr(d.msg, msg));
	assert_string_equal(d.where, where);
	assert_string_equal(out.buf, "kept");	/* left as it was */
	sbuf_release(&out);
}

static void numbers_render_shortest(void **state)
{
	(void)state;
	check("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}} {{g}} {{h}} {{i}}",
	      "{\"a\": 1.21, \"b\": 100.0, \"c\": 0.1, \"d\": -2.5,"
	      " \"e\": 1e21, \"f\": 1e20, \"g\": 1.5e-7, \"h\": 0.000001,"
	      " \"i\": 123456789012.5}", NULL,
	      "1.21 100 0.1 -2.5 1e+21 100000000000000000000 1.5e-07 "
	      "0.000001 123456789012.5");
	check("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}}",
	      "{\"a\": 9223372036854775807, \"b\": -3,"
	      " \"c\": 0.30000000000000004, \"d\": -3.7424293801623803e18,"
	      " \"e\": 5e-324, \"f\": -0.0000123}", NULL,
	      "9223372036854775807 -3 0.30000000000000004 -3742429380162380300 "
	      "5e-324 -0.0000123");
	check("{{t}} {{f}} [{{n}}] {{o}} {{l}}",
	      "{\"t\": true, \"f\": false, \"n\": null, \"o\": {\"k\": 1.5},"
	      " \"l\": [1, \"x\"]}", NULL,
	      "true false [] {&quot;k&quot;:1.5} [1,&quot;x&quot;]");
}

static void truthiness(void **state)
{
	(void)state;
	check("{{#s}}yes{{/s}}{{^s}}no{{/s}}", "{\"s\": \"\"}", NULL, "no");
	check("{{#z}}{{z}}{{/z}}{{^z}}none{{/z}}", "{\"z\": 0}", NULL, "0");
	check("{{#o}}obj{{/o}}", "{\"o\": {}}", NULL, "obj");
	check("{{#l}}x{{/l}}{{^l}}empty{{/l}}", "{\"l\": []}", NULL, "empty");
	check("a{{x}}b{{#x}}c{{/x}}{{^x}}d{{/x}}", NULL, NULL, "abd");
	check("{{.}}", "\"root\"", NULL, "root");
}

static void escape_modes(void **state)
{
	struct mustache_options o = MUSTACHE_OPTIONS_INIT;

	(void)state;
	check("{{s}}|{{{s}}}|{{&s}}", "{\"s\": \"<a href='x'>&\\\"</a>\"}", NULL,
	      "&lt;a href='x'&gt;&amp;&quot;&lt;/a&gt;|<a href='x'>&\"</a>|"
	      "<a href='x'>&\"</a>");
	o.escape = MUSTACHE_ESCAPE_NONE;
	check("{{s}}", "{\"s\": \"<&>\"}", &o, "<&>");
	o.escape = MUSTACHE_ESCAPE_MARKDOWN;
	check("| {{a}} | {{b}} | {{c}} | {{n}} | {{{a}}} |",
	      "{\"a\": \"x|y\\nz\", \"b\": \"=1+2\", \"c\": \"-\","
	      " \"n\": -5}", &o,
	      "| x\\|y z | '=1+2 | '- | -5 | x|y\nz |");
}

static void markdown(const char *in, const char *want)
{
	struct sbuf out = SBUF_INIT;

	assert_int_equal(mustache_escape_markdown(&out, in), 0);
	assert_string_equal(out.buf, want);
	sbuf_release(&out);
}

static void markdown_escaping(void **state)
{
	struct sbuf out;

	(void)state;
	markdown("a|b", "a\\|b");
	markdown("a\\|b", "a\\\\\\|b");
	markdown("line1\nline2\r\nline3\rx\ty", "line1 line2 line3 x y");
	markdown("`code`", "\\`code\\`");
	markdown("*b* _i_ [l](u) ~~s~~", "\\*b\\* \\_i\\_ \\[l\\](u) \\~\\~s\\~\\~");
	markdown("<script>&amp;</script>",
		 "&lt;script&gt;&amp;amp;&lt;/script&gt;");
	markdown("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")");
	markdown("+1", "'+1");
	markdown("@SUM(A1)", "'@SUM(A1)");
	markdown("  -x", "  '-x");
	markdown("\n\t=x", "  '=x");
	markdown("\x01=x", "'=x");
	markdown("a-b=c", "a-b=c");
	markdown("\x01" "a\x7f" "b\xc2\x85" "c\x1b[31m", "abc\\[31m");
	markdown("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac");
	markdown("bad \xff\xc3", "bad \xef\xbf\xbd\xef\xbf\xbd");
	markdown("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	markdown("a\xe2\x80\xa8" "b", "a b");
	markdown("", "");

	sbuf_init(&out, 8);
	sbuf_adds(&out, "ab");
	assert_int_equal(mustache_escape_markdown(&out, "|||||"),
			 -ERR_TOO_LARGE);
	assert_string_equal(out.buf, "ab");
	sbuf_release(&out);
}

static void syntax_errors(void **state)
{
	(void)state;
	check_error("a\n  {{name", NULL, NULL, -ERR_JSON, "unclosed tag",
		    "2:3");
	check_error("{{{name}}", NULL, NULL, -ERR_JSON, "unclosed tag", "1:1");
	check_error("x {{=<% %>=}} <%a", NULL, NULL, -ERR_JSON,
		    "no '%>' after '<%'", "1:15");
	check_error("{{#a}}\n{{/b}}", NULL, NULL, -ERR_JSON,
		    "section end 'b' does not match section 'a' opened at 1:1",
		    "2:1");
	check_error("x{{/a}}", NULL, NULL, -ERR_JSON, "without an open",
		    "1:2");
	check_error("\xc3\xa9\xc3\xa9{{#a}}{{#b}}{{/b}}", NULL, NULL, -ERR_JSON,
		    "unclosed section 'a'", "1:3");
	check_error("{{ }}", NULL, NULL, -ERR_JSON, "empty tag", "1:1");
	check_error("{{a..b}}", NULL, NULL, -ERR_JSON, "bad name", "1:1");
	check_error("{{=<% % %>=}}", NULL, NULL, -ERR_JSON, "bad delimiters",
		    "1:1");
	check_error("{{=a= b=}}", NULL, NULL, -ERR_JSON, "bad delimiters",
		    "1:1");
	check_error("{{$block}}{{/block}}", NULL, NULL, -ERR_JSON,
		    "not supported", "1:1");
}

/* Partials from a JSON object; unknown names are errors here. */
static int strict_partial(void *ctx, const char *name, struct sbuf *ret_text,
			  struct err_detail *d)
{
	json_t *p = json_object_get(ctx, name);

	if (!p) {
		err_set(d, "not in the test's list");
		return -ERR_NOT_FOUND;
	}
	return sbuf_adds(ret_text, json_string_value(p));
}

static void partial_errors(void **state)
{
	struct mustache_options o = MUSTACHE_OPTIONS_INIT;
	json_t *parts = json_pack("{s:s, s:s, s:s}", "self", "x{{>self}}",
				  "bad", "ok\n  {{#a}}", "row", "{{.}},");

	(void)state;
	check_error("ab {{> nope }}", NULL, NULL, -ERR_NOT_FOUND,
		    "unknown partial 'nope'", "1:4");
	o.partial = strict_partial;
	o.ctx = parts;
	check_error("\n{{>missing}}", NULL, &o, -ERR_NOT_FOUND,
		    "unknown partial 'missing': not in the test's list", "2:1");
	check_error("{{>self}}", NULL, &o, -ERR_TOO_LARGE, "deeper than 64",
		    "1:2 in partial 'self'");
	check_error("  {{>bad}}\n", NULL, &o, -ERR_JSON,
		    "unclosed section 'a'", "2:3 in partial 'bad'");
	o.max_depth = 3;
	check_error("{{>self}}", NULL, &o, -ERR_TOO_LARGE, "deeper than 3",
		    "1:2 in partial 'self'");
	o.max_depth = 0;
	check("{{#l}}{{>row}}{{/l}}", "{\"l\": [1, 2, 3]}", &o, "1,2,3,");
	json_decref(parts);
}

static int counting_partial(void *ctx, const char *name,
			    struct sbuf *ret_text, struct err_detail *d)
{
	(void)d;
	++*(int *)ctx;
	return sbuf_adds(ret_text, !strcmp(name, "p") ? "<{{.}}>\n" : "");
}

static void partials_are_loaded_once(void **state)
{
	struct mustache_options o = MUSTACHE_OPTIONS_INIT;
	int calls = 0;

	(void)state;
	o.partial = counting_partial;
	o.ctx = &calls;
	check("{{#l}}{{>p}}{{/l}}", "{\"l\": [1, 2, 3]}", &o,
	      "<1>\n<2>\n<3>\n");
	assert_int_equal(calls, 1);
	calls = 0;
	check("{{#l}}\n  {{>p}}\n{{/l}}{{>p}}", "{\"l\": [1, 2]}", &o,
	      "  <1>\n  <2>\n<{&quot;l&quot;:[1,2]}>\n");
	assert_int_equal(calls, 2);	/* once per indentation */
}

static void caps(void **state)
{
	struct mustache_options o = MUSTACHE_OPTIONS_INIT;
	struct sbuf deep = SBUF_INIT;
	int i;

	(void)state;
	for (i = 0; i < 65; i++)
		sbuf_adds(&deep, "{{#a}}");
	check_error(deep.buf, NULL, NULL, -ERR_TOO_LARGE, "deeper than 64",
		    "1:385");
	sbuf_release(&deep);
	for (i = 0; i < 64; i++)
		sbuf_adds(&deep, "{{#a}}");
	for (i = 0; i < 64; i++)
		sbuf_adds(&deep, "{{/a}}");
	check(deep.buf, "{\"a\": true}", NULL, "");
	sbuf_release(&deep);

	o.max_output = 10;
	check("0123456789", NULL, &o, "0123456789");
	check_error("0123456789{{x}}", "{\"x\": \"!\"}", &o, -ERR_TOO_LARGE,
		    "output larger than 10 bytes", "1:11");
	check_error("{{x}}", "{\"x\": \"&&&\"}", &o, -ERR_TOO_LARGE,
		    "output larger than 10 bytes", "1:1");
	o.max_output = 0;
	/* Loops that write nothing still stop. */
	o.max_steps = 1000;
	check_error("{{#l}}{{#l}}{{#l}}{{#l}}{{/l}}{{/l}}{{/l}}{{/l}}",
		    "{\"l\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}",
		    &o, -ERR_TOO_LARGE, "more than 1000 steps", "1:19");
	/* Long names cost by their length. */
	sbuf_adds(&deep, "{{#l}}{{");
	for (i = 0; i < 1600; i++)
		sbuf_addch(&deep, 'n');
	sbuf_adds(&deep, "}}{{/l}}");
	check_error(deep.buf, "{\"l\": [1,2,3,4,5,6,7,8,9,10]}", &o,
		    -ERR_TOO_LARGE, "more than 1000 steps", "1:7");
	sbuf_release(&deep);
}

static void out_max_is_respected(void **state)
{
	struct err_detail d = { "", "" };
	struct sbuf out;

	(void)state;
	sbuf_init(&out, 6);
	sbuf_adds(&out, "ab");
	assert_int_equal(render_with("{{x}}{{x}}", "{\"x\": \"123\"}", NULL,
				     &out, &d), -ERR_TOO_LARGE);
	assert_string_equal(out.buf, "ab");
	assert_string_equal(d.where, "1:6");
	sbuf_release(&out);
}

static void delimiters_and_raw(void **state)
{
	(void)state;
	check("{{=<% %>=}}<%{a}%> <%&a%> <%a%> {{a}}", "{\"a\": \"<\"}", NULL,
	      "< < &lt; {{a}}");
	check("{{=| |=}}|#l||.||/l|", "{\"l\": [1, 2]}", NULL, "12");
	check("{{! a {{comment }}x", NULL, NULL, "x");
	check("{{=[[ ]]=}}[[={{ }}=]]{{a}}", "{\"a\": 1}", NULL, "1");
}

/* Every prefix of these templates stops at its length (ASan checks). */
static void prefixes_stay_in_bounds(void **state)
{
	static const char *const tmpls[] = {
		"a {{#s}}\n  {{> p }}\r\n{{/s}} {{{t}}} {{&u}} {{! c }}",
		"{{=<% %>=}}<%#a%><%{b}%><%/a%><%={{ }}=%>{{c}}",
		"  {{^x}}\r\n{{.}}{{/x}}\n",
	};
	struct mustache_options o = MUSTACHE_OPTIONS_INIT;
	json_t *parts = json_pack("{s:s}", "p", "{{#s}}{{>p}}{{/s}}");
	json_t *data = json_pack("{s:b, s:s}", "s", 1, "t", "x");
	struct err_detail d;
	struct sbuf out = SBUF_INIT;
	size_t i, n;
	char *buf;

	(void)state;
	o.partial = spec_partial;
	o.ctx = parts;
	for (i = 0; i < sizeof(tmpls) / sizeof(*tmpls); i++) {
		for (n = 0; n <= strlen(tmpls[i]); n++) {
			buf = exact_copy(tmpls[i], n);
			sbuf_reset(&out);
			mustache_render(buf, n, data, &o, &out, &d);
			free(buf);
		}
	}
	sbuf_release(&out);
	json_decref(parts);
	json_decref(data);
}

/* Random templates over Mustache's own characters (fixed seed). */
static void random_templates_fail_cleanly(void **state)
{
	static const char alphabet[] = "{{}}#^/!>&=.a b\n\r\t{}<%>|";
	struct mustache_options o = MUSTACHE_OPTIONS_INIT;
	json_t *data = json_pack("{s:[i,i], s:{s:s}, s:s}", "a", 1, 2, "b",
				 "a", "<x>", "a b", "y");
	struct err_detail d;
	struct sbuf out = SBUF_INIT;
	unsigned seed = 12345;
	char buf[64], *exact;
	int i, r;
	size_t n, k;

	(void)state;
	o.partial = spec_partial;
	o.ctx = data;
	for (i = 0; i < 20000; i++) {
		n = (size_t)(i % 40);
		for (k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[k] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		exact = exact_copy(buf, n);
		sbuf_reset(&out);
		d.msg[0] = d.where[0] = '\0';
		r = mustache_render(exact, n, data, &o, &out, &d);
		free(exact);
		assert_true(r == 0 || r == -ERR_JSON || r == -ERR_TOO_LARGE);
		if (r < 0) {
			assert_true(d.msg[0] != '\0');
			assert_true(d.where[0] >= '1' && d.where[0] <= '9');
			assert_int_equal(out.len, 0);
		}
	}
	sbuf_release(&out);
	json_decref(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(numbers_render_shortest),
		cmocka_unit_test(truthiness),
		cmocka_unit_test(escape_modes),
		cmocka_unit_test(markdown_escaping),
		cmocka_unit_test(syntax_errors),
		cmocka_unit_test(partial_errors),
		cmocka_unit_test(partials_are_loaded_once),
		cmocka_unit_test(caps),
		cmocka_unit_test(out_max_is_respected),
		cmocka_unit_test(delimiters_and_raw),
		cmocka_unit_test(prefixes_stay_in_bounds),
		cmocka_unit_test(random_templates_fail_cleanly),
	};
	const char *root = getenv("SOURCE_ROOT");
	size_t i;
	int failed = 0;

	if (!root || !*root) {
		fprintf(stderr, "SOURCE_ROOT is not set\n");
		return 1;
	}
	for (i = 0; i < sizeof(spec_files) / sizeof(*spec_files); i++)
		failed += run_spec_file(root, spec_files[i]);
	failed += cmocka_run_group_tests_name("mustache", tests, NULL, NULL);
	return failed ? 1 : 0;
}
