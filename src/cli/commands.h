#pragma once
#include "cli/app.h"

typedef int (*cmd_fn)(int argc, char **argv, struct app *app);

/* One row of the command table (git's builtin table, tmux's cmd_entry). */
struct command {
	const char *name;
	cmd_fn fn;
	const char *usage;	/* man-page synopsis and options */
	const char *summary;	/* one line for the command list */
	unsigned flags;		/* CMD_* of cli/app.h */
};

extern const struct command commands[];

const struct command *command_find(const char *name);

/*
 * Parse the options every command shares: -h/--help prints usage to
 * stdout and returns EXIT_OK through *ret_exit; call it first in each
 * command via CMD_HELP_CHECK.
 */
int cmd_usage_error(struct app *app, const struct command *c);
void cmd_print_usage(FILE *f, const struct command *c);

int cmd_collect(int argc, char **argv, struct app *app);
int cmd_runs(int argc, char **argv, struct app *app);
int cmd_inventory(int argc, char **argv, struct app *app);
int cmd_verify(int argc, char **argv, struct app *app);
int cmd_migrate(int argc, char **argv, struct app *app);
int cmd_demo(int argc, char **argv, struct app *app);
int cmd_import_costs(int argc, char **argv, struct app *app);
int cmd_costs(int argc, char **argv, struct app *app);
int cmd_import_prices(int argc, char **argv, struct app *app);
int cmd_whoami(int argc, char **argv, struct app *app);
/* In cmd_render.c, with its usage string for the table. */
int cmd_render(int argc, char **argv, struct app *app);
extern const char render_usage[];
int cmd_check(int argc, char **argv, struct app *app);

struct check_result;
/*
 * Print a check's results in format ("text", "json", "md", "csv",
 * "prometheus", or "summary": one line), only the newly open ones with
 * new_only. 0, or negative. In cmd_check.c.
 */
int check_print(FILE *f, const struct check_result *res, const char *format,
		int new_only);
int cmd_config(int argc, char **argv, struct app *app);
int cmd_diff(int argc, char **argv, struct app *app);
int cmd_desired(int argc, char **argv, struct app *app);
int cmd_report(int argc, char **argv, struct app *app);
/* Write report name for month (YYYY-MM) in every format into out; an
 * exit code. In cmd_report.c (the demo uses it). */
/* Write report name about run (a run id; NULL: the newest with a
 * snapshot) in formats (as --format; NULL: all) into out; an exit code.
 * In cmd_report.c (the demo's compliance report). */
int report_run_to(struct app *app, const char *name, const char *run,
		  const char *formats, const char *out);
int report_month_to(struct app *app, const char *name, const char *month,
		    const char *out);
/*
 * Render report name's Markdown for run into out (appending), through the
 * report engine as 'report NAME --run ID --format md' would; an exit
 * code. In cmd_report.c (evidence packs use it).
 */
struct sbuf;
int report_markdown_of_run(struct app *app, const char *name, long long run,
			   struct sbuf *out);
int cmd_evidence(int argc, char **argv, struct app *app);
struct pack_summary;
/*
 * Export the evidence pack of run (and check, or 0) to out with the
 * compliance Markdown, signed with [evidence] signing_key when set; an
 * exit code. Verify the pack at path (pubkey: a public key file, or
 * NULL), printing the result as text or JSON; an exit code (1: broken).
 * In cmd_evidence.c.
 */
int evidence_export(struct app *app, long long run, long long check,
		    const char *out);
int evidence_verify_pack(struct app *app, const char *pack,
			 const char *pubkey, int json,
			 struct pack_summary *sum);
/*
 * [evidence] head_log: head_log_mark() before a command that appends
 * links to the chain, head_log_since() after it has committed appends
 * "TIME RUN HASH" for every sealed run after the mark to the file (or
 * syslog). A failure to append is a warning and turns exit status 0 into
 * 4 (the run is stored, not anchored); returns the status.
 */
long long head_log_mark(struct app *app);
int head_log_since(struct app *app, long long mark, int status);
int cmd_help(int argc, char **argv, struct app *app);
int cmd_version(int argc, char **argv, struct app *app);

struct query_param;
struct collect_result;

/* Run DATADIR/queries/<rel> and print its rows to f in format fmt. */
int print_query(struct app *app, const char *rel,
		const struct query_param *params, size_t n, int fmt, FILE *f);
/* --format's argument as an out_format; -1 after printing an error. */
int parse_format(struct app *app, const char *arg);
struct collect_options;

/*
 * Collect once into app->store: from replay_dir, or live when it is NULL;
 * recording every answer into record_dir when not NULL; costs (may be
 * NULL) gives the cost-query flags (costs_only, refresh_costs, cost_from,
 * cost_to). An exit code.
 */
int collect_from(struct app *app, const char *replay_dir,
		 const char *record_dir, const struct collect_options *costs,
		 struct collect_result *res);
/* The newest month with cost, as its first and last day; an exit code. */
int costs_latest_month(struct app *app, char from[11], char to[11]);
/* The run whose snapshot to show (want 0: the newest); an exit code. */
int pick_snapshot_run(struct app *app, long long want, long long *ret);

struct auth_options;
/*
 * Fill o (azure/auth.h) from the configuration: mode, tenant, the login
 * host ([azure] authority_host, else AZURE_AUTHORITY_HOST, else the
 * cloud's), imds_endpoint, access_token_file, az_command. The strings are
 * borrowed from c and the environment. In cmd_whoami.c.
 */
void auth_options_from_config(const struct config *c, struct auth_options *o);

/*
 * Import cost export files (type: "ActualCost", "AmortizedCost" or NULL
 * for the file name's hint), each in its own transaction; an exit code.
 */
int import_cost_files(struct app *app, char *const *files, int n,
		      const char *type);
/* Import saved Retail Prices answers (and fetch them); an exit code. */
int import_price_files(struct app *app, char *const *files, int n, int fetch);

/* The global synopsis (main --help). */
void print_main_usage(FILE *f);
