#include "cli/commands.h"

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/output.h"
#include "collect/collect.h"
#include "evidence/pack.h"
#include "evidence/verify.h"
#include "policy/check.h"
#include "store/query.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

/*
 * What the demo writes in its directory: these outputs (history.db with
 * its -wal and -shm while it is open) and the mark, which lists the outputs
 * with their SHA-256 (sha256sum's format) once a demo has finished, so the
 * next one knows them as its own. It is all --force replaces.
 */
#define DEMO_MARK ".amlfs-audit-demo"
static const char *const demo_outputs[] = {
	"history.db", "inventory.json", "inventory.csv", "costs-2026-10.json",
	"costs-2026-10.csv", "findings.json", "findings.md",
	"chargeback-2026-10.xlsx", "chargeback-2026-10.md",
	"chargeback-2026-10.csv", "chargeback-2026-10.json",
	"compliance-run1.xlsx", "compliance-run1.md", NULL
};

/* The evidence pack of the newest run: a directory, listed in the mark by
 * its SHA256SUMS. */
#define DEMO_PACK "evidence-pack"

static int is_one_of(const char *name, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(name, *names))
			return 1;
	return 0;
}

/*
 * SHA-256 of the regular file dir/name (not a symlink), read in pieces
 * (a history put there may be large); 0 or negative.
 */
static int hash_file(const char *dir, const char *name,
		     char out[SHA256_HEX_LEN + 1])
{
	char *path = fs_join(dir, name), buf[65536];
	struct hash_ctx *h = NULL;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	ssize_t n = 0;
	int r = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if (!(h = hash_init()))
		r = -ERR_CRYPTO;
	while (r == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno != EINTR)
			r = -errno;
		else if (n > 0)
			hash_update(h, buf, (size_t)n);
	}
	if (h && r == 0)
		r = hash_final(h, out);
	else
		hash_free(h);
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}

/* Is dir/name an output the mark lists, with the content it had then? */
static int own_output(const char *dir, const char *name,
		      const struct sbuf *mark)
{
	char sha[SHA256_HEX_LEN + 1];
	struct sbuf line = SBUF_INIT;
	int own;

	/* The mark names it (a line ending "  name"), then: same content? */
	sbuf_addf(&line, "  %s\n", name);
	own = is_one_of(name, demo_outputs) && strstr(mark->buf, line.buf) &&
	      hash_file(dir, name, sha) == 0;
	if (own) {
		/* A whole line: the first, or one after a newline. */
		sbuf_reset(&line);
		sbuf_addf(&line, "\n%s  %s\n", sha, name);
		own = !strncmp(mark->buf, line.buf + 1, line.len - 1) ||
		      strstr(mark->buf, line.buf) != NULL;
	}
	sbuf_release(&line);
	return own;
}

/*
 * The demo's evidence pack: the mark lists its SHA256SUMS as it was, and
 * it is still an intact pack (so it holds nothing else).
 */
static int own_pack(const char *dir, const char *name,
		    const struct sbuf *mark)
{
	char sha[SHA256_HEX_LEN + 1];
	char *pack = fs_join(dir, name);
	struct sbuf line = SBUF_INIT;
	struct strlist problems = { NULL, 0 };
	struct pack_summary sum;
	int own = !strcmp(name, DEMO_PACK) &&
		  hash_file(pack, "SHA256SUMS", sha) == 0;

	if (own) {
		sbuf_addf(&line, "%s  %s/SHA256SUMS\n", sha, DEMO_PACK);
		own = strstr(mark->buf, line.buf) &&
		      pack_verify(pack, NULL, &problems, &sum, NULL) == 0 &&
		      !problems.n;
	}
	strlist_release(&problems);
	sbuf_release(&line);
	free(pack);
	return own;
}

/*
 * history.db's -wal and -shm, which a reader of the demo's history leaves
 * behind: its own while history.db is and the WAL holds nothing.
 */
static int own_side_file(const char *dir, const char *name,
			 const struct sbuf *mark)
{
	char *wal = fs_join(dir, "history.db-wal");
	struct stat st;
	int own;

	own = (!strcmp(name, "history.db-wal") ||
	       !strcmp(name, "history.db-shm")) &&
	      own_output(dir, "history.db", mark);
	if (own && lstat(wal, &st) == 0)
		own = S_ISREG(st.st_mode) && st.st_size == 0;
	else if (own)
		own = errno == ENOENT;
	free(wal);
	return own;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The first entry of dir, in name order, that the demo did not write:
 * anything but its mark and the outputs the mark lists, unchanged. A new
 * string, or NULL when there is none; *ret_err gets -errno when dir cannot
 * be read.
 */
static char *first_foreign(const char *dir, int *ret_err)
{
	struct sbuf mark = SBUF_INIT;
	char **names = NULL, *found = NULL, *mpath = fs_join(dir, DEMO_MARK);
	size_t n = 0, i;
	struct dirent *e;
	DIR *dp = opendir(dir);
	struct stat st;
	int have_mark;

	sbuf_init(&mark, 4096);		/* a few lines; larger is not ours */
	*ret_err = 0;
	if (!dp) {
		*ret_err = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	while ((e = readdir(dp))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrdup(e->d_name);
		}
	}
	closedir(dp);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	have_mark = lstat(mpath, &st) == 0 && S_ISREG(st.st_mode) &&
		    fs_read_file(mpath, &mark) == 0;
	if (!have_mark)
		sbuf_reset(&mark);
	for (i = 0; i < n && !found; i++) {
		if ((have_mark && !strcmp(names[i], DEMO_MARK)) ||
		    own_output(dir, names[i], &mark) ||
		    own_side_file(dir, names[i], &mark) ||
		    own_pack(dir, names[i], &mark))
			continue;
		found = xstrdup(names[i]);
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(mpath);
	sbuf_release(&mark);
	return found;
}

/* What an output holds, written to f; an exit code. */
typedef int (*emit_fn)(struct app *app, FILE *f, void *ctx);

/* Write dir/name through a temporary file and rename. */
static int write_file(struct app *app, const char *dir, const char *name,
		      emit_fn emit, void *ctx)
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
	status = emit(app, f, ctx);
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

struct query_output {
	const char *rel;
	struct query_param *p;
	size_t np;
	int fmt;
};

static int emit_query(struct app *app, FILE *f, void *ctx)
{
	struct query_output *q = ctx;

	return print_query(app, q->rel, q->p, q->np, q->fmt, f);
}

/* A query's rows to dir/name. */
static int write_output(struct app *app, const char *dir, const char *name,
			const char *rel, struct query_param *p, size_t np,
			int fmt)
{
	struct query_output q = { rel, p, np, fmt };

	return write_file(app, dir, name, emit_query, &q);
}

/*
 * After a demo that finished: close the history (so history.db is whole,
 * its WAL folded in) and list the outputs with their SHA-256 in the mark.
 */
static int write_mark(struct app *app, const char *dir)
{
	char sha[SHA256_HEX_LEN + 1];
	char *path = fs_join(dir, DEMO_MARK), *pack;
	struct sbuf tmp = SBUF_INIT, text = SBUF_INIT;
	const char *const *n;
	FILE *f;
	int r = 0, status = EXIT_RUNTIME;

	store_close(app->store);
	app->store = NULL;
	for (n = demo_outputs; *n; n++) {
		r = hash_file(dir, *n, sha);
		if (r < 0) {
			app_error(app, "cannot hash '%s/%s': %s", dir, *n,
				  err_str(r));
			goto out;
		}
		sbuf_addf(&text, "%s  %s\n", sha, *n);
	}
	pack = fs_join(dir, DEMO_PACK);
	r = hash_file(pack, "SHA256SUMS", sha);
	free(pack);
	if (r < 0) {
		app_error(app, "cannot hash '%s/%s/SHA256SUMS': %s", dir,
			  DEMO_PACK, err_str(r));
		goto out;
	}
	sbuf_addf(&text, "%s  %s/SHA256SUMS\n", sha, DEMO_PACK);
	sbuf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp.buf, "w");
	r = f ? 0 : -errno;
	if (f && fwrite(text.buf, 1, text.len, f) != text.len)
		r = -EIO;
	if (f && fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp.buf, path) < 0)
		r = -errno;
	if (r < 0) {
		app_error(app, "cannot write '%s': %s", path, err_str(r));
		unlink(tmp.buf);
		goto out;
	}
	status = EXIT_OK;
out:
	sbuf_release(&tmp);
	sbuf_release(&text);
	free(path);
	return status;
}

/* Is dir/evidence-pack absent or an intact pack? Says why not. */
static int intact_pack_or_none(struct app *app, const char *dir)
{
	struct strlist problems = { NULL, 0 };
	struct pack_summary sum;
	char *pack = fs_join(dir, DEMO_PACK);
	struct stat st;
	int ok = lstat(pack, &st) < 0 ||
		 (pack_verify(pack, NULL, &problems, &sum, NULL) == 0 &&
		  !problems.n);

	if (!ok)
		app_error(app, "'%s' is not an intact evidence pack (%s); the "
			  "demo leaves it as it is: move it away", pack,
			  problems.n ? problems.v[0] : "cannot read it");
	strlist_release(&problems);
	free(pack);
	return ok;
}

/*
 * May the demo write into dir? With force it may whatever dir holds, as it
 * replaces only its own files. Then forget what an earlier demo wrote there
 * (its mark goes first, so a demo that breaks off leaves no claim).
 */
static int check_out_dir(struct app *app, const char *dir, int force)
{
	char *mark, *foreign = NULL;
	int r = 0;

	if (!force)
		foreign = first_foreign(dir, &r);
	if (r < 0) {
		app_error(app, "cannot read '%s': %s", dir, err_str(r));
		return EXIT_USAGE;
	}
	if (foreign) {
		app_error(app, "'%s' holds '%s', which the demo did not write "
			  "(or which changed since); choose another --out, or "
			  "give --force to replace only the demo's own files",
			  dir, foreign);
		free(foreign);
		return EXIT_USAGE;
	}
	/* Even --force replaces an evidence pack only when it is intact. */
	if (force && !intact_pack_or_none(app, dir))
		return EXIT_USAGE;
	mark = fs_join(dir, DEMO_MARK);
	unlink(mark);
	free(mark);
	return EXIT_OK;
}

/* A fresh history at dir/history.db (an old one and its WAL removed). */
static int fresh_history(struct app *app, const char *dir)
{
	static const char *const sfx[] = { "", "-wal", "-shm", NULL };
	struct err_detail d = { "", "" };
	const char *const *s;
	char *db = fs_join(dir, "history.db");
	struct sbuf p = SBUF_INIT;
	int r = fs_mkdirs(dir, 0700);

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

struct findings_output {
	const struct check_result *res;
	const char *format;
};

static int emit_findings(struct app *app, FILE *f, void *ctx)
{
	struct findings_output *o = ctx;

	(void)app;
	return check_print(f, o->res, o->format, 0) < 0 ? EXIT_RUNTIME : EXIT_OK;
}

/*
 * The evidence pack of the collection run and its check, in place of an
 * earlier demo's (removed only when it is an intact pack), verified.
 */
static int demo_pack(struct app *app, const char *out, long long run,
		     long long check)
{
	struct err_detail d = { "", "" };
	struct pack_summary sum;
	char *pack = fs_join(out, DEMO_PACK);
	struct stat st;
	int status = EXIT_OK, r;

	fprintf(app->out, "\nThe evidence pack of run %lld and its check, for "
		"auditors (README.md inside says how to check it by hand):\n",
		run);
	if (lstat(pack, &st) == 0 && (r = pack_remove(pack, &d)) < 0) {
		app_fail(app, "cannot replace the demo's evidence pack", r, &d);
		status = EXIT_USAGE;
	}
	if (status == EXIT_OK)
		status = evidence_export(app, run, check, pack);
	if (status == EXIT_OK)
		status = evidence_verify_pack(app, pack, NULL, 0, &sum);
	free(pack);
	return status;
}

/* The sample policy and desired state over the run: findings kept. */
static int demo_check(struct app *app, const char *out, long long *ret_check)
{
	char *rules = fs_join(app->datadir, "queries/rules");
	char *policy = fs_join(app->datadir, "samples/policy.ini");
	char *desired = fs_join(app->datadir, "samples/desired.json");
	struct check_options o = { rules, policy, desired, 0 };
	struct findings_output fo;
	struct check_result res;
	struct err_detail d = { "", "" };
	int status = EXIT_OK;

	fprintf(app->out, "\nChecking the run against samples/policy.ini and "
		"samples/desired.json:\n");
	if (check_run(app->store, &o, &res, &d) < 0) {
		app_fail(app, "the demo's check failed", -ERR_CONFIG, &d);
		status = EXIT_RUNTIME;
		goto out;
	}
	check_print(app->out, &res, "summary", 0);
	*ret_check = res.check_run;
	fo.res = &res;
	fo.format = "json";
	status = write_file(app, out, "findings.json", emit_findings, &fo);
	fo.format = "md";
	if (status == EXIT_OK)
		status = write_file(app, out, "findings.md", emit_findings, &fo);
	check_result_release(&res);
out:
	free(rules);
	free(policy);
	free(desired);
	return status;
}

static int run_demo(struct app *app, const char *out)
{
	struct err_detail d = { "", "" };
	struct collect_result res;
	struct verify_result vr;
	struct query_param p = { ":run_id", QP_INT, 0, NULL };
	char *replay = fs_join(app->datadir, "samples/replay");
	long long check = 0;
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
	if (status == EXIT_OK) {
		fprintf(app->out, "\nThe chargeback of October 2026 (every line "
			"reconciled to the bill):\n");
		status = report_month_to(app, "chargeback", "2026-10", out);
	}
	if (status == EXIT_OK)
		status = demo_check(app, out, &check);
	if (status == EXIT_OK) {
		fprintf(app->out, "\nThe compliance report of the run (for "
			"auditors):\n");
		status = report_run_to(app, "compliance", NULL, "xlsx,md", out);
	}
	if (status == EXIT_OK)
		status = demo_pack(app, out, res.run_id, check);
	if (status == EXIT_OK)
		fprintf(app->out, "\nTry: amlfs-audit --db %s inventory\n"
			"     amlfs-audit --db %s costs --month 2026-10\n"
			"     amlfs-audit --db %s check --policy samples/policy.ini\n"
			"     amlfs-audit --db %s diff\n"
			"     amlfs-audit --db %s verify\n"
			"     amlfs-audit evidence verify %s/%s\n", app->db_path,
			app->db_path, app->db_path, app->db_path, app->db_path,
			out, DEMO_PACK);
	return status;
}

int cmd_demo(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("demo");
	const char *out = "amlfs-audit-demo";
	struct err_detail d = { "", "" };
	int c, force = 0, status;

	while ((c = getopt_long(argc, argv, "o:f", opts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else if (c == 'f')
			force = 1;
		else
			return cmd_usage_error(app, self);
	}
	if (optind != argc)
		return cmd_usage_error(app, self);
	if (app_resolve_datadir(app, &d) < 0) {
		app_fail(app, "bad configuration", -ERR_CONFIG, &d);
		return EXIT_USAGE;
	}
	status = check_out_dir(app, out, force);
	if (status == EXIT_OK)
		status = run_demo(app, out);
	if (status == EXIT_OK)
		status = write_mark(app, out);
	return status;
}
