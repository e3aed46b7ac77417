#include "cli/commands.h"

#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/output.h"
#include "config.h"
#include "report/report.h"
#include "store/query.h"
#include "util/fs.h"
#include "util/num.h"
#include "util/sbuf.h"

/* The largest --usage file read. */
#define USAGE_MAX_FILE ((size_t)64 << 20)

/* The exit status of a report error: the definition's fault or not. */
static int report_exit(int code)
{
	return code == -ERR_NOT_FOUND || code == -ERR_CONFIG ||
	       code == -ERR_USAGE ? EXIT_USAGE : EXIT_RUNTIME;
}

static int list_reports(struct app *app)
{
	struct err_detail d = { "", "" };
	json_t *list = NULL, *ok, *cols, *e;
	size_t i;
	int r;

	r = report_list(app->datadir, &list, &d);
	if (r < 0) {
		app_fail(app, "cannot list reports", r, &d);
		return EXIT_RUNTIME;
	}
	ok = json_array();
	json_array_foreach(list, i, e) {
		if (json_object_get(e, "error"))
			app_error(app, "bad report definition '%s': %s, "
				  "skipping", json_string_value(json_object_get(
				  e, "name")), json_string_value(
				  json_object_get(e, "error")));
		else
			json_array_append(ok, e);
	}
	cols = json_pack("[sss]", "name", "title", "description");
	r = out_print(app->out, OUT_TABLE, cols, ok);
	json_decref(cols);
	json_decref(ok);
	json_decref(list);
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}

/* --format's list as a mask; 0 after printing an error. */
static unsigned parse_formats(struct app *app, const char *arg)
{
	static const struct { const char *name; unsigned bit; } f[] = {
		{ "xlsx", REPORT_XLSX }, { "md", REPORT_MD },
		{ "csv", REPORT_CSV }, { "json", REPORT_JSON },
	};
	unsigned mask = 0;
	const char *p = arg;
	size_t n, i;

	while (*p) {
		n = strcspn(p, ",");
		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			if (strlen(f[i].name) == n && !strncmp(f[i].name, p, n))
				break;
		if (i == sizeof(f) / sizeof(f[0])) {
			app_error(app, "--format takes xlsx, md, csv and json, "
				  "separated by commas, not '%s'", arg);
			return 0;
		}
		mask |= f[i].bit;
		p += n;
		p += *p == ',';
	}
	if (!mask)
		app_error(app, "--format needs at least one format");
	return mask;
}

/* The options of one report command line. */
struct report_args {
	const char *month, *from, *to, *run, *as_of, *out, *formats, *usage;
};

/*
 * The parameters every report query gets besides the period, from the
 * configuration and --usage: :allocate_by ([chargeback] allocate_by as a
 * JSON array of tag keys), :variance_pct ([chargeback] variance_pct) and
 * :usage (the --usage file as compact JSON, or NULL).
 */
struct report_extra {
	struct query_param p[3];
	char *allocate_by;
	char *usage;
};

static void report_extra_release(struct report_extra *e)
{
	free(e->allocate_by);
	free(e->usage);
}

/* The bytes a text usage file may add up to (summed in SQLite's int64). */
#define USAGE_MAX_TOTAL (1ULL << 62)

/* The Azure resource id of a file system, compared case-blind. */
#define USAGE_FS_TYPE "/providers/microsoft.storagecache/amlfilesystems/"

/* The next blank-separated field of *p (NUL-terminated in place), or NULL. */
static char *usage_field(char **p)
{
	char *s = *p + strspn(*p, " \t"), *e;

	if (!*s)
		return NULL;
	e = s + strcspn(s, " \t");
	*p = *e ? e + 1 : e;
	*e = '\0';
	return s;
}

/* Is id a file system's resource id: /subscriptions/.../TYPE/NAME? */
static int is_fs_id(const char *id)
{
	size_t n = strlen(USAGE_FS_TYPE), i;

	if (strncmp(id, "/subscriptions/", 15))
		return 0;
	for (i = 0; id[i]; i++)
		if (!strncasecmp(id + i, USAGE_FS_TYPE, n))
			return id[i + n] != '\0' && !strchr(id + i + n, '/');
	return 0;
}

/*
 * A text usage file (README "Chargeback"): a line per file system, project
 * and cost center, `FILESYSTEM_ID PROJECT BYTES COST_CENTER` separated by
 * blanks; '#' comments and blank lines skipped. Into a JSON array as the
 * JSON form has it (with "project"); errors name FILE:LINE and the field.
 */
static int parse_usage_text(struct app *app, const char *path, char *text,
			    json_t **ret)
{
	static const char *const names[] = {
		"FILESYSTEM_ID", "PROJECT", "BYTES", "COST_CENTER"
	};
	json_t *a = json_array();
	unsigned long long total = 0;
	char *line = text, *next, *f[5];
	unsigned long line_no = 0;
	size_t n, k, bad;

	for (; line; line = next) {
		unsigned long long bytes = 0;
		const char *why = NULL;

		line_no++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (!line[strspn(line, " \t")] || line[strspn(line, " \t")] == '#')
			continue;
		for (k = 0; k < 5; k++)
			f[k] = usage_field(&line);
		if (!f[3] || f[4]) {
			app_error(app, "%s:%lu: bad usage line: %s fields, want "
				  "FILESYSTEM_ID PROJECT BYTES COST_CENTER", path,
				  line_no, f[4] ? "more than 4" : "fewer than 4");
			json_decref(a);
			return EXIT_USAGE;
		}
		bad = 0;
		if (!is_fs_id(f[0]))
			why = "not a file system's resource id (/subscriptions/"
			      "..." USAGE_FS_TYPE "NAME)";
		else if (strspn(f[2], "0123456789") != strlen(f[2]) ||
			 strlen(f[2]) > 17 || (f[2][0] == '0' && f[2][1]))
			why = "not a whole number of bytes (digits only, no sign "
			      "or leading zero, below 10^17)";
		else if ((total += (bytes = strtoull(f[2], NULL, 10))) >
			 USAGE_MAX_TOTAL)
			why = "the file's bytes add up to more than 2^62";
		if (why && is_fs_id(f[0]))
			bad = 2;
		if (why) {
			app_error(app, "%s:%lu: field %zu (%s): %s", path,
				  line_no, bad + 1, names[bad], why);
			json_decref(a);
			return EXIT_USAGE;
		}
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I}",
			"resource_id", f[0], "project", f[1],
			"cost_center", f[3], "bytes", (json_int_t)bytes));
	}
	*ret = a;
	return EXIT_OK;
}

/*
 * The JSON form held to the text form's rules: each entry an object with a
 * resource_id and a cost_center (texts) and bytes a whole number below
 * 10^17, adding up to 2^62 at most. An empty cost center is left to the
 * chargeback ("bad usage file" on an Unallocated line). Errors name the
 * entry, from 0.
 */
static int check_usage_json(struct app *app, const char *path, json_t *a)
{
	unsigned long long total = 0;
	const char *why = NULL;
	json_t *e, *b;
	size_t i;

	json_array_foreach(a, i, e) {
		b = json_object_get(e, "bytes");
		if (!json_is_object(e))
			why = "not an object {resource_id, cost_center, bytes}";
		else if (!json_is_string(json_object_get(e, "resource_id")))
			why = "resource_id is not a text";
		else if (!json_is_string(json_object_get(e, "cost_center")))
			why = "cost_center is not a text";
		else if (!json_is_integer(b) || json_integer_value(b) < 0 ||
			 json_integer_value(b) >= 100000000000000000LL)
			why = "bytes is not a whole number from 0 to below 10^17";
		else if ((total += (unsigned long long)json_integer_value(b)) >
			 USAGE_MAX_TOTAL)
			why = "the file's bytes add up to more than 2^62";
		if (why) {
			app_error(app, "bad usage file '%s': entry %zu: %s", path,
				  i, why);
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

/*
 * --usage FILE: a JSON array of {resource_id, cost_center, bytes}, or the
 * text form (parse_usage_text) when its first non-blank byte is neither
 * '[' nor '{'.
 */
static int read_usage(struct app *app, const char *path, char **ret)
{
	struct sbuf text;
	json_error_t jerr;
	json_t *j = NULL;
	int r;
	char c;

	sbuf_init(&text, USAGE_MAX_FILE);
	r = fs_read_file(path, &text);
	if (r < 0) {
		app_error(app, "cannot read '%s': %s", path, err_str(r));
		sbuf_release(&text);
		return r == -ERR_TOO_LARGE ? EXIT_USAGE : EXIT_RUNTIME;
	}
	if (!utf8_valid(text.buf, text.len)) {
		app_error(app, "bad usage file '%s': not UTF-8 text", path);
		sbuf_release(&text);
		return EXIT_USAGE;
	}
	c = text.buf[strspn(text.buf, " \t\r\n")];
	if (c != '[' && c != '{') {
		r = parse_usage_text(app, path, text.buf, &j);
		sbuf_release(&text);
		if (r != EXIT_OK)
			return r;
	} else {
		j = json_loadb(text.buf, text.len, JSON_REJECT_DUPLICATES,
			       &jerr);
		sbuf_release(&text);
	}
	if (!json_is_array(j)) {
		app_error(app, "bad usage file '%s': %s", path, j ?
			  "not a JSON array of {resource_id, cost_center, "
			  "bytes}" : jerr.text);
		json_decref(j);
		return EXIT_USAGE;
	}
	if (check_usage_json(app, path, j) != EXIT_OK) {
		json_decref(j);
		return EXIT_USAGE;
	}
	*ret = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return EXIT_OK;
}

static int report_extra_init(struct app *app, const char *usage,
			     struct report_extra *e)
{
	json_t *keys = json_array();
	size_t i;
	int status = EXIT_OK;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < app->cfg.allocate_by.n; i++)
		json_array_append_new(keys,
				      json_string(app->cfg.allocate_by.v[i]));
	e->allocate_by = json_dumps(keys, JSON_COMPACT);
	json_decref(keys);
	if (usage)
		status = read_usage(app, usage, &e->usage);
	e->p[0] = (struct query_param){ ":allocate_by", QP_TEXT, 0,
					e->allocate_by };
	e->p[1] = (struct query_param){ ":variance_pct", QP_INT,
					app->cfg.variance_pct, NULL };
	e->p[2] = (struct query_param){ ":usage", e->usage ? QP_TEXT : QP_NULL,
					0, e->usage };
	return status;
}

/* Fill p from the options, or the defaults; an exit code. */
static int pick_period(struct app *app, const struct report_def *def,
		       const struct report_args *a, struct report_params *p)
{
	char from[11], to[11];
	long long run = 0;
	char *end;
	int status;

	if (a->as_of && report_params_as_of(p, a->as_of) < 0) {
		app_error(app, "--as-of takes a date or an ISO time, not '%s'",
			  a->as_of);
		return EXIT_USAGE;
	}
	if (def->period == REPORT_PERIOD_RUN ||
	    (def->period == REPORT_PERIOD_MONTH_OR_RUN && !a->month &&
	     !a->from)) {
		if (a->month || a->from || a->to) {
			app_error(app, "report '%s' is about a run: use --run, "
				  "not --month, --from or --to", def->name);
			return EXIT_USAGE;
		}
		if (a->run) {
			run = strtoll(a->run, &end, 10);
			if (*end || run <= 0) {
				app_error(app, "--run takes a run id, not '%s'",
					  a->run);
				return EXIT_USAGE;
			}
		} else {
			status = pick_snapshot_run(app, 0, &run);
			if (status != EXIT_OK)
				return status;
		}
		report_params_run(p, run);
		return EXIT_OK;
	}
	if (a->run) {
		app_error(app, "report '%s' is about a period: use --month or "
			  "--from and --to, not --run", def->name);
		return EXIT_USAGE;
	}
	if (a->month && report_params_month(p, a->month) < 0) {
		app_error(app, "--month takes YYYY-MM, not '%s'", a->month);
		return EXIT_USAGE;
	}
	if (a->from && report_params_days(p, a->from, a->to) < 0) {
		app_error(app, "--from and --to take YYYY-MM-DD, the first "
			  "not after the second, not '%s' and '%s'", a->from,
			  a->to);
		return EXIT_USAGE;
	}
	if (!a->month && !a->from) {
		status = costs_latest_month(app, from, to);
		if (status != EXIT_OK)
			return status;
		report_params_days(p, from, to);
	}
	return EXIT_OK;
}

/* The workbook made on a thread of its own (write_outputs()). */
struct xlsx_job {
	struct app *app;
	const struct report_def *def;
	const struct report_result *res;
	const char *out;
	struct report_file f;
	int rc;
	struct err_detail d;
};

static void *xlsx_job_run(void *arg)
{
	struct xlsx_job *j = arg;

	j->rc = report_write_begin(j->app->datadir, j->def, j->res,
				   REPORT_XLSX, j->out, &j->f, &j->d);
	return NULL;
}

/* 2: on a thread; 1: done here (no thread to be had). */
static int xlsx_job_start(struct xlsx_job *j, pthread_t *thread)
{
	if (pthread_create(thread, NULL, xlsx_job_run, j) == 0)
		return 2;
	xlsx_job_run(j);
	return 1;
}

/*
 * Write each format asked for; an exit code. What a definition can get
 * wrong shows first (the sheets' columns, then the template), so a broken
 * one leaves no file behind. The workbook is made on a thread of its own
 * beside the text formats (both only read the result: jansson counts
 * references atomically) and put in place after them, only if the
 * Markdown rendered: it was the longest part of what a report does after
 * its queries (the compliance report's tail, on 1,000 file systems).
 */
static int write_outputs(struct app *app, const struct report_def *def,
			 const struct report_result *res, unsigned formats,
			 const char *out)
{
	static const enum report_format order[] = {
		REPORT_MD, REPORT_CSV, REPORT_JSON
	};
	struct err_detail d = { "", "" };
	struct xlsx_job x = { app, def, res, out, { NULL, NULL }, 0,
			      { "", "" } };
	pthread_t thread;
	int started = 0, had_dir, r;
	size_t i;

	r = report_check(def, res, &d);
	if (r < 0) {
		app_fail(app, "cannot write the report", r, &d);
		return report_exit(r);
	}

	/* The queries' memory (SQLite's caches, freed by now) back to the
	 * system: the workbook's thread allocates from an arena of its own
	 * and could not reuse it (peak RSS of the chargeback on 1,000 file
	 * systems: 210 MiB without, 171 with). */
	malloc_trim(0);
	had_dir = fs_is_dir(out);
	if (formats & REPORT_XLSX)
		started = xlsx_job_start(&x, &thread);
	for (i = 0; i < sizeof(order) / sizeof(order[0]) && r == 0; i++) {
		char *path = NULL;

		if (!(formats & order[i]))
			continue;
		r = report_write(app->datadir, def, res, order[i], out, &path,
				 &d);
		if (r == 0)
			fprintf(app->out, "%s\n", path);
		free(path);
	}
	if (started == 2)
		pthread_join(thread, NULL);
	if (started && x.rc == 0 && r == 0) {
		char *path = NULL;

		r = report_write_commit(&x.f, &path, &d);
		if (r == 0)
			fprintf(app->out, "%s\n", path);
		free(path);
	} else if (started && x.rc == 0) {
		report_write_abort(&x.f);	/* a text format failed */
	} else if (started && r == 0) {
		r = x.rc;
		d = x.d;
	}
	if (r < 0) {
		/* The workbook's thread may have made the directory before
		 * the Markdown failed: an empty one made here goes too. */
		if (!had_dir)
			rmdir(out);
		app_fail(app, "cannot write the report", r, &d);
		return report_exit(r);
	}
	return EXIT_OK;
}

/*
 * Load report name and give p the extra parameters (usage: the --usage
 * file, or NULL); an exit code. The caller releases extra and *ret_def.
 */
static int load_report(struct app *app, const char *name, const char *usage,
		       struct report_extra *extra, struct report_params *p,
		       struct report_def **ret_def)
{
	struct err_detail d = { "", "" };
	int r, status;

	memset(p, 0, sizeof(*p));
	status = report_extra_init(app, usage, extra);
	if (status != EXIT_OK)
		return status;
	p->extra = extra->p;
	p->nextra = 3;
	r = report_load(app->datadir, name, ret_def, &d);
	if (r < 0) {
		app_fail(app, "cannot load the report", r, &d);
		return report_exit(r);
	}
	return EXIT_OK;
}

static int run_report(struct app *app, const char *name,
		      const struct report_args *a)
{
	struct err_detail d = { "", "" };
	struct report_def *def = NULL;
	struct report_params p;
	struct report_result res = { NULL, NULL, 0, "" };
	struct report_extra extra;
	unsigned formats, missing;
	int r, status;

	status = load_report(app, name, a->usage, &extra, &p, &def);
	if (status != EXIT_OK)
		goto out;
	formats = a->formats ? parse_formats(app, a->formats) :
		  report_formats(def);
	missing = formats & ~report_formats(def);
	if (!formats || missing) {
		if (missing)
			app_error(app, "report '%s' has no %s output (%s)",
				  def->name, missing & REPORT_XLSX ? "xlsx" :
				  missing & REPORT_MD ? "md" : "csv", def->path);
		status = EXIT_USAGE;
		goto out;
	}
	status = pick_period(app, def, a, &p);
	if (status != EXIT_OK)
		goto out;
	r = report_run(app->store, app->datadir, def, &p, AMLFS_VERSION, &res,
		       &d);
	if (r < 0) {
		app_fail(app, "cannot run the report", r, &d);
		status = report_exit(r);
		goto out;
	}
	status = write_outputs(app, def, &res, formats, a->out ? a->out : ".");
	report_result_release(&res);
out:
	report_free(def);
	report_extra_release(&extra);
	return status;
}

int report_month_to(struct app *app, const char *name, const char *month,
		    const char *out)
{
	struct report_args a = { month, NULL, NULL, NULL, NULL, out, NULL,
				 NULL };

	return run_report(app, name, &a);
}

int report_run_to(struct app *app, const char *name, const char *run,
		  const char *formats, const char *out)
{
	struct report_args a = { NULL, NULL, NULL, run, NULL, out, formats,
				 NULL };

	return run_report(app, name, &a);
}

int cmd_report(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "month", required_argument, NULL, 'm' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "run", required_argument, NULL, 'r' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "out", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'F' },
		{ "usage", required_argument, NULL, 'u' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("report");
	struct report_args a = { NULL, NULL, NULL, NULL, NULL, NULL, NULL,
				 NULL };
	int c, list = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			a.month = optarg;
			break;
		case 'f':
			a.from = optarg;
			break;
		case 't':
			a.to = optarg;
			break;
		case 'r':
			a.run = optarg;
			break;
		case 'a':
			a.as_of = optarg;
			break;
		case 'o':
			a.out = optarg;
			break;
		case 'F':
			a.formats = optarg;
			break;
		case 'u':
			a.usage = optarg;
			break;
		case 'l':
			list = 1;
			break;
		case 'h':
			cmd_print_usage(app->out, self);
			return EXIT_OK;
		default:
			return cmd_usage_error(app, self);
		}
	}
	if (list)
		return optind == argc && !a.month && !a.from && !a.to &&
		       !a.run && !a.as_of && !a.out && !a.formats &&
		       !a.usage ?
		       list_reports(app) : cmd_usage_error(app, self);
	if (argc - optind != 1 || (!a.from) != (!a.to) ||
	    (a.month && (a.from || a.run)) || (a.run && a.from))
		return cmd_usage_error(app, self);
	return run_report(app, argv[optind], &a);
}

/* The month (YYYY-MM) run started in; an exit code. */
static int run_month(struct app *app, long long run, char month[8])
{
	sqlite3_stmt *st = NULL;
	struct err_detail d = { "", "" };
	int status = EXIT_USAGE;

	if (store_prepare(app->store, "SELECT substr(started_at, 1, 7) FROM "
			  "runs WHERE id = ?1", &st, &d) < 0) {
		app_fail(app, "cannot read the run", -ERR_SQL, &d);
		return EXIT_RUNTIME;
	}
	sqlite3_bind_int64(st, 1, run);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 7) {
		memcpy(month, sqlite3_column_text(st, 0), 8);
		status = EXIT_OK;
	} else
		app_error(app, "no run %lld", run);
	sqlite3_finalize(st);
	return status;
}

int report_markdown_of_run(struct app *app, const char *name, long long run,
			   struct sbuf *out)
{
	struct err_detail d = { "", "" };
	struct report_def *def = NULL;
	struct report_params p;
	struct report_result res = { NULL, NULL, 0, "" };
	struct report_extra extra;
	struct report_args a = { NULL, NULL, NULL, NULL, NULL, NULL, NULL,
				 NULL };
	char id[24], month[8];
	int r, status;

	status = load_report(app, name, NULL, &extra, &p, &def);
	if (status != EXIT_OK)
		goto out;
	/* A run report (or one of a month or a run) gets the run; a month
	 * report the run's month. */
	snprintf(id, sizeof(id), "%lld", run);
	if (def->period == REPORT_PERIOD_RUN ||
	    def->period == REPORT_PERIOD_MONTH_OR_RUN)
		a.run = id;
	else if ((status = run_month(app, run, month)) == EXIT_OK)
		a.month = month;
	if (status == EXIT_OK)
		status = pick_period(app, def, &a, &p);
	if (status != EXIT_OK)
		goto out;
	r = report_run(app->store, app->datadir, def, &p, AMLFS_VERSION, &res,
		       &d);
	if (r == 0)
		r = report_check(def, &res, &d);
	if (r == 0)
		r = report_markdown(app->datadir, def, &res, out, &d);
	if (r < 0) {
		app_fail(app, "cannot write the pack's report", r, &d);
		status = report_exit(r);
	}
	report_result_release(&res);
out:
	report_free(def);
	report_extra_release(&extra);
	return status;
}
