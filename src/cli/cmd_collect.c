#include "cli/commands.h"

#include <getopt.h>
#include <string.h>

#include "azure/replay.h"
#include "collect/collect.h"

static void show_progress(void *ctx, long requests, long filesystems)
{
	app_progress(ctx, "collect: %ld requests, %ld file systems", requests,
		     filesystems);
}

static void show_request(void *ctx, const char *method, const char *url,
			 long status)
{
	struct app *app = ctx;

	app_progress_done(app);
	if (status)
		fprintf(app->err, "amlfs-audit: %s %s -> %ld\n", method, url,
			status);
	else
		fprintf(app->err, "amlfs-audit: %s %s -> no response\n", method,
			url);
}

/* Collect once from replay_dir into app->store; shared with demo. */
int collect_replay(struct app *app, const char *replay_dir,
		   struct collect_result *res)
{
	struct collect_options o = {
		.source = "replay", .progress = show_progress,
		.log = app->verbose > 0 ? show_request : NULL, .ctx = app,
	};
	struct err_detail d = { "", "" };
	struct transport *t = NULL;
	int r;

	memset(res, 0, sizeof(*res));
	r = replay_open(replay_dir, &t, &d);
	if (r < 0) {
		app_fail(app, "cannot replay", r, &d);
		return EXIT_USAGE;
	}
	r = collect_run(app->store, t, &app->cfg, &o, res, &d);
	app_progress_done(app);
	transport_free(t);
	if (r < 0) {
		if (res->run_id)
			app_fail(app, "collection failed (recorded as a "
				 "failed run)", r, &d);
		else
			app_fail(app, "collection failed", r, &d);
		return EXIT_RUNTIME;
	}
	return strcmp(res->status, "partial") ? EXIT_OK : EXIT_PARTIAL;
}

int cmd_collect(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "replay", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("collect");
	const char *replay = NULL;
	struct collect_result res;
	int c, status;

	while ((c = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
		if (c == 'r')
			replay = optarg;
		else
			return cmd_usage_error(app, self);
	}
	if (optind != argc)
		return cmd_usage_error(app, self);
	if (!replay) {
		app_error(app, "live collection is not available in this "
			  "build yet; use --replay DIR");
		return EXIT_USAGE;
	}
	status = collect_replay(app, replay, &res);
	if (res.run_id && app->verbose >= 0)
		fprintf(app->out, "run %lld: %s, %ld file systems, %ld "
			"responses (%ld new bodies), %ld errors\n",
			(long long)res.run_id, res.status, res.filesystems,
			res.evidence, res.new_bodies, res.errors);
	return status;
}
