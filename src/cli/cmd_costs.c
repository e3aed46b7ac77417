#include "cli/commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "azure/http.h"
#include "cli/output.h"
#include "config.h"
#include "costs/costs.h"
#include "costs/prices.h"
#include "store/query.h"
#include "util/fs.h"
#include "util/timeutil.h"
#include "util/url.h"

static void report_bad(void *ctx, const char *path, long line, const char *why)
{
	struct app *app = ctx;

	app_progress_done(app);
	/* A malformed row is left out; a note (a row kept) is only said. */
	app_error(app, "%s:%ld: %s%s", path, line, why,
		  strncmp(why, "malformed", 9) ? "" : ", skipping");
}

/* A progress line on a terminal, once per percent. */
static void show_progress(void *ctx, const char *path, long long done,
			  long long total)
{
	static int last = -1;
	int pct = total > 0 ? (int)(100 * done / total) : 0;

	if (pct == last)
		return;
	last = pct;
	app_progress(ctx, "import-costs: %s %d%% (%lld MB)", path, pct,
		     done / 1000000);
}

/* EA and MCA files hold one cost type: --type, else the file's name. */
static const char *type_for(const char *opt, const char *path)
{
	const char *base = strrchr(path, '/');

	if (opt)
		return opt;
	return strcasestr(base ? base : path, "amortized") ? "AmortizedCost" :
							     "ActualCost";
}

/* Worse exit codes win: failure, then usage, then partial. */
static int worse(int a, int b)
{
	static const int rank[] = { [EXIT_OK] = 0, [EXIT_PARTIAL] = 1,
				    [EXIT_USAGE] = 2, [EXIT_RUNTIME] = 3 };

	return rank[b] > rank[a] ? b : a;
}

int cmd_import_costs(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("import-costs");
	const char *type = NULL;
	long long mark;
	int c;

	while ((c = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
		if (c == 't' && !strcmp(optarg, "actual"))
			type = "ActualCost";
		else if (c == 't' && !strcmp(optarg, "amortized"))
			type = "AmortizedCost";
		else
			return cmd_usage_error(app, self);
	}
	if (optind == argc)
		return cmd_usage_error(app, self);
	mark = head_log_mark(app);
	return head_log_since(app, mark, import_cost_files(app, argv + optind,
							  argc - optind, type));
}

int import_cost_files(struct app *app, char *const *files, int n,
		      const char *type)
{
	int i, status = EXIT_OK;

	for (i = 0; i < n; i++) {
		struct cost_import_options o = {
			.cost_type = type_for(type, files[i]),
			.related = &app->cfg.related, .on_bad = report_bad,
			.on_progress = show_progress, .ctx = app,
		};
		struct cost_import_result res;
		struct err_detail d = { "", "" };
		int r = cost_import_file(app->store, files[i], &o, &res, &d);

		app_progress_done(app);
		if (r < 0) {
			app_fail(app, "cannot import costs", r, &d);
			status = worse(status, r == -ERR_CONFIG ? EXIT_USAGE :
				       EXIT_RUNTIME);
			continue;
		}
		if (res.duplicate) {
			fprintf(app->out, "%s: already imported as source %lld, "
				"skipping\n", files[i], (long long)res.source);
			continue;
		}
		fprintf(app->out, "%s: %s%s%s, %ld rows read, %ld kept, %ld "
			"malformed, %ld older rows superseded (source %lld, "
			"sha256 %s)\n", files[i],
			cost_format_name(res.read.format),
			res.read.format == COST_FORMAT_FOCUS ? "" : " ",
			res.read.format == COST_FORMAT_FOCUS ? "" : o.cost_type,
			res.read.rows_read, res.read.rows_kept,
			res.read.rows_malformed, res.superseded,
			(long long)res.source, res.read.sha256);
		if (res.read.rows_malformed)
			status = worse(status, EXIT_PARTIAL);
	}
	return status;
}

static int latest_month(struct app *app, char from[11], char to[11])
{
	struct err_detail d = { "", "" };
	sqlite3_stmt *st = NULL;
	int r, status = EXIT_OK;

	r = query_open(app->store, app->datadir, "costs/latest_month.sql", NULL,
		       0, &st, &d);
	if (r < 0) {
		app_fail(app, "query failed", r, &d);
		return EXIT_RUNTIME;
	}
	if (sqlite3_step(st) != SQLITE_ROW || !sqlite3_column_text(st, 0)) {
		app_error(app, "no cost data yet (run 'amlfs-audit import-costs' "
			  "or 'amlfs-audit collect')");
		status = EXIT_RUNTIME;
	} else {
		time_month_range((const char *)sqlite3_column_text(st, 0), from,
				 to);
	}
	sqlite3_finalize(st);
	return status;
}

/* The newest month with cost, as its first and last day. */
int costs_latest_month(struct app *app, char from[11], char to[11])
{
	return latest_month(app, from, to);
}

int cmd_costs(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "month", required_argument, NULL, 'm' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("costs");
	char from[11] = "", to[11] = "", as_of[21] = "";
	struct query_param p[3] = {
		{ ":from", QP_TEXT, 0, from }, { ":to", QP_TEXT, 0, to },
		{ ":as_of", QP_NULL, 0, as_of },
	};
	int c, fmt = OUT_TABLE, status;
	time_t t;

	while ((c = getopt_long(argc, argv, "m:f:t:a:F:", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (strlen(optarg) != 7 ||
			    time_month_range(optarg, from, to) < 0) {
				app_error(app, "--month takes YYYY-MM, not '%s'",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'f':
		case 't':
			if (time_parse_day(optarg, c == 'f' ? from : to) < 0 ||
			    strlen(optarg) != 10) {
				app_error(app, "--%s takes YYYY-MM-DD, not '%s'",
					  c == 'f' ? "from" : "to", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'a':
			if (time_parse_iso(optarg, &t) < 0) {
				app_error(app, "--as-of takes a date or an ISO "
					  "time, not '%s'", optarg);
				return EXIT_USAGE;
			}
			/* A bare date means the end of that day. */
			time_iso(strlen(optarg) == 10 ? t + 86399 : t, as_of);
			p[2].type = QP_TEXT;
			break;
		case 'F':
			fmt = parse_format(app, optarg);
			if (fmt < 0)
				return EXIT_USAGE;
			break;
		default:
			return cmd_usage_error(app, self);
		}
	}
	if (optind != argc || (!from[0]) != (!to[0]))
		return cmd_usage_error(app, self);
	if (!from[0]) {
		status = latest_month(app, from, to);
		if (status != EXIT_OK)
			return status;
	}
	if (strcmp(from, to) > 0) {
		app_error(app, "--from %s is after --to %s", from, to);
		return EXIT_USAGE;
	}
	return print_query(app, "costs/by_filesystem.sql", p, 3, fmt, app->out);
}

static int prices_from_file(struct app *app, struct prices_run *pr,
			    const char *path, struct price_result *res)
{
	struct err_detail d = { "", "" };
	struct sbuf body = SBUF_INIT;
	char *next = NULL;
	int r;

	sbuf_init(&body, (size_t)app->cfg.max_response_mib << 20);
	r = fs_read_file(path, &body);
	if (r < 0) {
		err_set(&d, "cannot read: %s", err_str(r));
	} else {
		r = prices_run_page(app->store, pr, path, body.buf, body.len,
				    res, &next, &d);
		free(next);
	}
	sbuf_release(&body);
	if (r < 0) {
		err_where(&d, "%s", path);
		app_fail(app, "cannot import prices", r, &d);
		return r == -ERR_JSON || r == -ERR_TOO_LARGE ? EXIT_USAGE :
		       EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int prices_fetch(struct app *app, struct prices_run *pr,
			struct price_result *res)
{
	struct http_options ho;
	struct transport *t = NULL;
	struct err_detail d = { "", "" };
	struct sbuf url = SBUF_INIT;
	char *filter = curl_easy_escape(NULL, RETAIL_PRICES_FILTER, 0);
	int r, pages = 0, status = EXIT_OK;

	http_options_init(&ho);
	ho.max_in_flight = 1;
	ho.max_body = (size_t)app->cfg.max_response_mib << 20;
	ho.user_agent = "amlfs-audit/" AMLFS_VERSION;
	sbuf_addf(&url, "%s?$filter=%s", app->cfg.prices_url ?
		  app->cfg.prices_url : RETAIL_PRICES_URL, filter);
	curl_free(filter);
	r = http_transport_new(&ho, &t, &d);
	while (r == 0 && url.len) {
		struct http_request req = { "GET", url.buf, NULL, 0, NULL,
					       HTTP_LANE_ARM };
		struct http_response resp = { 0 };	/* status 0: not sent */
		char *next = NULL;

		if (++pages > app->cfg.max_pages) {
			err_set(&d, "more than %ld pages", app->cfg.max_pages);
			r = -ERR_PAGING;
			break;
		}
		r = transport_send(t, &req, &resp, &d);
		if (r == 0 && resp.status != 200) {
			err_set(&d, "HTTP %ld from the Retail Prices API",
				resp.status);
			err_where(&d, "%s", url.buf);
			r = -ERR_HTTP;
		}
		if (r == 0)
			r = prices_run_page(app->store, pr, url.buf,
					    resp.body.buf, resp.body.len, res,
					    &next, &d);
		/* A next page only where this one came from (util/url.h). */
		if (r == 0 && next && !url_same_origin(next, url.buf)) {
			char *safe = url_redact(next);

			err_set(&d, "NextPageLink leaves the origin of the "
				"request: '%.300s' was not followed", safe);
			free(safe);
			r = -ERR_PAGING;
		}
		if (r < 0) {
			char *safe = url_redact(url.buf);

			err_where(&d, "%s", safe);
			free(safe);
		}
		sbuf_reset(&url);
		if (r == 0 && next)
			sbuf_adds(&url, next);
		free(next);
		if (r == 0 || resp.status)
			http_response_release(&resp);
	}
	transport_free(t);
	sbuf_release(&url);
	if (r < 0) {
		app_fail(app, "cannot fetch prices", r, &d);
		status = EXIT_RUNTIME;
	}
	return status;
}

int cmd_import_prices(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "fetch", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("import-prices");
	long long mark;
	int c, fetch = 0;

	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		if (c == 'f')
			fetch = 1;
		else
			return cmd_usage_error(app, self);
	}
	if (!fetch && optind == argc)
		return cmd_usage_error(app, self);
	mark = head_log_mark(app);
	return head_log_since(app, mark, import_price_files(app, argv + optind,
							   argc - optind,
							   fetch));
}

int import_price_files(struct app *app, char *const *files, int n, int fetch)
{
	struct price_result res = { 0, 0, 0 };
	struct err_detail d = { "", "" };
	struct prices_run pr;
	int i, status = EXIT_OK;

	if (store_begin(app->store, &d) < 0 ||
	    prices_run_begin(app->store, &pr, &d) < 0) {
		app_fail(app, "cannot import prices", -ERR_SQL, &d);
		store_rollback(app->store);
		return EXIT_RUNTIME;
	}
	for (i = 0; i < n && status == EXIT_OK; i++)
		status = prices_from_file(app, &pr, files[i], &res);
	if (status == EXIT_OK && fetch)
		status = prices_fetch(app, &pr, &res);
	if (status == EXIT_OK && (prices_run_end(app->store, &pr, &res, &d) < 0 ||
				  store_commit(app->store, &d) < 0)) {
		app_fail(app, "cannot import prices", -ERR_SQL, &d);
		status = EXIT_RUNTIME;
	}
	if (status != EXIT_OK) {
		store_rollback(app->store);
		return status;
	}
	fprintf(app->out, "%ld price items read, %ld AMLFS prices kept, %ld "
		"skipped for an unknown unit\n", res.items, res.kept,
		res.unknown_unit);
	return res.unknown_unit ? EXIT_PARTIAL : EXIT_OK;
}
