#include "cli/commands.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "evidence/pack.h"
#include "evidence/sign.h"
#include "util/sbuf.h"
#include "util/timeutil.h"

/* The report whose Markdown goes into every pack. */
#define PACK_REPORT "compliance"

static int parse_id(struct app *app, const char *opt, const char *arg,
		    long long *ret)
{
	char *end;

	*ret = strtoll(arg, &end, 10);
	if (*end || *ret <= 0 || end == arg) {
		app_error(app, "%s takes a run id, not '%s'", opt, arg);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* The exit status of a pack error. */
static int pack_exit(int r)
{
	if (r == -ERR_VERIFY)
		return EXIT_FINDINGS;
	return r == -EEXIST || r == -ERR_NOT_FOUND || r == -EINVAL ||
	       r == -ERR_CONFIG ? EXIT_USAGE : EXIT_RUNTIME;
}

/* [evidence] signing_key, when set; an exit code. */
static int load_signing_key(struct app *app, struct sign_key **ret)
{
	struct err_detail d = { "", "" };
	int r;

	*ret = NULL;
	if (!app->cfg.signing_key)
		return EXIT_OK;
	r = sign_load_private(app->cfg.signing_key, ret, &d);
	if (r < 0) {
		app_fail(app, "bad [evidence] signing_key", r, &d);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int open_history(struct app *app)
{
	struct err_detail d = { "", "" };
	int r = app_resolve_db(app, &d);

	if (r == 0)
		r = app_resolve_datadir(app, &d);
	if (r < 0) {
		app_fail(app, "bad configuration", r, &d);
		return EXIT_USAGE;
	}
	r = app_open_db(app, CMD_DB_READONLY, &d);
	if (r < 0) {
		app_fail(app, "cannot open history", r, &d);
		return app_exit_code(r);
	}
	return EXIT_OK;
}

int evidence_export(struct app *app, long long run, long long check,
		    const char *out)
{
	struct err_detail d = { "", "" };
	struct sbuf md = SBUF_INIT;
	struct sign_key *key = NULL;
	struct pack_file f = { PACK_REPORT ".md", NULL, 0 };
	struct pack_options o = { run, check, &f, 1, NULL, AMLFS_VERSION };
	struct pack_summary sum;
	int r, status;

	status = load_signing_key(app, &key);
	if (status == EXIT_OK)
		status = report_markdown_of_run(app, PACK_REPORT, run, &md);
	if (status != EXIT_OK)
		goto out;
	f.data = md.buf;
	f.len = md.len;
	o.key = key;
	r = pack_export(app->store, &o, out, &sum, &d);
	if (r < 0) {
		app_fail(app, "cannot export the evidence pack", r, &d);
		status = pack_exit(r);
		goto out;
	}
	fprintf(app->out, "wrote %s: %zu files, %llu bytes\n", out, sum.files,
		sum.bytes);
	fprintf(app->out, "run %lld: %s\n", run, sum.hash[0]);
	if (check)
		fprintf(app->out, "check %lld: %s\n", check, sum.hash[1]);
	if (key) {
		char kid[SHA256_HEX_LEN + 1] = "";

		sign_key_id(key, kid);
		fprintf(app->out, "signed by key %s\n", kid);
	}
out:
	sign_key_free(key);
	sbuf_release(&md);
	return status;
}

static int do_export(int argc, char **argv, struct app *app,
		     const struct command *self)
{
	static const struct option opts[] = {
		{ "run", required_argument, NULL, 'r' },
		{ "check", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	long long run = 0, check = 0;
	const char *out = NULL;
	int c, status = EXIT_OK;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1 &&
	       status == EXIT_OK) {
		if (c == 'r')
			status = parse_id(app, "--run", optarg, &run);
		else if (c == 'c')
			status = parse_id(app, "--check", optarg, &check);
		else if (c == 'o')
			out = optarg;
		else
			return cmd_usage_error(app, self);
	}
	if (status != EXIT_OK)
		return status;
	if (optind != argc || !run || !out || !*out)
		return cmd_usage_error(app, self);
	status = open_history(app);
	return status == EXIT_OK ? evidence_export(app, run, check, out) :
	       status;
}

int evidence_verify_pack(struct app *app, const char *pack,
			 const char *pubkey, int json,
			 struct pack_summary *sum)
{
	struct err_detail d = { "", "" };
	struct strlist problems = { NULL, 0 };
	struct sign_key *key = NULL;
	size_t i;
	int r, status = EXIT_OK;

	if (pubkey && (r = sign_load_public(pubkey, &key, &d)) < 0) {
		app_fail(app, "bad --public-key", r, &d);
		return EXIT_USAGE;
	}
	r = pack_verify(pack, key, &problems, sum, &d);
	sign_key_free(key);
	if (r < 0) {
		app_fail(app, "cannot verify the evidence pack", r, &d);
		strlist_release(&problems);
		return EXIT_RUNTIME;
	}
	if (json) {
		json_t *o = json_pack("{s:s,s:b,s:i,s:I}", "pack", pack, "ok",
				      !problems.n, "files", (int)sum->files,
				      "bytes", (json_int_t)sum->bytes);
		json_t *p = json_array(), *runs = json_array();

		for (i = 0; i < problems.n; i++)
			json_array_append_new(p, json_string(problems.v[i]));
		for (i = 0; i < sum->nruns; i++)
			json_array_append_new(runs, json_pack("{s:I,s:s}", "id",
				(json_int_t)sum->run[i], "run_hash",
				sum->hash[i]));
		json_object_set_new(o, "runs", runs);
		json_object_set_new(o, "signed", json_boolean(sum->is_signed));
		json_object_set_new(o, "signature_checked",
				    json_boolean(sum->sig_checked));
		json_object_set_new(o, "problems", p);
		json_dumpf(o, app->out, JSON_INDENT(2));
		fputc('\n', app->out);
		json_decref(o);
	} else if (problems.n) {
		for (i = 0; i < problems.n; i++)
			fprintf(app->out, "%s: BROKEN: %s\n", pack,
				problems.v[i]);
	} else {
		fprintf(app->out, "%s: intact: %zu files, %llu bytes\n", pack,
			sum->files, sum->bytes);
		for (i = 0; i < sum->nruns; i++)
			fprintf(app->out, "run %lld: %s (recomputed)\n",
				(long long)sum->run[i], sum->hash[i]);
		if (sum->sig_checked)
			fprintf(app->out, "signature: verified with key %s\n",
				sum->key_id);
		else if (sum->is_signed)
			fprintf(app->out, "signature: NOT CHECKED (give "
				"--public-key with the signer's key, %s)\n",
				sum->key_id);
		else
			fprintf(app->out, "signature: none (the pack is not "
				"signed)\n");
	}
	if (problems.n)
		status = EXIT_FINDINGS;
	strlist_release(&problems);
	return status;
}

static int do_verify(int argc, char **argv, struct app *app,
		     const struct command *self)
{
	static const struct option opts[] = {
		{ "public-key", required_argument, NULL, 'k' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const char *key = NULL;
	struct pack_summary sum;
	int c, json = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'k')
			key = optarg;
		else if (c == 'f' && (!strcmp(optarg, "json") ||
				      !strcmp(optarg, "text")))
			json = !strcmp(optarg, "json");
		else
			return cmd_usage_error(app, self);
	}
	if (argc - optind != 1)
		return cmd_usage_error(app, self);
	return evidence_verify_pack(app, argv[optind], key, json, &sum);
}

static int do_keygen(int argc, char **argv, struct app *app,
		     const struct command *self)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct err_detail d = { "", "" };
	const char *out = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else
			return cmd_usage_error(app, self);
	}
	if (optind != argc || !out || !*out)
		return cmd_usage_error(app, self);
	r = sign_keygen(out, &d);
	if (r < 0) {
		app_fail(app, "cannot make a key pair", r, &d);
		return r == -EEXIST ? EXIT_USAGE : EXIT_RUNTIME;
	}
	fprintf(app->out, "wrote %s (private key, mode 0600: set [evidence] "
		"signing_key to it) and %s.pub (public key: give it to "
		"auditors)\n", out, out);
	return EXIT_OK;
}

int cmd_evidence(int argc, char **argv, struct app *app)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **, struct app *, const struct command *);
	} sub[] = {
		{ "export", do_export },
		{ "verify", do_verify },
		{ "keygen", do_keygen },
	};
	const struct command *self = command_find("evidence");
	size_t i;

	if (argc >= 2)
		for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
			if (!strcmp(argv[1], sub[i].name))
				return sub[i].fn(argc - 1, argv + 1, app, self);
	return cmd_usage_error(app, self);
}

/* ---- head log -------------------------------------------------------- */

long long head_log_mark(struct app *app)
{
	sqlite3_stmt *st = NULL;
	long long id = 0;

	if (!app->cfg.head_log || !app->store ||
	    store_prepare(app->store, "SELECT coalesce(max(id), 0) FROM runs",
			  &st, NULL) < 0)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

/* Append line to the head log file: O_APPEND, one write, fsync. */
static int append_line(const char *path, const char *line)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
		      O_NOFOLLOW, 0600);
	size_t len = strlen(line);
	ssize_t n;
	int r = 0;

	if (fd < 0)
		return -errno;
	do
		n = write(fd, line, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/*
 * Send msg to the syslog socket at path as the C library's syslog() would
 * (RFC 3164: "<PRI>Mmm dd hh:mm:ss TAG[PID]: MSG", local time, LOG_USER
 * and LOG_NOTICE): a datagram, or the message and a NUL on a stream
 * socket. Unlike syslog(), a socket that is missing or refuses it is an
 * error (-errno), so an unanchored head is said, not lost.
 */
static int syslog_send(const char *path, const char *msg)
{
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct sockaddr_un sa;
	char buf[512];
	time_t now = time(NULL);
	struct tm tm;
	int fd = -1, n, r = 0, type = SOCK_DGRAM;
	ssize_t sent;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	localtime_r(&now, &tm);
	n = snprintf(buf, sizeof(buf), "<%d>%s %2d %02d:%02d:%02d "
		     "amlfs-audit[%ld]: %s", LOG_USER | LOG_NOTICE,
		     mon[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, (long)getpid(), msg);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EOVERFLOW;
	for (;;) {
		fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		r = -errno;
		close(fd);
		if (r != -EPROTOTYPE || type == SOCK_STREAM)
			return r;
		type = SOCK_STREAM;	/* a stream socket: try that */
		r = 0;
	}
	/* A stream carries the NUL that ends the message. */
	sent = send(fd, buf, (size_t)n + (type == SOCK_STREAM), MSG_NOSIGNAL);
	if (sent < 0)
		r = -errno;
	else if (sent != n + (type == SOCK_STREAM))
		r = -EIO;	/* short: errno says nothing of it */
	close(fd);
	return r;
}

/* "syslog" is /dev/log; "syslog:PATH" another syslog socket; else NULL. */
static const char *syslog_socket(const char *head_log)
{
	if (!strcmp(head_log, "syslog"))
		return "/dev/log";
	if (!strncmp(head_log, "syslog:", 7) && head_log[7])
		return head_log + 7;
	return NULL;
}

int head_log_since(struct app *app, long long mark, int status)
{
	sqlite3_stmt *st = NULL;
	char now[21], line[160], msg[170];
	const char *sock;
	int r = 0;

	if (!app->cfg.head_log || !app->store)
		return status;
	if (store_prepare(app->store, "SELECT id, run_hash FROM runs WHERE "
			  "id > ?1 AND run_hash IS NOT NULL ORDER BY id", &st,
			  NULL) < 0) {
		r = -ERR_SQL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, mark);
	time_now_iso(now);
	while (r == 0 && sqlite3_step(st) == SQLITE_ROW) {
		snprintf(line, sizeof(line), "%s %lld %s\n", now,
			 (long long)sqlite3_column_int64(st, 0),
			 (const char *)sqlite3_column_text(st, 1));
		sock = syslog_socket(app->cfg.head_log);
		if (sock) {
			snprintf(msg, sizeof(msg), "head %.*s",
				 (int)strlen(line) - 1, line);
			r = syslog_send(sock, msg);
		} else
			r = append_line(app->cfg.head_log, line);
	}
out:
	sqlite3_finalize(st);
	if (r < 0) {
		app_error(app, "warning: cannot append the new head to "
			  "[evidence] head_log '%s': %s; the run is stored, "
			  "but not anchored", app->cfg.head_log, err_str(r));
		if (status == EXIT_OK)
			status = EXIT_PARTIAL;
	}
	return status;
}
