#include "evidence/pack.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <zlib.h>

#include "store/chain.h"
#include "util/fs.h"
#include "util/num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#define MANIFEST "manifest.json"
#define SUMS "SHA256SUMS"
#define SIG "manifest.json.sig"
/* At most this many problems are listed. */
#define MAX_PROBLEMS 50

/* ---- names, hex and values ------------------------------------------ */

/*
 * A path inside a pack: at most 6 components of 1 to 100 characters from
 * [A-Za-z0-9._-], none starting with '.', 255 characters in all. So no
 * "..", no absolute path, nothing a shell or a terminal reads specially.
 */
static int path_ok(const char *p)
{
	size_t len = strlen(p), n = 0, parts = 1;
	const char *c;

	if (!len || len > 255)
		return 0;
	for (c = p; ; c++) {
		if (*c == '/' || !*c) {
			if (!n || ++parts > 7)
				return 0;
			if (!*c)
				return 1;
			n = 0;
			continue;
		}
		if (!n && *c == '.')
			return 0;
		if (++n > 100 || !((*c >= 'a' && *c <= 'z') ||
				   (*c >= 'A' && *c <= 'Z') ||
				   (*c >= '0' && *c <= '9') || strchr("._-", *c)))
			return 0;
	}
}

/* A name from a pack made safe to print: '?' for anything odd, cut. */
static const char *shown(const char *s, char buf[128])
{
	size_t i;

	for (i = 0; s[i] && i < 100; i++)
		buf[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (s[i])
		buf[i++] = '~';
	buf[i] = '\0';
	return buf;
}

static void to_hex(const void *p, size_t n, struct sbuf *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		sbuf_addch(out, hex[b[i] >> 4]);
		sbuf_addch(out, hex[b[i] & 15]);
	}
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Lower-case hex into bytes (xmalloc'd, NUL after); 0 or -1. */
static int from_hex(const char *s, size_t len, char **ret, size_t *ret_n)
{
	size_t i;
	char *b;

	if (len % 2)
		return -1;
	b = xmalloc(len / 2 + 1);
	for (i = 0; i < len; i += 2) {
		int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);

		if (hi < 0 || lo < 0) {
			free(b);
			return -1;
		}
		b[i / 2] = (char)(hi << 4 | lo);
	}
	b[len / 2] = '\0';
	*ret = b;
	*ret_n = len / 2;
	return 0;
}

static int sha_ok(const char *s)
{
	size_t i;

	for (i = 0; i < SHA256_HEX_LEN; i++)
		if (hex_digit(s[i]) < 0)
			return 0;
	return s[i] == '\0';
}

/* A value the run hash covers, as exact JSON (pack.h). */
static json_t *value_json(const struct chain_value *v)
{
	struct sbuf hex = SBUF_INIT;
	unsigned long long bits;
	json_t *j;

	switch (v->type) {
	case CHAIN_NULL:
		return json_null();
	case CHAIN_INT:
		return json_integer(v->i);
	case CHAIN_REAL:
		if (isfinite(v->r))
			return json_real(v->r);
		memcpy(&bits, &v->r, sizeof(bits));
		sbuf_addf(&hex, "%016llx", bits);
		j = json_pack("{s:s,s:s}", "type", "real", "bits", hex.buf);
		break;
	case CHAIN_TEXT:
		if (utf8_valid(v->p, v->n))
			return json_stringn(v->p, v->n);
		/* fall through */
	default:
		to_hex(v->p, v->n, &hex);
		j = json_pack("{s:s,s:s}", "type", v->type == CHAIN_TEXT ?
			      "text" : "blob", "hex", hex.buf);
		break;
	}
	sbuf_release(&hex);
	return j;
}

static void set_owned(struct chain_value *v, enum chain_type t, char *p,
		      size_t n)
{
	v->type = t;
	v->p = p;
	v->n = n;
}

/* The JSON of a value back; 0, or -1 with why. */
static int value_from_json(json_t *j, struct chain_value *v, const char **why)
{
	const char *type, *hex;
	char *p = NULL;
	size_t n;

	if (json_is_null(j))
		v->type = CHAIN_NULL;
	else if (json_is_integer(j)) {
		v->type = CHAIN_INT;
		v->i = json_integer_value(j);
	} else if (json_is_real(j)) {
		v->type = CHAIN_REAL;
		v->r = json_real_value(j);
	} else if (json_is_string(j)) {
		n = json_string_length(j);
		p = xmalloc(n + 1);
		memcpy(p, json_string_value(j), n + 1);
		set_owned(v, CHAIN_TEXT, p, n);
	} else if (json_is_object(j) && json_object_size(j) == 2 &&
		   (type = json_string_value(json_object_get(j, "type")))) {
		hex = json_string_value(json_object_get(j, strcmp(type, "real") ?
							"hex" : "bits"));
		if (!hex || from_hex(hex, strlen(hex), &p, &n) < 0 ||
		    (!strcmp(type, "real") && n != 8)) {
			free(p);
			*why = "a typed value needs its hex (a real 16 digits)";
			return -1;
		}
		if (!strcmp(type, "real")) {
			unsigned long long bits;

			sscanf(hex, "%16llx", &bits);
			v->type = CHAIN_REAL;
			memcpy(&v->r, &bits, sizeof(bits));
			free(p);
		} else if (!strcmp(type, "text") || !strcmp(type, "blob"))
			set_owned(v, *type == 't' ? CHAIN_TEXT : CHAIN_BLOB, p, n);
		else {
			free(p);
			*why = "a typed value is text, blob or real";
			return -1;
		}
	} else {
		*why = "not a value the run hash covers";
		return -1;
	}
	return 0;
}

/* A value as an integer (text for hash encoding 1); 0 or -1. */
static int value_int(const struct chain_value *v, long long *ret)
{
	char *end;

	if (v->type == CHAIN_INT) {
		*ret = v->i;
		return 0;
	}
	if (v->type != CHAIN_TEXT || !v->n)
		return -1;
	*ret = strtoll(v->p, &end, 10);
	return *end ? -1 : 0;
}

static long col_index(const struct chain_group_def *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->ncols; i++)
		if (!strcmp(g->columns[i], name))
			return (long)i;
	return -1;
}

/* Add a problem to p; past MAX_PROBLEMS, one saying more were left out. */
static void problem(struct strlist *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct strlist *p, const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	va_list ap;

	if (p->n >= MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (p->n == MAX_PROBLEMS - 1) {
		sbuf_reset(&sb);
		sbuf_adds(&sb, "more problems, not listed");
	}
	strlist_add(p, sb.buf);
	sbuf_release(&sb);
}

/* ---- the runs of a pack, together ------------------------------------ */

/* Column `name` of the run's own row: its value, or NULL. */
static const struct chain_value *run_field(const struct chain_run *run,
					   const char *name)
{
	const struct chain_group_def *g;
	long i;

	chain_groups(run->version, &g);
	i = col_index(&g[0], name);
	return i < 0 || !run->g[0].nrows ? NULL : &run->g[0].v[i];
}

/* Text of the run's own row without a NUL in it, or NULL. */
static const char *run_text(const struct chain_run *run, const char *name)
{
	const struct chain_value *v = run_field(run, name);

	return v && v->type == CHAIN_TEXT && strlen(v->p) == v->n ? v->p : NULL;
}

static long long run_id_of(const struct chain_run *run)
{
	const struct chain_value *v = run_field(run, "id");
	long long id;

	return v && value_int(v, &id) == 0 ? id : 0;
}

/* The run a check judged, from its scope ({"judged_run": N, ...}), or 0. */
static long long judged_of(const struct chain_run *run)
{
	const char *scope = run_text(run, "scope");
	json_int_t judged = 0;
	json_t *j = scope ? json_loads(scope, 0, NULL) : NULL;

	if (!j || json_unpack(j, "{s:I}", "judged_run", &judged) < 0)
		judged = 0;
	json_decref(j);
	return judged;
}

static int is_collection(const char *source)
{
	return source && (!strcmp(source, "live") || !strcmp(source, "replay"));
}

/*
 * Findings of run that judged another run than want: how many (the first
 * one's judged run in ret_other). Hash encoding 1 keeps no findings.
 */
static size_t findings_not_of(const struct chain_run *run, long long want,
			      long long *ret_other)
{
	const struct chain_group_def *g;
	size_t n = chain_groups(run->version, &g), i, j, bad = 0;
	long long judged;
	long col;

	for (i = 0; i < n && strcmp(g[i].name, "findings"); i++)
		;
	if (i == n || (col = col_index(&g[i], "judged_run")) < 0)
		return 0;
	for (j = 0; j < run->g[i].nrows; j++) {
		const struct chain_value *v = run->g[i].v + j * run->g[i].ncols;

		if (value_int(&v[col], &judged) < 0)
			judged = 0;
		if (judged != want && !bad++)
			*ret_other = judged;
	}
	return bad;
}

/*
 * Do a pack's two runs belong together? The first must be a collection
 * (live or replay), the second a check whose scope judged the first, and
 * every finding must be about the first; export writes nothing else. A
 * pack of one run is of any link of the chain, as it always was (a check
 * alone names the run it judged, which is not in the pack). Each problem,
 * naming the runs, is added to problems; the count added.
 */
static size_t check_pairing(const struct chain_run *runs, size_t n,
			    struct strlist *problems)
{
	const char *src;
	char buf[128];
	long long first = run_id_of(&runs[0]), id, judged, other = 0;
	size_t before = problems->n, i, bad;

	if (n < 2)
		return 0;
	src = run_text(&runs[0], "source");
	if (!is_collection(src))
		problem(problems, "run %lld is not a collection run (its source "
			"is '%s', not live or replay); a pack of two runs is "
			"of a collection run and a check of it", first,
			src ? shown(src, buf) : "?");
	id = run_id_of(&runs[1]);
	src = run_text(&runs[1], "source");
	judged = judged_of(&runs[1]);
	if (!src || strcmp(src, "check"))
		problem(problems, "run %lld is not a check run (its "
			"source is '%s'); a pack's second run is a "
			"check of its first, run %lld", id,
			src ? shown(src, buf) : "?", first);
	else if (judged != first)
		problem(problems, "check %lld judged run %lld, not run "
			"%lld, the run the pack is of", id, judged,
			first);
	for (i = 0; i < n; i++) {
		bad = findings_not_of(&runs[i], first, &other);
		if (bad)
			problem(problems, "run %lld holds %zu finding%s about "
				"run %lld, not about run %lld, the run the "
				"pack is of", run_id_of(&runs[i]), bad,
				bad == 1 ? "" : "s", other, first);
	}
	return problems->n - before;
}

/* ---- writing a pack: a directory, or a .tar.gz ------------------------ */

/* libarchive's reason for its last error, which may be none (NULL). */
static const char *archive_why(struct archive *a)
{
	const char *why = archive_error_string(a);

	return why ? why : "no reason given";
}

struct pack_writer {
	char *out;		/* the final name */
	char *tmp;		/* written here, then renamed */
	struct strlist made;	/* dir: what was made under tmp, in order */
	struct archive *a;	/* tar: the archive, written to fd */
	int fd;			/* tar: the file; dir: tmp, open to sync */
	char top[64];		/* tar: the directory inside */
	unsigned long long bytes;
	size_t files;
};

static int ends_with(const char *s, const char *sfx)
{
	size_t n = strlen(s), m = strlen(sfx);

	return n >= m && !strcmp(s + n - m, sfx);
}

/* Can out be made? It must not exist (a directory may be empty). */
static int out_free(const char *out, int tar, struct err_detail *d)
{
	struct stat st;
	DIR *dp;
	struct dirent *e;
	int empty = 1;

	if (lstat(out, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!tar && S_ISDIR(st.st_mode) && (dp = opendir(out))) {
		while ((e = readdir(dp)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				empty = 0;
		closedir(dp);
		if (empty)
			return 0;
	}
	err_set(d, "'%s' exists%s; an evidence pack is written only where "
		"nothing is", out, tar ? "" : " and is not an empty directory");
	return -EEXIST;
}

static int tar_entry(struct pack_writer *w, const char *rel, int dir,
		     const void *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	struct sbuf name = SBUF_INIT;
	int ok;

	sbuf_addf(&name, "%s%s%s%s", w->top, *rel ? "/" : "", rel,
		  dir ? "/" : "");
	archive_entry_set_pathname(e, name.buf);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, dir ? 0755 : 0644);
	archive_entry_set_size(e, dir ? 0 : (la_int64_t)len);
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	ok = archive_write_header(w->a, e) == ARCHIVE_OK &&
	     (dir || !len || archive_write_data(w->a, data, len) ==
			     (la_ssize_t)len);
	archive_entry_free(e);
	sbuf_release(&name);
	return ok ? 0 : -EIO;
}

static int pw_open(struct pack_writer *w, const char *out, const char *top,
		   struct err_detail *d)
{
	struct sbuf tmp = SBUF_INIT;
	int r = 0;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->out = xstrdup(out);
	/* "DIR/" is DIR: the temporary name goes beside it, not in it. */
	while (strlen(w->out) > 1 && w->out[strlen(w->out) - 1] == '/')
		w->out[strlen(w->out) - 1] = '\0';
	out = w->out;
	snprintf(w->top, sizeof(w->top), "%s", top);
	sbuf_addf(&tmp, "%s.tmp-XXXXXX", out);
	if (!ends_with(out, ".tar.gz")) {
		/* Opened before any file is written: syncfs() on it reports
		 * the write-back errors of the file system since then. */
		if (!mkdtemp(tmp.buf) ||
		    (w->fd = open(tmp.buf, O_RDONLY | O_DIRECTORY |
				  O_CLOEXEC)) < 0)
			r = -errno;
	} else if ((w->fd = mkostemp(tmp.buf, O_CLOEXEC)) < 0) {
		r = -errno;
	} else {
		w->a = archive_write_new();
		if (archive_write_add_filter_gzip(w->a) != ARCHIVE_OK ||
		    /* no time in the gzip header: the same pack, the same bytes */
		    archive_write_set_filter_option(w->a, "gzip", "timestamp",
						    NULL) != ARCHIVE_OK ||
		    archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
		    archive_write_open_fd(w->a, w->fd) != ARCHIVE_OK ||
		    tar_entry(w, "", 1, NULL, 0) < 0)
			r = -EIO;
	}
	w->tmp = sbuf_detach(&tmp, NULL);
	if (r < 0)
		err_set(d, "cannot create '%s': %s", w->tmp, w->a ?
			archive_why(w->a) : err_str(r));
	return r;
}

static int pw_dir(struct pack_writer *w, const char *rel, struct err_detail *d)
{
	char *path;
	int r = 0;

	if (w->a)
		r = tar_entry(w, rel, 1, NULL, 0);
	else {
		path = fs_join(w->tmp, rel);
		if (mkdir(path, 0755) < 0)
			r = -errno;
		else
			strlist_add(&w->made, path);
		free(path);
	}
	if (r < 0)
		err_set(d, "cannot write '%s/%s': %s", w->tmp, rel, w->a ?
			archive_why(w->a) : err_str(r));
	return r;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int pw_file(struct pack_writer *w, const char *rel, const void *data,
		   size_t len, struct err_detail *d)
{
	char *path;
	int fd, r;

	if (w->a)
		r = tar_entry(w, rel, 0, data, len);
	else {
		path = fs_join(w->tmp, rel);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		r = fd < 0 ? -errno : write_all(fd, data, len);
		if (fd >= 0) {
			strlist_add(&w->made, path);
			if (close(fd) < 0 && r == 0)
				r = -errno;
		}
		free(path);
	}
	if (r < 0)
		err_set(d, "cannot write '%s/%s': %s", w->tmp, rel, w->a ?
			archive_why(w->a) : err_str(r));
	w->files++;
	w->bytes += len;
	return r;
}

/* Remove what was written (failure), or nothing (after the rename). */
static void pw_free(struct pack_writer *w, int keep)
{
	size_t i = w->made.n;

	if (w->a) {
		archive_write_free(w->a);
		w->a = NULL;
	}
	if (w->fd >= 0)
		close(w->fd);
	while (!keep && i--)
		if (unlink(w->made.v[i]) < 0)
			rmdir(w->made.v[i]);
	if (!keep && w->tmp)
		(ends_with(w->out, ".tar.gz") ? unlink : rmdir)(w->tmp);
	strlist_release(&w->made);
	free(w->tmp);
	free(w->out);
}

/*
 * Finish: the archive flushed and synced, or the file system holding the
 * temporary directory synced once with syncfs(2) (every file and
 * directory of the pack is under it; an open and an fsync per file was
 * half of the export's time for 6,829 files, and since Linux 5.8 syncfs
 * reports write-back errors of files written since the directory was
 * opened, as fsync does for its file); then renamed into place (a
 * directory is renamed whole: a reader never sees part of a pack) and
 * the parent synced, so that after a power cut the pack is there whole
 * or not at all.
 */
static int pw_commit(struct pack_writer *w, struct err_detail *d)
{
	int r = 0;

	if (w->a) {
		if (archive_write_close(w->a) != ARCHIVE_OK) {
			err_set(d, "cannot write '%s': %s", w->tmp,
				archive_why(w->a));
			return -EIO;
		}
		if (fsync(w->fd) < 0)
			r = -errno;
	} else if (syncfs(w->fd) < 0) {
		r = -errno;
	}
	if (r < 0) {
		err_set(d, "cannot sync '%s': %s", w->tmp, err_str(r));
		return r;
	}
	if (rename(w->tmp, w->out) < 0) {
		r = -errno;
		err_set(d, "cannot write '%s': %s", w->out, err_str(r));
		return r;
	}
	r = fs_sync_parent(w->out);
	if (r < 0)
		err_set(d, "cannot sync the directory of '%s' (the pack is "
			"there, but a power cut could lose it): %s", w->out,
			err_str(r));
	return r;
}

/* ---- export ----------------------------------------------------------- */

/* Load run id and check that it still gives its stored hash. */
static int load_sealed(struct store *s, sqlite3_int64 id, struct chain_run *run,
		       char hash[SHA256_HEX_LEN + 1], struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	const char *stored = NULL;
	int r;

	r = store_prepare(s, "SELECT run_hash FROM runs WHERE id = ?1", &st, d);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		stored = (const char *)sqlite3_column_text(st, 0);
	else {
		err_set(d, "no run %lld", (long long)id);
		r = -ERR_NOT_FOUND;
		goto out;
	}
	if (!stored || !sha_ok(stored)) {
		err_set(d, "run %lld is not sealed (no run hash yet)",
			(long long)id);
		r = -ERR_VERIFY;
		goto out;
	}
	r = chain_run_load(s, id, run, d);
	if (r == 0 && (r = chain_run_encode(run, hash)) == 0 &&
	    strcmp(hash, stored)) {
		err_set(d, "run %lld no longer gives its stored hash (the "
			"history was edited); see 'amlfs-audit verify'",
			(long long)id);
		r = -ERR_VERIFY;
	}
	if (r < 0 && run->ngroups)
		chain_run_release(run);
out:
	sqlite3_finalize(st);
	return r;
}

/* Is check a check run that judged run? */
static int check_of(struct store *s, sqlite3_int64 check, sqlite3_int64 run,
		    struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	int r = store_prepare(s, "SELECT source = 'check' AND "
			      "json_extract(scope, '$.judged_run') = ?2 "
			      "FROM runs WHERE id = ?1", &st, d);

	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, check);
	sqlite3_bind_int64(st, 2, run);
	if (sqlite3_step(st) != SQLITE_ROW || !sqlite3_column_int(st, 0)) {
		err_set(d, "run %lld is not a check of run %lld",
			(long long)check, (long long)run);
		r = -ERR_NOT_FOUND;
	}
	sqlite3_finalize(st);
	return r;
}

/* The runs make a pack (check_pairing()); else -ERR_NOT_FOUND, d why. */
static int pairing_ok(const struct chain_run *runs, size_t n,
		      struct err_detail *d)
{
	struct strlist bad = { NULL, 0 };
	int r = 0;

	if (check_pairing(runs, n, &bad)) {
		err_set(d, "%s", bad.v[0]);
		r = -ERR_NOT_FOUND;
	}
	strlist_release(&bad);
	return r;
}

/* List a file in the manifest; sha: its SHA-256 when known, else NULL. */
static void add_file(json_t *files, const char *path, const void *data,
		     size_t len, const char *known)
{
	char sha[SHA256_HEX_LEN + 1];

	if (known)
		memcpy(sha, known, sizeof(sha));
	else
		sha256_hex(data, len, sha);
	json_array_append_new(files, json_pack("{s:s,s:s,s:I}", "path", path,
					       "sha256", sha, "size",
					       (json_int_t)len));
}

/*
 * Write each response body of run id as responses/runID/SEQ.json (or
 * .txt), checking it against the hash the run covers; paths gets each
 * evidence row's file, in order.
 */
static int write_responses(struct store *s, struct pack_writer *w,
			   sqlite3_int64 id, const struct chain_run *run,
			   json_t *files, struct strlist *paths,
			   struct err_detail *d)
{
	static const char sql[] =
		"SELECT e.seq, b.content FROM evidence_log e "
		"JOIN bodies b ON b.id = e.body WHERE e.run_id = ?1 "
		"ORDER BY e.seq, e.id";
	const struct chain_group_def *g;
	const struct chain_table *t = &run->g[1];
	char sha[SHA256_HEX_LEN + 1];
	struct sbuf path = SBUF_INIT;
	sqlite3_stmt *st = NULL;
	long seq_col, sha_col;
	size_t i = 0;
	int r, rc;

	chain_groups(run->version, &g);
	seq_col = col_index(&g[1], "seq");
	sha_col = col_index(&g[1], "sha256");
	r = store_prepare(s, sql, &st, d);
	if (r < 0)
		return r;
	sbuf_addf(&path, "responses/run%lld", (long long)id);
	if (t->nrows)
		r = pw_dir(w, path.buf, d);
	sqlite3_bind_int64(st, 1, id);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const struct chain_value *row = t->v + i * t->ncols;
		const char *body = sqlite3_column_blob(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);
		long long seq = sqlite3_column_int64(st, 0), want;

		body = body ? body : "";
		sha256_hex(body, len, sha);
		if (i >= t->nrows || value_int(&row[seq_col], &want) < 0 ||
		    want != seq || row[sha_col].type != CHAIN_TEXT ||
		    strcmp(row[sha_col].p, sha)) {
			err_set(d, "evidence %lld of run %lld changed since it "
				"was hashed; see 'amlfs-audit verify'", seq,
				(long long)id);
			r = -ERR_VERIFY;
			break;
		}
		sbuf_reset(&path);
		sbuf_addf(&path, "responses/run%lld/%06lld.%s", (long long)id,
			  seq, len && (*body == '{' || *body == '[') ?
			  "json" : "txt");
		r = pw_file(w, path.buf, body, len, d);
		add_file(files, path.buf, body, len, sha);
		strlist_add(paths, path.buf);
		i++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_sql_error(s, "cannot read evidence", d);
	if (r == 0 && i != t->nrows) {
		err_set(d, "run %lld lists %zu responses but holds %zu",
			(long long)id, t->nrows, i);
		r = -ERR_VERIFY;
	}
	sqlite3_finalize(st);
	sbuf_release(&path);
	return r;
}

/* A run as the manifest gives it: its hash and every value it covers. */
static json_t *run_json(const struct chain_run *run, sqlite3_int64 id,
			const char *hash, const struct strlist *paths)
{
	const struct chain_group_def *g;
	size_t n = chain_groups(run->version, &g), i, j, k;
	json_t *o = json_pack("{s:I,s:s,s:i}", "id", (json_int_t)id,
			      "run_hash", hash, "hash_encoding", run->version);

	for (i = 0; i < n; i++) {
		const struct chain_table *t = &run->g[i];
		json_t *rows = json_array();

		for (j = 0; j < t->nrows; j++) {
			json_t *row = json_object();

			if (i == 1)
				json_object_set_new(row, "file",
						    json_string(paths->v[j]));
			for (k = 0; k < t->ncols; k++)
				json_object_set_new(row, g[i].columns[k],
						    value_json(&t->v[j * t->ncols + k]));
			json_array_append_new(rows, row);
		}
		if (i == 0) {
			json_object_set(o, g[i].name, json_array_get(rows, 0));
			json_decref(rows);
		} else
			json_object_set_new(o, g[i].name, rows);
	}
	return o;
}

/* SHA256SUMS: manifest.json, then every file of the manifest. */
static void sums_text(const char *manifest_sha, json_t *files,
		      struct sbuf *out)
{
	json_t *f;
	size_t i;

	sbuf_addf(out, "%s  %s\n", manifest_sha, MANIFEST);
	json_array_foreach(files, i, f)
		sbuf_addf(out, "%s  %s\n",
			  json_string_value(json_object_get(f, "sha256")),
			  json_string_value(json_object_get(f, "path")));
}

static void readme(const struct pack_options *o,
		   const char hash[][SHA256_HEX_LEN + 1], size_t nruns,
		   struct sbuf *out)
{
	size_t i;

	sbuf_addf(out, "# Evidence pack of run %lld\n\n", (long long)o->run);
	sbuf_addf(out, "What amlfs-audit read from Azure in run %lld of its "
		  "history%s, exported by amlfs-audit %s:\n\n",
		  (long long)o->run, o->check ? " and the check that judged "
		  "it" : "", o->tool_version);
	for (i = 0; i < nruns; i++)
		sbuf_addf(out, "- run %lld, run hash `%s`\n",
			  (long long)(i ? o->check : o->run), hash[i]);
	sbuf_adds(out,
"\n"
"| file | what it is |\n"
"|---|---|\n"
"| `manifest.json` | every file with its SHA-256 and size; for each run its hash, its hash encoding and every value the hash covers: the run's metadata (with `prev_hash`, the hash of the run before it), each response's request (method, URL with secrets removed), HTTP status, `x-ms-request-id`, time and body SHA-256 (and its `file`), the run's errors, ledger, cost sources and a check's findings |\n"
"| `SHA256SUMS` | `manifest.json` and every file, in `sha256sum` format |\n"
"| `manifest.json.sig` | when the pack is signed: the Ed25519 signature of `manifest.json` (64 bytes) |\n"
"| `compliance.md` | the compliance report of the run (made from the history; covered by the manifest, not by the run hash) |\n"
"| `responses/runN/SEQ.json` | the body of response SEQ of run N, byte for byte as Azure sent it (`.txt` when it is not JSON) |\n"
"\n"
"The pack holds nothing else: any other file, or one missing, means it was\n"
"changed.\n"
"\n"
"## Check it with amlfs-audit\n"
"\n"
"```sh\n"
"amlfs-audit evidence verify PACK --public-key SIGNER.pub\n"
"```\n"
"\n"
"No database is needed. It checks every file against the manifest and\n"
"`SHA256SUMS`, that no file was added or removed, each run hash recomputed\n"
"from the manifest, that the runs belong together (step 4), and the\n"
"signature. `amlfs-audit verify --pack PACK`\n"
"also checks, in the operator's history, that the runs are those with\n"
"these hashes.\n"
"\n"
"## Check it by hand\n"
"\n"
"1. Every file (run in this directory; after `tar xzf` of a `.tar.gz`, in\n"
"   the directory it makes):\n"
"\n"
"   ```sh\n"
"   sha256sum -c SHA256SUMS\n"
"   find . -type f | sort     # only the files SHA256SUMS lists, and manifest.json.sig\n"
"   ```\n"
"\n"
"2. The signature. Get the signer's public key from them over a channel\n"
"   you trust, never from the pack (a forger would put their own key\n"
"   beside their own signature). `signer_key_sha256` in the manifest names\n"
"   the key that signed; compare it with\n"
"   `openssl pkey -pubin -in SIGNER.pub -outform DER | sha256sum`. Then:\n"
"\n"
"   ```sh\n"
"   openssl pkeyutl -verify -pubin -inkey SIGNER.pub -rawin -in manifest.json -sigfile manifest.json.sig\n"
"   ```\n"
"\n"
"   prints `Signature Verified Successfully`. As the manifest holds every\n"
"   file's SHA-256, the signature covers every file.\n"
"\n"
"3. The run hash (hash encoding 2). SHA-256 over: `T`, the length 17 as 8\n"
"   bytes big-endian, `amlfs-audit-run/2`; then for each group in the order\n"
"   run, evidence, errors, ledger, cost_sources, findings: a `g`, and for\n"
"   each of its rows (the run: its one object) an `r` and each value in the\n"
"   manifest's key order (leaving out `file`): null as `N`; an integer as\n"
"   `I` and 8 bytes big-endian (two's complement); a real as `R` and its 8\n"
"   IEEE-754 bytes big-endian; a string as `T`, its UTF-8 length as 8 bytes\n"
"   big-endian and the bytes; `{\"type\": \"text\" or \"blob\", \"hex\"}` as\n"
"   `T` or `B`, the length and the bytes; `{\"type\": \"real\", \"bits\"}` as\n"
"   `R` and those 8 bytes. Each response's `sha256` is the SHA-256 of its\n"
"   file, so the run hash covers the bodies too, and `prev_hash` chains the\n"
"   run to the one before it in the history. In Python:\n"
"\n"
"   ```python\n"
"   import hashlib, json, struct\n"
"   m = json.load(open(\"manifest.json\", encoding=\"utf-8\"))\n"
"   u64 = lambda t, n: t + struct.pack(\">Q\", n & (2**64 - 1))\n"
"   def value(v):\n"
"       if v is None: return b\"N\"\n"
"       if isinstance(v, int): return u64(b\"I\", v)\n"
"       if isinstance(v, float): return b\"R\" + struct.pack(\">d\", v)\n"
"       if isinstance(v, str): v = {\"type\": \"text\", \"hex\": v.encode().hex()}\n"
"       if v[\"type\"] == \"real\": return b\"R\" + bytes.fromhex(v[\"bits\"])\n"
"       b = bytes.fromhex(v[\"hex\"])\n"
"       return u64(b\"T\" if v[\"type\"] == \"text\" else b\"B\", len(b)) + b\n"
"   for run in m[\"runs\"]:\n"
"       h = hashlib.sha256(u64(b\"T\", 17) + b\"amlfs-audit-run/2\")\n"
"       for g in (\"run\", \"evidence\", \"errors\", \"ledger\", \"cost_sources\", \"findings\"):\n"
"           h.update(b\"g\")\n"
"           for row in [run[g]] if g == \"run\" else run[g]:\n"
"               h.update(b\"r\" + b\"\".join(value(v) for k, v in row.items() if k != \"file\"))\n"
"       print(run[\"id\"], h.hexdigest() == run[\"run_hash\"] and \"ok\" or \"MISMATCH\")\n"
"   ```\n"
"\n"
"   (A run sealed with hash encoding 1, by an older version, is checked by\n"
"   the tool only.) Keep the newest run hash somewhere else, or compare it\n"
"   with one kept: `amlfs-audit verify --expect-head HASH` fails unless the\n"
"   history's newest run has that hash.\n"
"\n"
"4. Two runs belong together: in `manifest.json`, when there is a second\n"
"   run, `runs[0].run.source` is `live` or `replay` (a collection),\n"
"   `runs[1].run.source` is `check`, the `judged_run` of its `scope` is\n"
"   `runs[0].id`, and so is every finding's `judged_run`. The run hashes\n"
"   do not show this: they hold as well for a run and another run's check\n"
"   put together. (A pack of one run may be of any link of the chain.)\n");
}

int pack_export(struct store *s, const struct pack_options *o,
		const char *out, struct pack_summary *sum,
		struct err_detail *d)
{
	struct chain_run runs[2];
	char hash[2][SHA256_HEX_LEN + 1], msha[SHA256_HEX_LEN + 1];
	char top[64], *mtext = NULL;
	sqlite3_int64 ids[2] = { o->run, o->check };
	struct strlist paths[2] = { { NULL, 0 }, { NULL, 0 } };
	struct sbuf text = SBUF_INIT;
	struct pack_writer w = { .fd = -1 };
	unsigned char sig[SIGN_LEN];
	size_t n = o->check ? 2 : 1, loaded = 0, i;
	json_t *files = json_array(), *m = NULL, *jruns;
	int r, tar = ends_with(out, ".tar.gz"), opened = 0;

	memset(runs, 0, sizeof(runs));
	r = out_free(out, tar, d);
	if (r < 0 && r != -EEXIST)
		err_set(d, "cannot look at '%s': %s", out, err_str(r));
	for (i = 0; r == 0 && i < n; i++) {
		r = load_sealed(s, ids[i], &runs[i], hash[i], d);
		loaded += r == 0;
	}
	if (r == 0 && o->check)
		r = check_of(s, o->check, o->run, d);
	if (r == 0)
		r = pairing_ok(runs, n, d);
	snprintf(top, sizeof(top), "evidence-pack-run%lld", (long long)o->run);
	if (r == 0)
		r = pw_open(&w, out, top, d);
	opened = r == 0 || w.out;
	if (r == 0) {	/* the hashes are loaded only on success */
		readme(o, hash, n, &text);
		r = pw_file(&w, "README.md", text.buf, text.len, d);
		add_file(files, "README.md", text.buf, text.len, NULL);
	}
	for (i = 0; r == 0 && i < o->nfiles; i++) {
		if (!path_ok(o->files[i].name) || strchr(o->files[i].name, '/')) {
			err_set(d, "'%s' is not a plain file name",
				o->files[i].name);
			r = -EINVAL;
			break;
		}
		r = pw_file(&w, o->files[i].name, o->files[i].data,
			    o->files[i].len, d);
		add_file(files, o->files[i].name, o->files[i].data,
			 o->files[i].len, NULL);
	}
	if (r == 0 && runs[0].g[1].nrows)
		r = pw_dir(&w, "responses", d);
	for (i = 0; r == 0 && i < n; i++)
		r = write_responses(s, &w, ids[i], &runs[i], files, &paths[i],
				    d);
	if (r < 0)
		goto out;
	m = json_pack("{s:s,s:s,s:I,s:o}", "format", PACK_FORMAT,
		      "tool_version", o->tool_version, "run",
		      (json_int_t)o->run, "check", o->check ?
		      json_integer(o->check) : json_null());
	if (o->key) {
		char kid[SHA256_HEX_LEN + 1];

		if (sign_key_id(o->key, kid) < 0) {
			err_set(d, "cannot name the signing key");
			r = -ERR_CRYPTO;
			goto out;
		}
		json_object_set_new(m, "signer_key_sha256", json_string(kid));
	}
	json_object_set(m, "files", files);
	jruns = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(jruns, run_json(&runs[i], ids[i], hash[i],
						      &paths[i]));
	json_object_set_new(m, "runs", jruns);
	mtext = json_dumps(m, JSON_INDENT(1));
	sbuf_reset(&text);
	sbuf_adds(&text, mtext);
	sbuf_addch(&text, '\n');
	r = pw_file(&w, MANIFEST, text.buf, text.len, d);
	sha256_hex(text.buf, text.len, msha);
	if (r == 0 && o->key) {
		r = sign_data(o->key, text.buf, text.len, sig);
		if (r < 0)
			err_set(d, "cannot sign the manifest");
		else
			r = pw_file(&w, SIG, sig, SIGN_LEN, d);
	}
	sbuf_reset(&text);
	sums_text(msha, files, &text);
	if (r == 0)
		r = pw_file(&w, SUMS, text.buf, text.len, d);
	if (r == 0)
		r = pw_commit(&w, d);
	if (r == 0 && sum) {
		memset(sum, 0, sizeof(*sum));
		sum->files = w.files;
		sum->bytes = w.bytes;
		sum->nruns = n;
		for (i = 0; i < n; i++) {
			sum->run[i] = ids[i];
			memcpy(sum->hash[i], hash[i], sizeof(hash[i]));
		}
		sum->is_signed = o->key != NULL;
	}
out:
	if (opened)
		pw_free(&w, r == 0);
	for (i = 0; i < loaded; i++)
		chain_run_release(&runs[i]);
	strlist_release(&paths[0]);
	strlist_release(&paths[1]);
	json_decref(files);
	json_decref(m);
	free(mtext);
	sbuf_release(&text);
	return r;
}

/* ---- reading a pack ---------------------------------------------------- */

struct pack_item {
	char *path;
	char sha[SHA256_HEX_LEN + 1];
	unsigned long long size;
};

struct pack_read {
	const char *name;	/* the pack, for messages */
	struct pack_item *v;
	size_t n, alloc;
	struct sbuf manifest, sums, sig;
	int have_manifest, have_sums, have_sig;
	struct strlist *problems;
};

typedef ssize_t (*read_fn)(void *ctx, void *buf, size_t n);

/*
 * One file of the pack at rel: hashed as it is read, and the manifest,
 * SHA256SUMS and the signature kept (each with a cap; declared is the
 * size the pack gives before reading). 0, or negative for a read error.
 */
static int take_file(struct pack_read *pr, const char *rel,
		     unsigned long long declared, read_fn rd, void *ctx,
		     struct err_detail *d)
{
	static const struct { const char *name; size_t max; } keep[] = {
		{ MANIFEST, PACK_MAX_MANIFEST },
		{ SUMS, 2 * PACK_MAX_MANIFEST },
		{ SIG, 4096 },
	};
	struct sbuf *bufs[] = { &pr->manifest, &pr->sums, &pr->sig };
	int *have[] = { &pr->have_manifest, &pr->have_sums, &pr->have_sig };
	struct pack_item *it;
	struct sbuf *kb = NULL;
	struct hash_ctx *h;
	char buf[65536];
	unsigned long long size = 0;
	ssize_t got;
	size_t k;
	int r = 0;

	for (k = 0; k < 3; k++)
		if (!strcmp(rel, keep[k].name))
			break;
	if (k < 3) {
		if (declared > keep[k].max) {
			problem(pr->problems, "%s: %llu bytes, more than a pack's "
				"%zu", rel, declared, keep[k].max);
			rd = NULL;	/* listed, not read */
		}
		if (*have[k] || bufs[k]->len) {
			/* A second copy (a tar may hold one): not read again. */
			problem(pr->problems, "%s: more than once in the pack",
				rel);
			rd = NULL;
		}
		kb = rd ? bufs[k] : NULL;
		if (rd) {
			sbuf_release(bufs[k]);
			sbuf_init(bufs[k], keep[k].max);
			*have[k] = 1;
		}
	}
	if (pr->n >= PACK_MAX_FILES) {
		problem(pr->problems, "more than %d files", PACK_MAX_FILES);
		return -ERR_TOO_LARGE;
	}
	h = hash_init();
	if (!h)
		return -ERR_CRYPTO;
	got = 0;
	while (rd && (got = rd(ctx, buf, sizeof(buf))) > 0) {
		hash_update(h, buf, (size_t)got);
		size += (unsigned long long)got;
		if (kb && sbuf_add(kb, buf, (size_t)got) < 0) {
			problem(pr->problems, "%s: larger than a pack's %zu "
				"bytes", rel, keep[k].max);
			*have[k] = 0;
			kb = NULL;
		}
	}
	if (got < 0) {
		hash_free(h);
		err_set(d, "cannot read '%s' in '%s'", rel, pr->name);
		return -EIO;
	}
	if (pr->n == pr->alloc) {
		pr->alloc = pr->alloc ? 2 * pr->alloc : 256;
		pr->v = xrealloc(pr->v, pr->alloc * sizeof(*pr->v));
	}
	it = &pr->v[pr->n++];
	it->path = xstrdup(rel);
	it->size = size;
	r = hash_final(h, it->sha);
	return r;
}

static ssize_t read_fd(void *ctx, void *buf, size_t n)
{
	ssize_t got;

	do
		got = read(*(int *)ctx, buf, n);
	while (got < 0 && errno == EINTR);
	return got;
}

/* Walk a directory pack: regular files and directories only. */
static int walk(struct pack_read *pr, int dirfd, const char *rel, int depth,
		struct err_detail *d)
{
	struct sbuf child = SBUF_INIT;
	struct dirent *e;
	struct stat st;
	char name[128];
	DIR *dp;
	int r = 0, fd;

	fd = dup(dirfd);
	dp = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dp) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		err_set(d, "cannot read '%s/%s': %s", pr->name, rel, err_str(r));
		return r;
	}
	while (r == 0 && (e = readdir(dp))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sbuf_reset(&child);
		sbuf_addf(&child, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (!path_ok(child.buf)) {
			problem(pr->problems, "'%s': not a name a pack holds",
				shown(child.buf, name));
			continue;
		}
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			err_set(d, "cannot read '%s/%s': %s", pr->name,
				child.buf, err_str(r));
		} else if (S_ISDIR(st.st_mode)) {
			fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY |
				    O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				r = -errno;
			else {
				r = walk(pr, fd, child.buf, depth + 1, d);
				close(fd);
			}
		} else if (S_ISREG(st.st_mode)) {
			fd = openat(dirfd, e->d_name, O_RDONLY | O_NOFOLLOW |
				    O_CLOEXEC | O_NONBLOCK);
			if (fd >= 0 && (fstat(fd, &st) < 0 ||
					!S_ISREG(st.st_mode))) {
				close(fd);
				fd = -1;
				errno = EINVAL;
			}
			if (fd < 0) {
				r = -errno;
				err_set(d, "cannot read '%s/%s': %s", pr->name,
					child.buf, err_str(r));
			} else {
				r = take_file(pr, child.buf,
					      (unsigned long long)st.st_size,
					      read_fd, &fd, d);
				close(fd);
			}
		} else
			problem(pr->problems, "%s: a symbolic link or special "
				"file, not a file", child.buf);
	}
	closedir(dp);
	sbuf_release(&child);
	return r;
}

static ssize_t read_tar(void *ctx, void *buf, size_t n)
{
	la_ssize_t got = archive_read_data(ctx, buf, n);

	return got < 0 ? -1 : (ssize_t)got;
}

/*
 * The file of a .tar.gz pack, inflated here for libarchive (its read
 * callback) rather than by libarchive, so that all of it is read: one
 * gzip member (zlib checks its CRC and length) and nothing after it, and
 * the offset after the last byte that is not zero (after the tar's end
 * there may be only the zeros that pad it).
 */
struct gz_in {
	int fd;
	z_stream z;
	int zr;				/* the last inflate() */
	int eof;			/* the file read to its end */
	unsigned long long raw;		/* bytes read from the file */
	unsigned long long out;		/* bytes inflated and given out */
	unsigned long long nonzero;	/* offset after the last nonzero one */
	unsigned char in[65536], buf[65536];
};

/* Read more of the file; 0, or -1 with a's error set. */
static int gz_fill(struct archive *a, struct gz_in *g)
{
	ssize_t n;

	do
		n = read(g->fd, g->in, sizeof(g->in));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "cannot read: %s", strerror(errno));
		return -1;
	}
	if (!g->raw && (n < 2 || g->in[0] != 0x1f || g->in[1] != 0x8b)) {
		archive_set_error(a, EILSEQ, "not gzip data");
		return -1;
	}
	g->eof = n == 0;
	g->z.next_in = g->in;
	g->z.avail_in = (uInt)n;
	g->raw += (unsigned long long)n;
	return 0;
}

/* "what byte N of the file (why)" as a's error, N where reading is. */
static void gz_error(struct archive *a, const struct gz_in *g,
		     const char *what, const char *why)
{
	struct sbuf msg = SBUF_INIT;

	/* (archive_set_error() knows no %llu) */
	sbuf_addf(&msg, "%s byte %llu of the file (%s)", what,
		  g->raw - g->z.avail_in, why);
	archive_set_error(a, EILSEQ, "%s", msg.buf);
	sbuf_release(&msg);
}

/* libarchive's read callback: the next inflated bytes, 0 at the end. */
static la_ssize_t gz_read(struct archive *a, void *ctx, const void **ret)
{
	struct gz_in *g = ctx;
	size_t got, i;

	for (;;) {
		if (!g->z.avail_in && !g->eof && gz_fill(a, g) < 0)
			return -1;
		if (g->zr == Z_STREAM_END) {
			if (!g->z.avail_in && g->eof)
				return 0;
			if (g->z.avail_in) {
				gz_error(a, g, "bytes after the gzip data, from",
					 "a pack is one gzip member, nothing "
					 "after it");
				return -1;
			}
			continue;
		}
		g->z.next_out = g->buf;
		g->z.avail_out = sizeof(g->buf);
		g->zr = inflate(&g->z, Z_NO_FLUSH);
		if (g->zr == Z_BUF_ERROR && (g->z.avail_in || !g->eof)) {
			g->zr = Z_OK;	/* more input first */
			continue;
		}
		if (g->zr == Z_BUF_ERROR) {
			archive_set_error(a, EILSEQ, "the gzip data ends early "
					  "(a truncated file)");
			return -1;
		}
		if (g->zr != Z_OK && g->zr != Z_STREAM_END) {
			gz_error(a, g, "the gzip data is damaged near",
				 g->z.msg ? g->z.msg : "inflate failed");
			return -1;
		}
		got = sizeof(g->buf) - g->z.avail_out;
		if (!got)
			continue;
		for (i = got; i && !g->buf[i - 1]; i--)
			;
		if (i)
			g->nonzero = g->out + i;
		g->out += got;
		*ret = g->buf;
		return (la_ssize_t)got;
	}
}

/*
 * After the tar's end (libarchive said so): the rest of the file, with
 * nothing after the gzip member and only zeros after the tar's end.
 */
static void check_tar_end(struct pack_read *pr, struct archive *a,
			  struct gz_in *g)
{
	long long end = archive_filter_bytes(a, 0);
	const void *buf;
	la_ssize_t n;

	while ((n = gz_read(a, g, &buf)) > 0)
		;
	if (n < 0)
		problem(pr->problems, "%s: %s", pr->name, archive_why(a));
	else if (end < 0 || g->nonzero > (unsigned long long)end)
		problem(pr->problems, "%s: data after the end of the archive "
			"(its tar ends at byte %lld, data runs to byte %llu)",
			pr->name, end, g->nonzero);
}

/*
 * A .tar.gz pack: one directory, holding regular files and directories
 * only (no links, no devices), names as a directory pack's; nothing
 * after the archive.
 */
static int read_tar_pack(struct pack_read *pr, const char *path,
			 struct err_detail *d)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct gz_in *g = xcalloc(1, sizeof(*g));
	char top[128] = "", name[128];
	struct sbuf rel = SBUF_INIT;
	int r = 0, rc;

	archive_read_support_format_tar(a);
	g->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (g->fd < 0 || inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
		r = g->fd < 0 ? -errno : -ENOMEM;
		err_set(d, "cannot read pack '%s': %s", path, err_str(r));
		goto out;
	}
	if (archive_read_open(a, g, NULL, gz_read, NULL) != ARCHIVE_OK) {
		problem(pr->problems, "%s: not a .tar.gz: %s", pr->name,
			archive_why(a));
		goto out;
	}
	while (r == 0 && (rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e), *rest;
		size_t tl;

		if (!p || !*p) {
			problem(pr->problems, "%s: an entry without a name",
				pr->name);
			continue;
		}
		tl = strcspn(p, "/");
		if (!*top && tl < sizeof(top)) {
			memcpy(top, p, tl);
			top[tl] = '\0';
		}
		sbuf_reset(&rel);
		sbuf_adds(&rel, p + tl + (p[tl] == '/'));
		/* A directory's name may end in '/'. */
		if (rel.len && rel.buf[rel.len - 1] == '/' &&
		    archive_entry_filetype(e) == AE_IFDIR)
			rel.buf[--rel.len] = '\0';
		rest = rel.buf;
		if (strncmp(p, top, tl) || strlen(top) != tl || !path_ok(top) ||
		    (*rest && !path_ok(rest)) ||
		    (!*rest && archive_entry_filetype(e) != AE_IFDIR)) {
			problem(pr->problems, "%s: entry '%s' is not a name "
				"under one directory a pack holds", pr->name,
				shown(p, name));
			continue;
		}
		if (archive_entry_filetype(e) == AE_IFDIR)
			continue;
		if (archive_entry_filetype(e) != AE_IFREG ||
		    archive_entry_hardlink(e) || archive_entry_symlink(e)) {
			problem(pr->problems, "%s: a link or special file, not "
				"a file", rest);
			continue;
		}
		r = take_file(pr, rest, archive_entry_size_is_set(e) ?
			      (unsigned long long)archive_entry_size(e) : 0,
			      read_tar, a, d);
		if (r == -EIO) {
			/* A damaged archive is a pack that does not hold. */
			problem(pr->problems, "%s: damaged at '%s': %s",
				pr->name, rest, archive_why(a));
			r = 0;
			goto out;
		}
	}
	if (r == 0 && rc != ARCHIVE_EOF)
		problem(pr->problems, "%s: damaged: %s", pr->name,
			archive_why(a));
	else if (r == 0)
		check_tar_end(pr, a, g);
out:
	archive_read_free(a);
	inflateEnd(&g->z);
	if (g->fd >= 0)
		close(g->fd);
	free(g);
	sbuf_release(&rel);
	return r;
}

static int cmp_items(const void *a, const void *b)
{
	return strcmp(((const struct pack_item *)a)->path,
		      ((const struct pack_item *)b)->path);
}

static const struct pack_item *find_item(const struct pack_read *pr,
					 const char *path)
{
	struct pack_item key = { (char *)path, "", 0 };

	return pr->n ? bsearch(&key, pr->v, pr->n, sizeof(*pr->v),
			       cmp_items) : NULL;
}

static int read_pack(struct pack_read *pr, const char *path,
		     struct err_detail *d)
{
	struct stat st;
	size_t i;
	int fd, r;

	if (stat(path, &st) < 0) {
		r = -errno;
		err_set(d, "cannot read pack '%s': %s", path, err_str(r));
		return r;
	}
	if (S_ISDIR(st.st_mode)) {
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			err_set(d, "cannot read pack '%s': %s", path,
				err_str(r));
			return r;
		}
		r = walk(pr, fd, "", 0, d);
		close(fd);
	} else
		r = read_tar_pack(pr, path, d);
	if (r == -ERR_TOO_LARGE)
		r = 0;		/* a problem said so; the rest is not read */
	if (r < 0 || !pr->n)
		return r;
	qsort(pr->v, pr->n, sizeof(*pr->v), cmp_items);
	for (i = 1; i < pr->n; i++)
		if (!strcmp(pr->v[i].path, pr->v[i - 1].path))
			problem(pr->problems, "%s: in the pack twice",
				pr->v[i].path);
	return 0;
}

static void pack_read_release(struct pack_read *pr)
{
	size_t i;

	for (i = 0; i < pr->n; i++)
		free(pr->v[i].path);
	free(pr->v);
	sbuf_release(&pr->manifest);
	sbuf_release(&pr->sums);
	sbuf_release(&pr->sig);
}

/* ---- verify --------------------------------------------------------- */

/* The manifest's files: each a safe path, once, with its hash and size. */
static int check_files(json_t *files, struct strlist *problems)
{
	json_t *f, *seen = json_object();
	const char *path, *sha;
	size_t i;
	int bad = 0;

	if (!json_is_array(files)) {
		problem(problems, MANIFEST ": $.files is not an array");
		json_decref(seen);
		return -1;
	}
	json_array_foreach(files, i, f) {
		path = json_string_value(json_object_get(f, "path"));
		sha = json_string_value(json_object_get(f, "sha256"));
		if (json_object_size(f) != 3 || !path || !sha || !sha_ok(sha) ||
		    !json_is_integer(json_object_get(f, "size")) ||
		    !path_ok(path) || !strcmp(path, MANIFEST) ||
		    !strcmp(path, SUMS) || !strcmp(path, SIG) ||
		    json_object_get(seen, path)) {
			problem(problems, MANIFEST ": $.files[%zu] is not a "
				"file a pack may hold (path, sha256, size; a "
				"safe name, once)", i);
			bad = -1;
			break;
		}
		json_object_set_new(seen, path, json_true());
	}
	json_decref(seen);
	return bad;
}

/* The files against the manifest: none changed, missing or added. */
static void compare_files(const struct pack_read *pr, json_t *files,
			  struct strlist *problems)
{
	json_t *f, *listed = json_object();
	const struct pack_item *it;
	size_t i;

	json_array_foreach(files, i, f) {
		const char *path = json_string_value(json_object_get(f, "path"));
		const char *sha = json_string_value(json_object_get(f, "sha256"));
		json_int_t size = json_integer_value(json_object_get(f, "size"));

		json_object_set_new(listed, path, json_true());
		it = find_item(pr, path);
		if (!it)
			problem(problems, "%s: missing (the manifest lists it)",
				path);
		else if (strcmp(it->sha, sha) || it->size !=
			 (unsigned long long)size)
			problem(problems, "%s: changed (SHA-256 %s, %llu bytes; "
				"the manifest says %s, %lld bytes)", path,
				it->sha, it->size, sha, (long long)size);
	}
	for (i = 0; i < pr->n; i++) {
		const char *p = pr->v[i].path;

		if (strcmp(p, MANIFEST) && strcmp(p, SUMS) && strcmp(p, SIG) &&
		    !json_object_get(listed, p))
			problem(problems, "%s: added (the manifest does not "
				"list it)", p);
	}
	json_decref(listed);
}

/* SHA256SUMS must be exactly what the manifest gives. */
static void compare_sums(const struct pack_read *pr, json_t *files,
			 struct strlist *problems)
{
	const struct pack_item *m = find_item(pr, MANIFEST);
	struct sbuf want = SBUF_INIT;
	const char *a, *b;
	size_t line = 1;

	if (!pr->have_sums) {
		if (!find_item(pr, SUMS))
			problem(problems, SUMS ": missing");
		return;
	}
	sums_text(m->sha, files, &want);
	if (want.len != pr->sums.len || memcmp(want.buf, pr->sums.buf,
					       want.len)) {
		a = want.buf;
		b = pr->sums.buf;
		while (*a && *a == *b) {
			line += *a == '\n';
			a++;
			b++;
		}
		problem(problems, SUMS ": line %zu is not what the manifest "
			"gives (%s)", line, line == 1 ? "the manifest's own "
			"SHA-256" : "a file's SHA-256 or name");
	}
	sbuf_release(&want);
}

/* Row object o into row: exactly the group's columns, in order. */
static int row_from_json(json_t *o, const struct chain_group_def *g,
			 int evidence, struct chain_value *row,
			 const char **why)
{
	void *it = json_object_iter(o);
	size_t i = 0;

	if (!json_is_object(o) || json_object_size(o) != g->ncols + !!evidence) {
		*why = "not an object with the group's columns";
		return -1;
	}
	if (evidence) {
		if (strcmp(json_object_iter_key(it), "file")) {
			*why = "\"file\" must come first";
			return -1;
		}
		it = json_object_iter_next(o, it);
	}
	for (; it; it = json_object_iter_next(o, it), i++) {
		if (strcmp(json_object_iter_key(it), g->columns[i])) {
			*why = "not the group's columns in their order";
			return -1;
		}
		if (value_from_json(json_object_iter_value(it), &row[i],
				    why) < 0)
			return -1;
	}
	return 0;
}

/*
 * One run of the manifest: rebuild what its hash covers into ret_run, and
 * hash it. 0 when its values could be read (the caller releases
 * ret_run, whatever the hash), -1 when not (a problem says why).
 */
static int check_run(json_t *e, size_t idx, const struct pack_read *pr,
		     struct pack_summary *sum, struct strlist *problems,
		     struct chain_run *ret_run)
{
	const struct chain_group_def *g;
	struct chain_run run = { 0 };
	const char *hash = json_string_value(json_object_get(e, "run_hash"));
	json_int_t version = json_integer_value(json_object_get(e,
							"hash_encoding"));
	json_t *idj = json_object_get(e, "id"), *rows;
	char got[SHA256_HEX_LEN + 1];
	const char *why = NULL;
	size_t n, i, j;
	long long id = json_integer_value(idj), v;
	long sha_col, id_col;

	if (!json_is_object(e) || !json_is_integer(idj) || !hash ||
	    !sha_ok(hash) ||
	    !json_is_integer(json_object_get(e, "hash_encoding")) ||
	    version < 1 || version > 2 ||
	    chain_run_init(&run, (int)version) < 0 ||
	    json_object_size(e) != 3 + run.ngroups) {
		problem(problems, MANIFEST ": $.runs[%zu] is not a run (id, "
			"run_hash, hash_encoding 1 or 2 and its groups)", idx);
		goto out;
	}
	n = chain_groups(run.version, &g);
	for (i = 0; i < n && !why; i++) {
		rows = json_object_get(e, g[i].name);
		if (i == 0) {
			why = row_from_json(rows, &g[0], 0,
					    chain_run_add_row(&run, 0), &why) ?
			      why : NULL;
			continue;
		}
		if (!json_is_array(rows)) {
			why = "a group that is not an array";
			break;
		}
		for (j = 0; j < json_array_size(rows) && !why; j++)
			if (row_from_json(json_array_get(rows, j), &g[i], i == 1,
					  chain_run_add_row(&run, i), &why) < 0)
				problem(problems, MANIFEST ": $.runs[%zu].%s[%zu]: "
					"%s", idx, g[i].name, j, why);
		if (why)
			goto out;
	}
	if (why) {
		problem(problems, MANIFEST ": $.runs[%zu]: %s", idx, why);
		goto out;
	}
	id_col = col_index(&g[0], "id");
	if (value_int(&run.g[0].v[id_col], &v) < 0 || v != id) {
		problem(problems, MANIFEST ": $.runs[%zu]: its run is not run "
			"%lld", idx, id);
		goto out;
	}
	/* Each response's file is the body the run hash covers. */
	sha_col = col_index(&g[1], "sha256");
	rows = json_object_get(e, "evidence");
	for (j = 0; j < run.g[1].nrows; j++) {
		const struct chain_value *row = run.g[1].v + j * run.g[1].ncols;
		const char *file = json_string_value(json_object_get(
				json_array_get(rows, j), "file"));
		const struct pack_item *it = file ? find_item(pr, file) : NULL;

		if (!file || !path_ok(file) || row[sha_col].type != CHAIN_TEXT ||
		    row[sha_col].n != SHA256_HEX_LEN || !sha_ok(row[sha_col].p))
			problem(problems, MANIFEST ": $.runs[%zu].evidence[%zu]: "
				"no file or body SHA-256", idx, j);
		else if (it && strcmp(it->sha, row[sha_col].p))
			problem(problems, "%s: not the body run %lld's hash "
				"covers (SHA-256 %s, the run says %s)", file, id,
				it->sha, row[sha_col].p);
		else if (!it)
			problem(problems, "%s: missing (run %lld's response)",
				file, id);
	}
	if (chain_run_encode(&run, got) < 0)
		problem(problems, "cannot compute SHA-256");
	else if (strcmp(got, hash))
		problem(problems, MANIFEST ": run %lld: the values it lists "
			"hash to %s, not its run hash %s", id, got, hash);
	if (idx < 2) {
		sum->run[idx] = id;
		snprintf(sum->hash[idx], sizeof(sum->hash[idx]), "%s", hash);
		sum->nruns = idx + 1;
	}
	*ret_run = run;
	return 0;
out:
	chain_run_release(&run);
	return -1;
}

static void check_signature(const struct pack_read *pr, json_t *m,
			    const struct sign_key *key,
			    struct pack_summary *sum, struct strlist *problems)
{
	const char *named = json_string_value(json_object_get(m,
							"signer_key_sha256"));
	char kid[SHA256_HEX_LEN + 1];

	sum->is_signed = pr->have_sig;
	/* Hostile text would be printed: only a SHA-256 names a key. */
	if (named && !sha_ok(named)) {
		problem(problems, MANIFEST ": signer_key_sha256 is not a "
			"SHA-256");
		named = NULL;
	}
	if (named)
		snprintf(sum->key_id, sizeof(sum->key_id), "%s", named);
	if (pr->have_sig && !named)
		problem(problems, SIG ": the manifest names no signer "
			"(signer_key_sha256)");
	if (!pr->have_sig && named && !find_item(pr, SIG))
		problem(problems, SIG ": missing (the manifest says key %s "
			"signed it)", named);
	if (!key)
		return;
	if (!pr->have_sig) {
		problem(problems, "the pack is not signed, and a public key "
			"was given");
		return;
	}
	if (sign_key_id(key, kid) < 0 || !named || strcmp(kid, named))
		problem(problems, SIG ": signed by key %s, not by the key "
			"given (%s)", named ? named : "(none named)", kid);
	else if (sign_check(key, pr->manifest.buf, pr->manifest.len,
			    pr->sig.buf, pr->sig.len) < 0)
		problem(problems, SIG ": the signature of " MANIFEST " does "
			"not verify with the key given");
	else
		sum->sig_checked = 1;
}

static int check_manifest_form(json_t *m, struct strlist *problems)
{
	static const char *const keys[] = {
		"format", "tool_version", "run", "check", "signer_key_sha256",
		"files", "runs", NULL
	};
	const char *key, *f = json_string_value(json_object_get(m, "format"));
	const char *const *k;
	json_t *v;

	if (!json_is_object(m) || !f || strcmp(f, PACK_FORMAT)) {
		problem(problems, MANIFEST ": not an evidence pack manifest "
			"(format %s)", PACK_FORMAT);
		return -1;
	}
	json_object_foreach(m, key, v) {
		for (k = keys; *k && strcmp(*k, key); k++)
			;
		if (!*k) {
			char buf[128];

			problem(problems, MANIFEST ": unknown key '%s'",
				shown(key, buf));
			return -1;
		}
	}
	if (!json_is_integer(json_object_get(m, "run")) ||
	    !json_is_array(json_object_get(m, "runs")) ||
	    json_array_size(json_object_get(m, "runs")) < 1 ||
	    json_array_size(json_object_get(m, "runs")) > 2) {
		problem(problems, MANIFEST ": $.run and $.runs (one or two "
			"runs) are required");
		return -1;
	}
	return check_files(json_object_get(m, "files"), problems);
}

int pack_verify(const char *path, const struct sign_key *key,
		struct strlist *problems, struct pack_summary *sum,
		struct err_detail *d)
{
	struct chain_run rr[2];
	int read_ok[2] = { 0, 0 };
	struct pack_read pr;
	json_error_t je;
	json_t *m = NULL, *runs, *e;
	size_t i, n;
	int r;

	memset(&pr, 0, sizeof(pr));
	memset(sum, 0, sizeof(*sum));
	pr.name = path;
	pr.problems = problems;
	r = read_pack(&pr, path, d);
	if (r < 0)
		goto out;
	if (!pr.have_manifest) {
		if (!find_item(&pr, MANIFEST))
			problem(problems, MANIFEST ": missing");
		goto out;
	}
	m = json_loadb(pr.manifest.buf, pr.manifest.len,
		       JSON_REJECT_DUPLICATES, &je);
	if (!m) {
		problem(problems, MANIFEST ": line %d column %d: %s", je.line,
			je.column, je.text);
		goto out;
	}
	if (check_manifest_form(m, problems) < 0)
		goto out;
	sum->files = pr.n;
	for (i = 0; i < pr.n; i++)
		sum->bytes += pr.v[i].size;
	compare_files(&pr, json_object_get(m, "files"), problems);
	compare_sums(&pr, json_object_get(m, "files"), problems);
	runs = json_object_get(m, "runs");
	/* (check_manifest_form(): one or two runs) */
	json_array_foreach(runs, i, e)
		read_ok[i] = check_run(e, i, &pr, sum, problems, &rr[i]) == 0;
	n = json_array_size(runs);
	if (read_ok[0] && (n == 1 || read_ok[1]))
		check_pairing(rr, n, problems);
	for (i = 0; i < n; i++)
		if (read_ok[i])
			chain_run_release(&rr[i]);
	if (sum->nruns && sum->run[0] != json_integer_value(json_object_get(
						m, "run")))
		problem(problems, MANIFEST ": $.run is not its first run");
	if (json_array_size(runs) == 2 ?
	    json_integer_value(json_object_get(m, "check")) != sum->run[1] ||
	    sum->nruns != 2 : !json_is_null(json_object_get(m, "check")))
		problem(problems, MANIFEST ": $.check is not its second run");
	check_signature(&pr, m, key, sum, problems);
out:
	json_decref(m);
	pack_read_release(&pr);
	return r;
}

/* Remove the regular files and directories under dirfd (depth-first). */
static int remove_tree(int dirfd, int depth)
{
	struct dirent *e;
	struct stat st;
	DIR *dp;
	int fd = dup(dirfd), r = 0;

	dp = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dp) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while (r == 0 && (e = readdir(dp))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			r = -errno;
		else if (S_ISDIR(st.st_mode) && depth < 8) {
			fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY |
				    O_NOFOLLOW | O_CLOEXEC);
			r = fd < 0 ? -errno : remove_tree(fd, depth + 1);
			if (fd >= 0)
				close(fd);
			if (r == 0 && unlinkat(dirfd, e->d_name, AT_REMOVEDIR) < 0)
				r = -errno;
		} else if (S_ISREG(st.st_mode)) {
			if (unlinkat(dirfd, e->d_name, 0) < 0)
				r = -errno;
		} else
			r = -EPERM;
	}
	closedir(dp);
	return r;
}

int pack_remove(const char *dir, struct err_detail *d)
{
	struct strlist problems = { NULL, 0 };
	struct pack_summary sum;
	struct stat st;
	int r, fd;

	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_set(d, "'%s' is not an evidence pack directory", dir);
		return -ENOTDIR;
	}
	r = pack_verify(dir, NULL, &problems, &sum, d);
	if (r == 0 && problems.n) {
		err_set(d, "'%s' is not an intact evidence pack (%s); it is "
			"left as it is", dir, problems.v[0]);
		r = -ERR_VERIFY;
	}
	strlist_release(&problems);
	if (r < 0)
		return r;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = fd < 0 ? -errno : remove_tree(fd, 0);
	if (fd >= 0)
		close(fd);
	if (r == 0 && rmdir(dir) < 0)
		r = -errno;
	if (r < 0)
		err_set(d, "cannot remove '%s': %s", dir, err_str(r));
	return r;
}
