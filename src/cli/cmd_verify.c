#include "cli/commands.h"

#include <getopt.h>
#include <jansson.h>
#include <string.h>

#include "evidence/verify.h"

int cmd_verify(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("verify");
	struct err_detail d = { "", "" };
	struct verify_result res;
	int c, json = 0, r;

	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		if (c == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "text")))
			json = !strcmp(optarg, "json");
		else
			return cmd_usage_error(app, self);
	}
	if (optind != argc)
		return cmd_usage_error(app, self);
	r = verify_history(app->store, &res, &d);
	if (r < 0) {
		app_fail(app, "cannot verify", r, &d);
		return EXIT_RUNTIME;
	}
	if (json) {
		json_t *o = json_pack("{s:b,s:i,s:s?,s:I}", "ok", !res.bad_run,
				      "runs", res.runs, "head_hash",
				      res.head[0] ? res.head : NULL, "head_run",
				      (json_int_t)res.head_run);

		json_object_set_new(o, "uncovered_cost_sources",
				    json_integer(res.uncovered_sources));
		if (res.bad_run) {
			json_object_set_new(o, "first_bad_run",
					    json_integer(res.bad_run));
			json_object_set_new(o, "reason", json_string(res.reason));
		}
		json_dumpf(o, app->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', app->out);
		json_decref(o);
	} else if (res.bad_run) {
		fprintf(app->out, "run %lld: BROKEN: %s\n",
			(long long)res.bad_run, res.reason);
	} else {
		fprintf(app->out, "verified %d run(s): evidence, chain, "
			"typed rows and cost rows intact\n", res.runs);
		if (res.uncovered_sources)
			fprintf(app->out, "note: %d cost source(s) were imported "
				"before imports joined the chain and are taken "
				"as they are; import their files again to cover "
				"them\n", res.uncovered_sources);
		if (res.head_run)
			fprintf(app->out, "head: run %lld %s\n",
				(long long)res.head_run, res.head);
	}
	return res.bad_run ? EXIT_FINDINGS : EXIT_OK;
}
