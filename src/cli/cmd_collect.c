#include "cli/commands.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "azure/auth.h"
#include "azure/http.h"
#include "azure/replay.h"
#include "collect/collect.h"
#include "config.h"
#include "costs/reader.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static void show_progress(void *ctx, long requests, long filesystems)
{
	app_progress(ctx, "collect: %ld requests, %ld file systems", requests,
		     filesystems);
}

/* -v: each try, with its URL redacted and never a header. */
static void show_try(void *ctx, const char *method, const char *url,
		     long status, int attempt, long wait_ms, const char *why)
{
	struct app *app = ctx;

	app_progress_done(app);
	if (status)
		fprintf(app->err, "amlfs-audit: %s %s -> %ld", method, url,
			status);
	else
		fprintf(app->err, "amlfs-audit: %s %s -> no answer", method, url);
	if (attempt > 1)
		fprintf(app->err, " (try %d)", attempt);
	if (why)
		fprintf(app->err, ": %s", why);
	if (wait_ms > 0)
		fprintf(app->err, ", retrying in %ld ms", wait_ms);
	fputc('\n', app->err);
}

/* -v: the run's TLS set-up (tests count the CA bundle reads). */
static void show_tls(struct app *app, struct netshare *net)
{
	struct netshare_stats st;

	netshare_stats(net, &st);
	fprintf(app->err, "amlfs-audit: TLS: CA bundle '%s' read %ld time(s); "
		"%ld handshake(s), %ld resumed a session\n", st.ca_file,
		st.ca_loads, st.handshakes, st.resumed);
}

static int token_cb(void *ctx, const char *audience, int force,
		    const char **ret, struct err_detail *d)
{
	return auth_token(ctx, audience, force, ret, d);
}

/*
 * Get the first token before anything is collected: it proves the
 * credentials and names the tenant, which must be the configured one.
 */
static int sign_in(struct app *app, struct netshare *net, struct auth **ret)
{
	struct auth_options ao;
	struct err_detail d = { "", "" };
	const char *arm, *login, *token, *tid;
	struct auth *a = NULL;
	int r;

	auth_options_from_config(&app->cfg, &ao);
	ao.timeout_ms = app->cfg.timeout_s * 1000;
	ao.net = net;
	r = auth_new(&ao, &a, &d);
	if (r < 0) {
		app_fail(app, "bad configuration", r, &d);
		return EXIT_USAGE;
	}
	config_cloud_hosts(app->cfg.cloud, &arm, &login);
	r = auth_token(a, arm, 0, &token, &d);
	if (r < 0) {
		app_fail(app, "cannot sign in", r, &d);
		auth_free(a);
		return r == -ERR_CONFIG ? EXIT_USAGE : EXIT_RUNTIME;
	}
	tid = auth_tenant(a);
	if (app->cfg.tenant_id && (!tid || strcasecmp(tid, app->cfg.tenant_id))) {
		app_error(app, "refusing to collect: the token is for tenant "
			  "'%s' but [azure] tenant_id is '%s'",
			  tid ? tid : "(unknown)", app->cfg.tenant_id);
		auth_free(a);
		return EXIT_USAGE;
	}
	*ret = a;
	return EXIT_OK;
}

static int open_live(struct app *app, struct auth *a, struct netshare *net,
		     struct transport **ret)
{
	struct http_options ho;
	struct err_detail d = { "", "" };
	int r;

	http_options_init(&ho);
	ho.connect_timeout_ms = app->cfg.connect_timeout_s * 1000;
	ho.timeout_ms = app->cfg.timeout_s * 1000;
	ho.max_in_flight = (int)app->cfg.max_in_flight;
	ho.cost_in_flight = (int)app->cfg.cost_parallel;
	ho.max_attempts = (int)app->cfg.max_attempts;
	ho.backoff_base_ms = app->cfg.backoff_base_ms;
	ho.max_wait_ms = app->cfg.max_wait_s * 1000;
	ho.retry_budget_ms = app->cfg.retry_budget_s * 1000;
	ho.max_body = (size_t)app->cfg.max_response_mib << 20;
	ho.user_agent = "amlfs-audit/" AMLFS_VERSION;
	ho.token = token_cb;
	ho.token_ctx = a;
	ho.net = net;
	if (app->verbose > 0) {
		ho.log = show_try;
		ho.log_ctx = app;
	}
	r = http_transport_new(&ho, ret, &d);
	if (r < 0)
		app_fail(app, "cannot start HTTP", r, &d);
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}

int collect_from(struct app *app, const char *replay_dir,
		 const char *record_dir, const struct collect_options *costs,
		 struct collect_result *res)
{
	static const struct collect_options none;
	/* With -v the log replaces the progress line. */
	struct collect_options o = {
		.source = replay_dir ? "replay" : "live", .strict = !!replay_dir,
		.progress = app->verbose > 0 ? NULL : show_progress, .ctx = app,
	};
	struct err_detail d = { "", "" };
	struct transport *t = NULL;
	struct auth *a = NULL;
	struct netshare *net = NULL;
	char *tenant = NULL, *principal = NULL;
	int r, status;

	if (!costs)
		costs = &none;
	o.costs_only = costs->costs_only;
	o.refresh_costs = costs->refresh_costs;
	o.cost_from = costs->cost_from;
	o.cost_to = costs->cost_to;

	memset(res, 0, sizeof(*res));
	if (replay_dir) {
		r = replay_open(replay_dir, (size_t)app->cfg.max_response_mib << 20,
				&t, &d);
		if (r < 0) {
			app_fail(app, "cannot replay", r, &d);
			return EXIT_USAGE;
		}
		o.now = replay_recorded_at(t);
		/* A recording holds cost answers only when costs were asked
		 * for on purpose: without [costs] query, none are replayed. */
		if (!config_is_set(&app->cfg, "costs", "query"))
			app->cfg.cost_query = 0;
		if (app->verbose > 0)
			o.log = show_try;
	} else {
		r = netshare_new(app->cfg.ca_file, &net, &d);
		if (r < 0) {
			app_fail(app, "cannot set up TLS", r, &d);
			status = r == -ERR_CONFIG ? EXIT_USAGE : EXIT_RUNTIME;
			goto out;
		}
		status = sign_in(app, net, &a);
		if (status == EXIT_OK)
			status = open_live(app, a, net, &t);
		if (status != EXIT_OK)
			goto out;
		/* Copies: the network thread may refresh tokens (and claims). */
		o.tenant_id = tenant = xstrdup_or_null(auth_tenant(a));
		o.principal_id = principal = xstrdup_or_null(auth_principal(a));
	}
	if (record_dir) {
		r = record_open(record_dir, &o.record, &d);
		if (r < 0) {
			app_fail(app, "cannot record", r, &d);
			status = EXIT_USAGE;
			goto out;
		}
	}
	r = collect_run(app->store, t, &app->cfg, &o, res, &d);
	app_progress_done(app);
	if (r < 0) {
		app_fail(app, res->failed_recorded ? "collection failed "
			 "(recorded as a failed run)" : "collection failed", r,
			 &d);
		status = EXIT_RUNTIME;
	} else {
		status = strcmp(res->status, "partial") ? EXIT_OK : EXIT_PARTIAL;
	}
	if (o.record && record_close(o.record, res->clock, &d) < 0) {
		app_fail(app, "cannot finish the recording", -EIO, &d);
		status = EXIT_RUNTIME;
	}
	o.record = NULL;
out:
	record_free(o.record);
	transport_free(t);
	auth_free(a);
	if (net && app->verbose > 0)
		show_tls(app, net);
	netshare_free(net);	/* after every handle that used it */
	free(tenant);
	free(principal);
	return status;
}

int cmd_collect(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "replay", required_argument, NULL, 'r' },
		{ "record", required_argument, NULL, 'R' },
		{ "costs-only", no_argument, NULL, 'c' },
		{ "refresh-costs", no_argument, NULL, 'F' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("collect");
	const char *replay = NULL, *record = NULL;
	struct collect_options cost_opts = { 0 };
	char from[11], to[11];
	struct collect_result res;
	long long mark;
	int c, status;

	while ((c = getopt_long(argc, argv, "r:R:", opts, NULL)) != -1) {
		if (c == 'r')
			replay = optarg;
		else if (c == 'R')
			record = optarg;
		else if (c == 'c')
			cost_opts.costs_only = 1;
		else if (c == 'F')
			cost_opts.refresh_costs = 1;
		else if ((c == 'f' || c == 't') && strlen(optarg) == 10 &&
			 time_parse_day(optarg, c == 'f' ? from : to) == 0)
			*(c == 'f' ? &cost_opts.cost_from : &cost_opts.cost_to) =
				c == 'f' ? from : to;
		else if (c == 'f' || c == 't') {
			app_error(app, "--%s takes YYYY-MM-DD, not '%s'",
				  c == 'f' ? "from" : "to", optarg);
			return EXIT_USAGE;
		} else
			return cmd_usage_error(app, self);
	}
	if (optind != argc || !cost_opts.cost_from != !cost_opts.cost_to)
		return cmd_usage_error(app, self);
	if (cost_opts.cost_from && strcmp(cost_opts.cost_from,
					  cost_opts.cost_to) > 0) {
		app_error(app, "--from is after --to");
		return EXIT_USAGE;
	}
	mark = head_log_mark(app);
	status = collect_from(app, replay, record, &cost_opts, &res);
	if (res.run_id && app->verbose >= 0)
		fprintf(app->out, "run %lld: %s, %ld file systems, %ld "
			"responses (%ld new bodies), %ld requests, %ld retries, "
			"%ld throttled, %ld errors\n", (long long)res.run_id,
			res.status, res.filesystems, res.evidence,
			res.new_bodies, res.requests, res.retries,
			res.throttled, res.errors);
	if (res.run_id && app->verbose > 0)
		fprintf(app->err, "amlfs-audit: ARM reads took %ld ms, cost "
			"queries %ld ms (the run ledger has each list's)\n",
			res.arm_ms, res.cost_ms);
	return head_log_since(app, mark, status);
}
