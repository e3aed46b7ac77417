#include "cli/commands.h"

#include <getopt.h>
#include <jansson.h>
#include <strings.h>
#include <string.h>

#include "evidence/pack.h"
#include "evidence/verify.h"
#include "policy/check.h"
#include "util/xalloc.h"

/* The finished checks to evaluate again: one, or all (want 0). */
static int recheck_ids(struct store *s, sqlite3_int64 want,
		       sqlite3_int64 **ret, size_t *ret_n,
		       struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 *v = NULL;
	size_t n = 0;
	int r, rc;

	r = store_prepare(s, "SELECT id FROM runs WHERE source = 'check' AND "
			  "status = 'ok' AND (?1 = 0 OR id = ?1) ORDER BY id",
			  &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, want);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = sqlite3_column_int64(st, 0);
	}
	/* A failed read is an error, not fewer checks to evaluate again. */
	if (rc != SQLITE_DONE) {
		r = store_sql_error(s, "cannot list the check runs", d);
		sqlite3_finalize(st);
		free(v);
		return r;
	}
	sqlite3_finalize(st);
	if (want && !n) {
		err_set(d, "there is no finished check run %lld",
			(long long)want);
		free(v);
		return -ERR_NOT_FOUND;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* Evaluate the checks again; the number that differ, or an error. */
static int recheck(struct app *app, sqlite3_int64 want, json_t *arr,
		   struct err_detail *d)
{
	sqlite3_int64 *ids = NULL;
	size_t i, n = 0;
	int r, bad = 0;

	r = recheck_ids(app->store, want, &ids, &n, d);
	for (i = 0; r == 0 && i < n; i++) {
		struct check_recheck c;

		r = check_recheck(app->store, ids[i], &c, d);
		if (r < 0) {
			err_where(d, "check run %lld", (long long)ids[i]);
			break;
		}
		bad += c.differ > 0;
		if (arr) {
			json_array_append_new(arr, json_pack(
				"{s:I,s:I,s:I,s:I,s:I,s:s?}", "check_run",
				(json_int_t)ids[i], "judged_run",
				(json_int_t)c.judged_run, "stored",
				(json_int_t)c.stored, "found_again",
				(json_int_t)c.found, "differ",
				(json_int_t)c.differ, "first_difference",
				c.differ ? c.first : NULL));
		} else if (c.differ) {
			fprintf(app->out, "check run %lld (judged run %lld): "
				"DIFFERS: %zu finding(s) differ when evaluated "
				"again; first: %s\n", (long long)ids[i],
				(long long)c.judged_run, c.differ, c.first);
		} else {
			fprintf(app->out, "check run %lld (judged run %lld): "
				"%zu finding(s) evaluated again, all equal\n",
				(long long)ids[i], (long long)c.judged_run,
				c.stored);
		}
	}
	free(ids);
	return r < 0 ? r : bad;
}

/* A hash as given on the command line: 64 hex digits. */
static int hash_arg(const char *s)
{
	return strlen(s) == SHA256_HEX_LEN &&
	       strspn(s, "0123456789abcdefABCDEF") == SHA256_HEX_LEN;
}

/*
 * Are the pack's runs this history's runs with those hashes? Prints what
 * is not; 1 when all are.
 */
static int pack_in_history(struct app *app, const char *pack,
			   const struct pack_summary *sum)
{
	sqlite3_stmt *st = NULL;
	struct err_detail d = { "", "" };
	size_t i;
	int ok = 1;

	if (store_prepare(app->store, "SELECT run_hash FROM runs WHERE id = ?1",
			  &st, &d) < 0) {
		app_fail(app, "cannot read runs", -ERR_SQL, &d);
		return 0;
	}
	for (i = 0; i < sum->nruns; i++) {
		const char *have = NULL;

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, sum->run[i]);
		if (sqlite3_step(st) == SQLITE_ROW)
			have = (const char *)sqlite3_column_text(st, 0);
		if (!have || strcmp(have, sum->hash[i])) {
			fprintf(app->out, "%s: NOT IN THE HISTORY: the pack's "
				"run %lld has hash %s; the history's run %lld "
				"%s%s\n", pack, (long long)sum->run[i],
				sum->hash[i], (long long)sum->run[i],
				have ? "has " : "does not exist",
				have ? have : "");
			ok = 0;
		} else
			fprintf(app->out, "%s: run %lld is the history's run "
				"with that hash\n", pack,
				(long long)sum->run[i]);
	}
	sqlite3_finalize(st);
	return ok;
}

int cmd_verify(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "recheck", optional_argument, NULL, 'R' },
		{ "expect-head", required_argument, NULL, 'e' },
		{ "pack", required_argument, NULL, 'p' },
		{ "public-key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("verify");
	struct err_detail d = { "", "" };
	const char *expect = NULL, *pack = NULL, *key = NULL;
	struct verify_result res;
	struct pack_summary sum;
	json_t *rechecks = NULL;
	long long want = 0;
	int c, json = 0, r, head_ok = 1, status, do_recheck = 0, differ = 0;

	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		if (c == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "text")))
			json = !strcmp(optarg, "json");
		else if (c == 'R' && (!optarg || !app_run_id(app, "--recheck", optarg, &want)))
			do_recheck = 1;
		else if (c == 'e' && hash_arg(optarg))
			expect = optarg;
		else if (c == 'e') {
			app_error(app, "--expect-head takes a run hash (64 hex "
				  "digits), not '%s'", optarg);
			return EXIT_USAGE;
		} else if (c == 'p')
			pack = optarg;
		else if (c == 'k')
			key = optarg;
		else
			return cmd_usage_error(app, self);
	}
	if (optind != argc || (key && !pack) || (pack && json))
		return cmd_usage_error(app, self);
	r = verify_history(app->store, &res, &d);
	if (r < 0) {
		app_fail(app, "cannot verify", r, &d);
		return EXIT_RUNTIME;
	}
	if (expect)
		head_ok = !strcasecmp(expect, res.head);
	/* Even over a broken chain: it names the findings that changed. */
	if (do_recheck) {
		rechecks = json ? json_array() : NULL;
		differ = recheck(app, want, rechecks, &d);
		if (differ < 0) {
			json_decref(rechecks);
			app_fail(app, "cannot evaluate the checks again", differ,
				 &d);
			/* No such check run: as every other "no run N". */
			return differ == -ERR_NOT_FOUND ? EXIT_USAGE :
							  EXIT_RUNTIME;
		}
	}
	if (json) {
		json_t *o = json_pack("{s:b,s:i,s:s?,s:I}", "ok",
				      !res.bad_run && head_ok, "runs", res.runs,
				      "head_hash", res.head[0] ? res.head : NULL,
				      "head_run", (json_int_t)res.head_run);

		json_object_set_new(o, "uncovered_cost_sources",
				    json_integer(res.uncovered_sources));
		if (res.bad_run) {
			json_object_set_new(o, "first_bad_run",
					    json_integer(res.bad_run));
			json_object_set_new(o, "reason", json_string(res.reason));
		}
		if (rechecks)
			json_object_set_new(o, "rechecks", rechecks);
		if (expect) {
			json_object_set_new(o, "expected_head",
					    json_string(expect));
			json_object_set_new(o, "head_as_expected",
					    json_boolean(head_ok));
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
				"as they are (a newer export of their days, "
				"imported, supersedes them within it)\n",
				res.uncovered_sources);
		if (res.head_run)
			fprintf(app->out, "head: run %lld %s\n",
				(long long)res.head_run, res.head);
	}
	if (!json && !head_ok)
		fprintf(app->out, "HEAD MISMATCH: the newest run (%lld) has "
			"hash %s, not the expected %s\n",
			(long long)res.head_run, res.head[0] ? res.head :
			"(no runs)", expect);
	status = res.bad_run || !head_ok || differ ? EXIT_FINDINGS : EXIT_OK;
	if (pack) {
		r = evidence_verify_pack(app, pack, key, 0, &sum);
		if (r == EXIT_OK && !pack_in_history(app, pack, &sum))
			r = EXIT_FINDINGS;
		if (r > status)
			status = r;
	}
	return status;
}
