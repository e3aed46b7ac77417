#include "cli/commands.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/mustache.h"
#include "util/fs.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

/* The largest template or data file read. */
#define RENDER_MAX_FILE ((size_t)64 << 20)

const char render_usage[] =
"usage: amlfs-audit render [--partials DIR] [--escape html|markdown|none]\n"
"                          TEMPLATE DATA.json\n"
"\n"
"Render a Mustache template with the JSON in DATA.json and print the\n"
"result, to try a report template out. {{>name}} reads DIR/name.mustache;\n"
"names with '/' or a leading '.' are refused. {{name}} is escaped for a\n"
"Markdown table cell when TEMPLATE ends in .md.mustache, else for HTML.\n"
"\n"
"  --partials DIR  where partials are (default: the template's directory)\n"
"  --escape MODE   html (& < > \" as entities), markdown (| \\ ` * _ [ ] ~\n"
"                  escaped, < > & as entities, line breaks as spaces,\n"
"                  control characters dropped, a ' put before a leading\n"
"                  = + - or @) or none\n"
"  -h, --help      show this help\n"
"\n"
"Exit status: 0 ok, 2 usage error, or a template or data file that is\n"
"wrong (LINE:COLUMN says where), 3 a file that cannot be read.\n";

/* The partial callback: DIR/NAME.mustache, DIR being ctx. */
static int read_partial(void *ctx, const char *name, struct sbuf *ret_text,
			struct err_detail *d)
{
	struct sbuf path = SBUF_INIT;
	int r;

	if (name[0] == '.' || strchr(name, '/')) {
		err_set(d, "a partial's name may not contain '/' or start "
			"with '.'");
		return -ERR_USAGE;
	}
	sbuf_addf(&path, "%s/%s.mustache", (const char *)ctx, name);
	r = fs_read_file(path.buf, ret_text);
	if (r == -ENOENT) {
		err_set(d, "no file '%s'", path.buf);
		r = -ERR_NOT_FOUND;
	} else if (r < 0 && r != -ERR_TOO_LARGE) {
		err_set(d, "cannot read '%s': %s", path.buf, err_str(r));
	}
	sbuf_release(&path);
	return r;
}

static int parse_escape(struct app *app, const char *arg,
			enum mustache_escape *ret)
{
	if (!strcmp(arg, "html"))
		*ret = MUSTACHE_ESCAPE_HTML;
	else if (!strcmp(arg, "markdown"))
		*ret = MUSTACHE_ESCAPE_MARKDOWN;
	else if (!strcmp(arg, "none"))
		*ret = MUSTACHE_ESCAPE_NONE;
	else {
		app_error(app, "--escape takes html, markdown or none, "
			  "not '%s'", arg);
		return -1;
	}
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* Read DATA.json into *ret (new); an exit code. */
static int load_data(struct app *app, const char *path, json_t **ret)
{
	struct err_detail d = { "", "" };
	struct sbuf text;
	char what[512];
	json_error_t jerr;
	json_t *j;
	int r;

	sbuf_init(&text, RENDER_MAX_FILE);
	r = fs_read_file(path, &text);
	if (r < 0) {
		app_error(app, "cannot read '%s': %s", path, err_str(r));
		sbuf_release(&text);
		return EXIT_RUNTIME;
	}
	j = json_loadb(text.buf, text.len,
		       JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	sbuf_release(&text);
	if (!j) {
		snprintf(what, sizeof(what), "bad JSON in '%s'", path);
		err_set(&d, "%s", jerr.text);
		err_where(&d, "%s:%d:%d", path, jerr.line, jerr.column);
		app_fail(app, what, -ERR_JSON, &d);
		return EXIT_USAGE;
	}
	*ret = j;
	return EXIT_OK;
}

/* Render TEMPLATE with data to app->out; an exit code. */
static int render_file(struct app *app, const char *path, json_t *data,
		       struct mustache_options *o)
{
	struct err_detail d = { "", "" };
	struct sbuf tmpl, out = SBUF_INIT;
	char what[512];
	int r, status = EXIT_OK;

	sbuf_init(&tmpl, RENDER_MAX_FILE);
	r = fs_read_file(path, &tmpl);
	if (r < 0) {
		app_error(app, "cannot read '%s': %s", path, err_str(r));
		status = EXIT_RUNTIME;
		goto out;
	}
	r = mustache_render(tmpl.buf, tmpl.len, data, o, &out, &d);
	if (r < 0) {
		snprintf(what, sizeof(what), "cannot render '%s'", path);
		app_fail(app, what, r, &d);
		status = r == -ERR_JSON || r == -ERR_NOT_FOUND ||
			 r == -ERR_TOO_LARGE || r == -ERR_USAGE ?
			 EXIT_USAGE : EXIT_RUNTIME;
		goto out;
	}
	fwrite(out.buf, 1, out.len, app->out);
out:
	sbuf_release(&tmpl);
	sbuf_release(&out);
	return status;
}

int cmd_render(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "partials", required_argument, NULL, 'p' },
		{ "escape", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("render");
	struct mustache_options o = MUSTACHE_OPTIONS_INIT;
	const char *partials = NULL, *escape = NULL;
	const char *slash;
	char *dir = NULL;
	json_t *data = NULL;
	int c, status;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'p') {
			partials = optarg;
		} else if (c == 'e') {
			escape = optarg;
		} else if (c == 'h') {
			cmd_print_usage(app->out, self);
			return EXIT_OK;
		} else {
			return cmd_usage_error(app, self);
		}
	}
	if (argc - optind != 2)
		return cmd_usage_error(app, self);
	o.escape = ends_with(argv[optind], ".md.mustache") ?
		   MUSTACHE_ESCAPE_MARKDOWN : MUSTACHE_ESCAPE_HTML;
	if (escape && parse_escape(app, escape, &o.escape) < 0)
		return EXIT_USAGE;
	if (!partials) {
		slash = strrchr(argv[optind], '/');
		dir = !slash ? xstrdup(".") :
		      xstrndup(argv[optind], slash == argv[optind] ? 1 :
			       (size_t)(slash - argv[optind]));
		partials = dir;
	}
	o.partial = read_partial;
	o.ctx = (void *)partials;
	status = load_data(app, argv[optind + 1], &data);
	if (status == EXIT_OK)
		status = render_file(app, argv[optind], data, &o);
	json_decref(data);
	free(dir);
	return status;
}
