#include "cli/commands.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/output.h"
#include "policy/check.h"
#include "report/mustache.h"
#include "util/fs.h"
#include "util/sbuf.h"
#include "util/timeutil.h"

enum check_format { FMT_TEXT, FMT_JSON, FMT_MD, FMT_CSV, FMT_PROM };

static const char *const format_names[] = {
	"text", "json", "md", "csv", "prometheus", NULL
};

/* Open findings (alarm or exempt) are what --new-only and mail are about. */
static int is_open(const struct finding *f)
{
	return !strcmp(f->status, "alarm") || !strcmp(f->status, "exempt");
}

static int shown(const struct finding *f, int new_only)
{
	return !new_only || (f->is_new && is_open(f));
}

static json_t *finding_json(const struct check_result *res,
			    const struct finding *f)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:s?,s:b,s:I,s:I}",
			      "rule", f->rule, "resource_id", f->resource_id,
			      "status", f->status, "severity",
			      rule_severity_name(f->severity), "reason",
			      f->reason, "first_seen",
			      is_open(f) ? f->first_seen : NULL, "exemption",
			      f->exemption, "new", f->is_new, "run",
			      (json_int_t)res->judged_run, "check",
			      (json_int_t)res->check_run);

	json_object_set_new(o, "evidence", f->evidence ?
			    json_loads(f->evidence, 0, NULL) : json_null());
	json_object_set_new(o, "detail", f->detail ?
			    json_loads(f->detail, JSON_DECODE_ANY, NULL) :
			    json_null());
	return o;
}

/* JSON Lines: one finding per line, keys in a stable order. */
static int print_json(FILE *f, const struct check_result *res, int new_only)
{
	size_t i;

	for (i = 0; i < res->n; i++) {
		json_t *o;

		if (!shown(&res->v[i], new_only))
			continue;
		o = finding_json(res, &res->v[i]);
		json_dumpf(o, f, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fputc('\n', f);
		json_decref(o);
	}
	return 0;
}

static int print_csv(FILE *f, const struct check_result *res, int new_only)
{
	/* The JSON's keys, in its order (evidence and detail as JSON text). */
	json_t *cols = json_pack("[s,s,s,s,s,s,s,s,s,s,s,s]", "rule",
				 "resource_id", "status", "severity", "reason",
				 "first_seen", "exemption", "new", "run", "check",
				 "evidence", "detail");
	json_t *rows = json_array();
	size_t i;
	int r;

	for (i = 0; i < res->n; i++)
		if (shown(&res->v[i], new_only))
			json_array_append_new(rows, finding_json(res, &res->v[i]));
	r = out_print(f, OUT_CSV, cols, rows);
	json_decref(cols);
	json_decref(rows);
	return r;
}

static void summary_line(FILE *f, const struct check_result *res)
{
	long fresh = 0;
	size_t i;

	for (i = 0; i < res->n; i++)
		fresh += res->v[i].is_new && is_open(&res->v[i]);
	fprintf(f, "check %lld of run %lld: %zu rule(s), %zu result(s): %ld "
		"ok, %ld alarm, %ld exempt, %ld skip, %ld error; %ld of the "
		"open ones new since the previous check\n",
		(long long)res->check_run, (long long)res->judged_run,
		res->rules, res->n, res->by_status[0], res->by_status[1],
		res->by_status[2], res->by_status[3], res->by_status[4], fresh);
}

/* For people: the summary, then what is open or broken, worst first. */
static int print_text(FILE *f, const struct check_result *res, int new_only)
{
	int sev;
	size_t i;

	summary_line(f, res);
	for (sev = SEVERITY_CRITICAL; sev >= SEVERITY_INFO; sev--) {
		for (i = 0; i < res->n; i++) {
			const struct finding *x = &res->v[i];

			if ((int)x->severity != sev || !shown(x, new_only) ||
			    !strcmp(x->status, "ok") ||
			    !strcmp(x->status, "skip"))
				continue;
			fprintf(f, "%-8s %-6s %s %s\n  %s\n",
				rule_severity_name(x->severity), x->status,
				x->rule, x->resource_id, x->reason);
			if (x->exemption)
				fprintf(f, "  exemption: %s\n", x->exemption);
			if (is_open(x))
				fprintf(f, "  open since %s%s\n", x->first_seen,
					x->is_new ? " (new)" : "");
		}
	}
	return 0;
}

/* GFM: every cell escaped, so a tag value cannot break the table. */
static int print_md(FILE *f, const struct check_result *res, int new_only)
{
	struct sbuf sb = SBUF_INIT;
	size_t i;
	int r = 0;

	sbuf_addf(&sb, "# Check %lld of run %lld\n\n", (long long)res->check_run,
		  (long long)res->judged_run);
	sbuf_addf(&sb, "| ok | alarm | exempt | skip | error |\n"
		  "|---:|---:|---:|---:|---:|\n| %ld | %ld | %ld | %ld | %ld |\n\n"
		  "| severity | status | rule | resource | reason | open since |\n"
		  "|---|---|---|---|---|---|\n", res->by_status[0],
		  res->by_status[1], res->by_status[2], res->by_status[3],
		  res->by_status[4]);
	for (i = 0; i < res->n && r == 0; i++) {
		const struct finding *x = &res->v[i];

		if (!shown(x, new_only) || !strcmp(x->status, "ok") ||
		    !strcmp(x->status, "skip"))
			continue;
		sbuf_addf(&sb, "| %s | %s | ", rule_severity_name(x->severity),
			  x->status);
		r = mustache_escape_markdown(&sb, x->rule);
		sbuf_adds(&sb, " | ");
		if (r == 0)
			r = mustache_escape_markdown(&sb, x->resource_id);
		sbuf_adds(&sb, " | ");
		if (r == 0)
			r = mustache_escape_markdown(&sb, x->reason);
		sbuf_addf(&sb, " | %s |\n", is_open(x) ? x->first_seen : "");
	}
	if (r == 0)
		fwrite(sb.buf, 1, sb.len, f);
	sbuf_release(&sb);
	return r;
}

/* A label value in the Prometheus text format: \, " and newline escaped. */
static void prom_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* node_exporter's textfile collector: counts by rule, severity, status. */
static int print_prom(FILE *f, const struct check_result *res)
{
	size_t i, j;
	time_t t = 0;

	fputs("# HELP amlfs_audit_findings Results of the last check by rule, "
	      "severity and status.\n# TYPE amlfs_audit_findings gauge\n", f);
	/* Findings come sorted by rule: count each rule's block at once. */
	for (i = 0; i < res->n; i = j) {
		long count[SEVERITY_CRITICAL + 1][5] = { { 0 } };
		int sev, st;

		for (j = i; j < res->n && !strcmp(res->v[j].rule, res->v[i].rule);
		     j++)
			count[res->v[j].severity]
			     [check_status_index(res->v[j].status)]++;
		for (sev = SEVERITY_INFO; sev <= SEVERITY_CRITICAL; sev++) {
			for (st = 0; st < 5; st++) {
				if (!count[sev][st])
					continue;
				fputs("amlfs_audit_findings{rule=\"", f);
				prom_label(f, res->v[i].rule);
				fprintf(f, "\",severity=\"%s\",status=\"%s\"} "
					"%ld\n", rule_severity_name(sev),
					check_status_name(st), count[sev][st]);
			}
		}
	}
	time_parse_iso(res->checked_at, &t);
	fprintf(f, "# HELP amlfs_audit_last_check_timestamp_seconds When the "
		"last check ran.\n# TYPE amlfs_audit_last_check_timestamp_seconds"
		" gauge\namlfs_audit_last_check_timestamp_seconds %lld\n"
		"# HELP amlfs_audit_checked_run The collection run the last check "
		"judged.\n# TYPE amlfs_audit_checked_run gauge\n"
		"amlfs_audit_checked_run %lld\n", (long long)t,
		(long long)res->judged_run);
	return 0;
}

/* 1 when an open alarm is at or above fail_on. */
static int failing(const struct check_result *res, enum rule_severity fail_on)
{
	size_t i;

	for (i = 0; i < res->n; i++)
		if (!strcmp(res->v[i].status, "alarm") &&
		    res->v[i].severity >= fail_on)
			return 1;
	return 0;
}

static int format_index(const char *name)
{
	int i;

	for (i = 0; format_names[i]; i++)
		if (!strcmp(name, format_names[i]))
			return i;
	return -1;
}

static int parse_check_format(struct app *app, const char *arg)
{
	int i = format_index(arg);

	if (i >= 0)
		return i;
	app_error(app, "--format takes text, json, md, csv or prometheus, not "
		  "'%s'", arg);
	return -1;
}

int check_print(FILE *f, const struct check_result *res, const char *format,
		int new_only)
{
	if (!strcmp(format, "summary")) {
		summary_line(f, res);
		return 0;
	}
	switch (format_index(format)) {
	case FMT_JSON:
		return print_json(f, res, new_only);
	case FMT_CSV:
		return print_csv(f, res, new_only);
	case FMT_MD:
		return print_md(f, res, new_only);
	case FMT_PROM:
		return print_prom(f, res);
	case FMT_TEXT:
		return print_text(f, res, new_only);
	default:
		return -ERR_USAGE;
	}
}

int cmd_check(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "run", required_argument, NULL, 'r' },
		{ "policy", required_argument, NULL, 'p' },
		{ "desired", required_argument, NULL, 'D' },
		{ "format", required_argument, NULL, 'f' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "new-only", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("check");
	struct check_options o = { 0 };
	struct check_result res;
	struct err_detail d = { "", "" };
	enum rule_severity fail_on = SEVERITY_HIGH;
	long long mark;
	int c, new_only = 0, fail_on_set = 0, r;
	const char *format = "text";
	char *rules_dir;
	long long run;

	while ((c = getopt_long(argc, argv, "r:p:D:f:F:n", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (app_run_id(app, "--run", optarg, &run) < 0)
				return EXIT_USAGE;
			o.run = run;
			break;
		case 'p':
			o.policy_path = optarg;
			break;
		case 'D':
			o.desired_path = optarg;
			break;
		case 'f':
			if (parse_check_format(app, optarg) < 0)
				return EXIT_USAGE;
			format = optarg;
			break;
		case 'F':
			if (rule_severity_parse(optarg, &fail_on) < 0) {
				app_error(app, "--fail-on takes info, low, medium, "
					  "high or critical, not '%s'", optarg);
				return EXIT_USAGE;
			}
			fail_on_set = 1;
			break;
		case 'n':
			new_only = 1;
			break;
		default:
			return cmd_usage_error(app, self);
		}
	}
	if (optind != argc)
		return cmd_usage_error(app, self);
	rules_dir = fs_join(app->datadir, "queries/rules");
	o.rules_dir = rules_dir;
	mark = head_log_mark(app);
	r = check_run(app->store, &o, &res, &d);
	free(rules_dir);
	if (r < 0) {
		app_fail(app, "check failed", r, &d);
		return r == -ERR_NOT_FOUND ? EXIT_USAGE : app_exit_code(r);
	}
	if (!fail_on_set)
		fail_on = res.fail_on;
	r = check_print(app->out, &res, format, new_only);
	/* A rule that could not run wins over alarms: the answer is partial. */
	c = res.by_status[4] ? EXIT_RUNTIME :
	    failing(&res, fail_on) ? EXIT_FINDINGS : EXIT_OK;
	check_result_release(&res);
	return head_log_since(app, mark, r < 0 ? EXIT_RUNTIME : c);
}
