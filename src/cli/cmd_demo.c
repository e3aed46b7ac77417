#include "cli/commands.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/output.h"
#include "collect/collect.h"
#include "evidence/verify.h"
#include "store/query.h"
#include "util/fs.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

/* Write a query's rows to dir/name through a temporary file and rename. */
static int write_output(struct app *app, const char *dir, const char *name,
			const char *rel, struct query_param *p, size_t np,
			int fmt)
{
	char *path = fs_join(dir, name);
	struct sbuf tmp = SBUF_INIT;
	FILE *f;
	int status;

	sbuf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp.buf, "w");
	if (!f) {
		app_error(app, "cannot write '%s': %s", tmp.buf, strerror(errno));
		status = EXIT_RUNTIME;
		goto out;
	}
	status = print_query(app, rel, p, np, fmt, f);
	if (fclose(f) != 0 && status == EXIT_OK) {
		app_error(app, "cannot write '%s': %s", tmp.buf, strerror(errno));
		status = EXIT_RUNTIME;
	}
	if (status == EXIT_OK && rename(tmp.buf, path) < 0) {
		app_error(app, "cannot rename '%s': %s", tmp.buf, strerror(errno));
		status = EXIT_RUNTIME;
	}
	if (status != EXIT_OK)
		unlink(tmp.buf);
	else
		fprintf(app->out, "  %s\n", path);
out:
	sbuf_release(&tmp);
	free(path);
	return status;
}

/* A fresh history at dir/history.db (an old one and its WAL removed). */
static int fresh_history(struct app *app, const char *dir)
{
	static const char *const sfx[] = { "", "-wal", "-shm", NULL };
	struct err_detail d = { "", "" };
	const char *const *s;
	char *db = fs_join(dir, "history.db");
	struct sbuf p = SBUF_INIT;
	int r = fs_mkdirs(dir, 0755);

	if (r < 0) {
		app_error(app, "cannot create '%s': %s", dir, err_str(r));
		free(db);
		return EXIT_RUNTIME;
	}
	for (s = sfx; *s; s++) {
		sbuf_reset(&p);
		sbuf_addf(&p, "%s%s", db, *s);
		unlink(p.buf);
	}
	sbuf_release(&p);
	app->db_path = db;
	r = app_open_db(app, 0, &d);
	if (r < 0) {
		app_fail(app, "cannot create history", r, &d);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int load_sample_config(struct app *app)
{
	struct err_detail d = { "", "" };
	char *conf = fs_join(app->datadir, "samples/amlfs-audit.conf");
	int r;

	config_release(&app->cfg);
	config_init(&app->cfg);
	r = config_load(&app->cfg, conf, &d);
	free(conf);
	if (r < 0) {
		app_fail(app, "bad sample configuration", r, &d);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/*
 * The sample cost exports (EA for one subscription, MCA for the other; the
 * EA actual file has one malformed row, reported and left out) and retail
 * prices, then the month's costs.
 */
static int demo_costs(struct app *app, const char *out)
{
	static const char *const names[] = {
		"samples/costs/ea-actual-2026-10.csv",
		"samples/costs/ea-amortized-2026-10.csv",
		"samples/costs/mca-actual-2026-10.csv",
	};
	char *files[3], *prices = fs_join(app->datadir,
					  "samples/costs/retail-prices.json");
	char from[11] = "2026-10-01", to[11] = "2026-10-31";
	struct query_param p[3] = {
		{ ":from", QP_TEXT, 0, from }, { ":to", QP_TEXT, 0, to },
		{ ":as_of", QP_NULL, 0, NULL },
	};
	int i, status;

	for (i = 0; i < 3; i++)
		files[i] = fs_join(app->datadir, names[i]);
	fprintf(app->out, "\nImporting the sample cost exports:\n");
	status = import_cost_files(app, files, 3, NULL);
	if (status == EXIT_PARTIAL)	/* the malformed sample row */
		status = EXIT_OK;
	if (status == EXIT_OK)
		status = import_price_files(app, &prices, 1, 0);
	if (status == EXIT_OK) {
		fprintf(app->out, "\nCosts of October 2026:\n");
		status = print_query(app, "costs/by_filesystem.sql", p, 3,
				     OUT_TABLE, app->out);
	}
	if (status == EXIT_OK)
		status = write_output(app, out, "costs-2026-10.json",
				      "costs/by_filesystem.sql", p, 3, OUT_JSON);
	if (status == EXIT_OK)
		status = write_output(app, out, "costs-2026-10.csv",
				      "costs/by_filesystem.sql", p, 3, OUT_CSV);
	for (i = 0; i < 3; i++)
		free(files[i]);
	free(prices);
	return status;
}

static int run_demo(struct app *app, const char *out)
{
	struct err_detail d = { "", "" };
	struct collect_result res;
	struct verify_result vr;
	struct query_param p = { ":run_id", QP_INT, 0, NULL };
	char *replay = fs_join(app->datadir, "samples/replay");
	int status;

	status = load_sample_config(app);
	if (status == EXIT_OK)
		status = fresh_history(app, out);
	if (status == EXIT_OK)
		status = collect_from(app, replay, NULL, NULL, &res);
	free(replay);
	if (status != EXIT_OK)
		return status;
	fprintf(app->out, "Collected run %lld from the bundled recordings: "
		"%ld file systems, %ld responses kept as evidence.\n\n",
		(long long)res.run_id, res.filesystems, res.evidence);
	p.i = res.run_id;
	status = print_query(app, "inventory/summary.sql", &p, 1, OUT_TABLE,
			     app->out);
	if (status != EXIT_OK)
		return status;
	if (verify_history(app->store, &vr, &d) < 0 || vr.bad_run) {
		app_fail(app, "the fresh history does not verify", -ERR_VERIFY,
			 &d);
		return EXIT_RUNTIME;
	}
	fprintf(app->out, "\nVerified: evidence, hash chain and typed rows "
		"intact (head %s).\n\nOutputs:\n  %s\n", vr.head, app->db_path);
	status = write_output(app, out, "inventory.json",
			      "inventory/filesystems.sql", &p, 1, OUT_JSON);
	if (status == EXIT_OK)
		status = write_output(app, out, "inventory.csv",
				      "inventory/filesystems.sql", &p, 1, OUT_CSV);
	if (status == EXIT_OK)
		status = demo_costs(app, out);
	if (status == EXIT_OK)
		fprintf(app->out, "\nTry: amlfs-audit --db %s inventory\n"
			"     amlfs-audit --db %s costs --month 2026-10\n"
			"     amlfs-audit --db %s verify\n", app->db_path,
			app->db_path, app->db_path);
	return status;
}

int cmd_demo(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("demo");
	const char *out = "amlfs-audit-demo";
	struct err_detail d = { "", "" };
	int c;

	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else
			return cmd_usage_error(app, self);
	}
	if (optind != argc)
		return cmd_usage_error(app, self);
	if (app_resolve_datadir(app, &d) < 0) {
		app_fail(app, "bad configuration", -ERR_CONFIG, &d);
		return EXIT_USAGE;
	}
	return run_demo(app, out);
}
