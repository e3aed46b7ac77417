#include "policy/rules.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#define RULE_FILE_MAX (1024 * 1024)

static const char *const severity_names[] = {
	[SEVERITY_INFO] = "info",
	[SEVERITY_LOW] = "low",
	[SEVERITY_MEDIUM] = "medium",
	[SEVERITY_HIGH] = "high",
	[SEVERITY_CRITICAL] = "critical",
};

static const char *const status_names[] = {
	[RULE_OK] = "ok",
	[RULE_ALARM] = "alarm",
	[RULE_SKIP] = "skip",
	[RULE_ERROR] = "error",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *rule_severity_name(enum rule_severity s)
{
	return (size_t)s < COUNT(severity_names) ? severity_names[s] : "?";
}

const char *rule_status_name(enum rule_status s)
{
	return (size_t)s < COUNT(status_names) ? status_names[s] : "?";
}

int rule_severity_parse(const char *s, enum rule_severity *ret)
{
	size_t i;

	for (i = 0; s && i < COUNT(severity_names); i++) {
		if (!strcmp(s, severity_names[i])) {
			*ret = (enum rule_severity)i;
			return 0;
		}
	}
	return -ERR_CONFIG;
}

static int status_parse(const char *s, enum rule_status *ret)
{
	size_t i;

	for (i = 0; s && i < COUNT(status_names); i++) {
		if (!strcmp(s, status_names[i])) {
			*ret = (enum rule_status)i;
			return 0;
		}
	}
	return -ERR_CONFIG;
}

/* ---- the header ---------------------------------------------------------- */

enum hkey { K_ID, K_TITLE, K_SEVERITY, K_RATIONALE, K_REMEDIATION, K_PARAM,
	    K_READS, K_SCOPE, K_COUNT };

static const char *const hkey_names[K_COUNT] = {
	"id", "title", "severity", "rationale", "remediation", "param", "reads",
	"scope",
};

struct parser {
	const char *name;
	int line;
	struct rule r;
	char *reads;		/* raw, split at the end */
	char **last;		/* the field a continuation line extends */
	unsigned seen;		/* 1 << enum hkey */
	struct err_detail *d;
};

static int header_error(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int header_error(struct parser *p, const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	err_set(p->d, "%s", sb.buf);
	err_where(p->d, "%s:%d", p->name, p->line);
	sbuf_release(&sb);
	return -ERR_CONFIG;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_ident(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

static char *trim_dup(const char *s, size_t n)
{
	while (n && is_space(*s)) {
		s++;
		n--;
	}
	while (n && is_space(s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* Append " s" (trimmed) to *dst. */
static void append(char **dst, const char *s, size_t n)
{
	char *add = trim_dup(s, n);
	size_t old = strlen(*dst), len = strlen(add);

	*dst = xrealloc(*dst, old + len + 2);
	if (old)
		(*dst)[old++] = ' ';
	memcpy(*dst + old, add, len + 1);
	free(add);
}

/* Where a value's trailing comment starts: a tab or two spaces. */
static size_t value_end(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\t' || (s[i] == ' ' && i + 1 < n && s[i + 1] == ' '))
			return i;
	return n;
}

static int valid_id(const char *s)
{
	const char *p;

	if (!*s || strlen(s) > 64 || *s == '-')
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '-'))
			return 0;
	return 1;
}

/* A quoted value 'a''b' at s; *ret_used is how much of s it took. */
static int quoted_value(const char *s, size_t n, char **ret, size_t *ret_used)
{
	struct sbuf sb = SBUF_INIT;
	size_t i;

	for (i = 1; i < n; i++) {
		if (s[i] == '\'') {
			if (i + 1 < n && s[i + 1] == '\'') {
				sbuf_addch(&sb, '\'');
				i++;
				continue;
			}
			*ret = sbuf_detach(&sb, NULL);
			*ret_used = i + 1;
			return 0;
		}
		sbuf_addch(&sb, s[i]);
	}
	sbuf_release(&sb);
	return -ERR_CONFIG;
}

/* "NAME = VALUE  DESCRIPTION" */
static int parse_param(struct parser *p, const char *s, size_t n)
{
	struct rule_param_decl pd = { NULL, NULL, NULL, p->line };
	size_t i = 0, j, used;
	int r = 0;

	while (i < n && is_ident(s[i], i == 0))
		i++;
	if (!i)
		return header_error(p, "expected 'param: NAME = VALUE  "
				    "DESCRIPTION'");
	pd.name = xstrndup(s, i);
	while (i < n && is_space(s[i]))
		i++;
	if (i == n || s[i] != '=') {
		r = header_error(p, "expected '=' after parameter '%s'", pd.name);
		goto out;
	}
	for (i++; i < n && is_space(s[i]); i++)
		;
	if (i < n && s[i] == '\'') {
		if (quoted_value(s + i, n - i, &pd.value, &used) < 0) {
			r = header_error(p, "unterminated quote in the value of "
					 "parameter '%s'", pd.name);
			goto out;
		}
		i += used;
	} else {
		j = value_end(s + i, n - i);
		pd.value = trim_dup(s + i, j);
		i += j;
	}
	pd.description = trim_dup(s + i, n - i);
	for (j = 0; j < p->r.n_params; j++)
		if (!strcmp(p->r.params[j].name, pd.name))
			r = header_error(p, "duplicate parameter '%s'", pd.name);
	if (!strcmp(pd.name, "run"))
		r = header_error(p, "parameter name 'run' is reserved");
	if (r < 0)
		goto out;
	p->r.params = xrealloc(p->r.params,
			       (p->r.n_params + 1) * sizeof(*p->r.params));
	p->r.params[p->r.n_params++] = pd;
	p->last = &p->r.params[p->r.n_params - 1].description;
	return 0;
out:
	free(pd.name);
	free(pd.value);
	free(pd.description);
	return r;
}

/* id and severity: one word, then perhaps a comment after two spaces. */
static char *word_value(const char *s, size_t n)
{
	return trim_dup(s, value_end(s, n));
}

static int parse_field(struct parser *p, enum hkey k, const char *s, size_t n)
{
	char *v;

	while (n && is_space(*s)) {
		s++;
		n--;
	}
	if (k != K_PARAM && (p->seen & (1u << k)))
		return header_error(p, "duplicate '%s' in the rule header",
				    hkey_names[k]);
	p->seen |= 1u << k;
	p->last = NULL;
	switch (k) {
	case K_ID:
		v = word_value(s, n);
		if (!valid_id(v)) {
			header_error(p, "bad rule id '%s' (use lower-case letters, "
				     "digits and '-')", v);
			free(v);
			return -ERR_CONFIG;
		}
		p->r.id = v;
		return 0;
	case K_SEVERITY:
		v = word_value(s, n);
		if (rule_severity_parse(v, &p->r.severity) < 0) {
			header_error(p, "bad severity '%s' (expected info, low, "
				     "medium, high or critical)", v);
			free(v);
			return -ERR_CONFIG;
		}
		free(v);
		return 0;
	case K_PARAM:
		return parse_param(p, s, n);
	case K_SCOPE:
		v = word_value(s, n);
		if (strcmp(v, "filesystem") && strcmp(v, "estate")) {
			header_error(p, "bad scope '%s' (expected filesystem or "
				     "estate)", v);
			free(v);
			return -ERR_CONFIG;
		}
		p->r.per_filesystem = !strcmp(v, "filesystem");
		free(v);
		return 0;
	case K_TITLE:
		p->last = &p->r.title;
		break;
	case K_RATIONALE:
		p->last = &p->r.rationale;
		break;
	case K_REMEDIATION:
		p->last = &p->r.remediation;
		break;
	case K_READS:
		p->last = &p->reads;
		break;
	case K_COUNT:
		return -ERR_CONFIG;
	}
	*p->last = trim_dup(s, n);
	if (k == K_TITLE && !**p->last)
		return header_error(p, "empty 'title' in the rule header");
	return 0;
}

/*
 * One `--` line of the header (s: what follows the dashes). 1 when it is
 * a bare `--`, which ends the header.
 */
static int header_line(struct parser *p, const char *s, size_t n)
{
	size_t i, k;

	for (i = 0; i < n && is_space(s[i]); i++)
		;
	if (i == n)
		return 1;		/* a bare "--" ends the header */
	if (s[0] == '\t' || (n > 1 && s[0] == ' ' && s[1] == ' ')) {
		if (!p->last)
			return header_error(p, "continuation line with no field "
					    "above it");
		append(p->last, s, n);
		return 0;
	}
	if (s[0] != ' ')
		return header_error(p, "expected '-- key: value' in the rule "
				    "header");
	for (i = 1; i < n && s[i] >= 'a' && s[i] <= 'z'; i++)
		;
	if (i == 1 || i == n || s[i] != ':')
		return header_error(p, "expected '-- key: value' in the rule "
				    "header");
	for (k = 0; k < K_COUNT; k++)
		if (strlen(hkey_names[k]) == i - 1 &&
		    !memcmp(hkey_names[k], s + 1, i - 1))
			return parse_field(p, (enum hkey)k, s + i + 1, n - i - 1);
	return header_error(p, "unknown key '%.*s' in the rule header",
			    (int)(i - 1), s + 1);
}

static int split_reads(struct parser *p)
{
	const char *s = p->reads, *e;

	while (s && *s) {
		char *v;

		e = strchr(s, ',');
		if (!e)
			e = s + strlen(s);
		v = trim_dup(s, (size_t)(e - s));
		if (*v) {
			p->r.reads = xrealloc(p->r.reads, (p->r.n_reads + 1) *
					      sizeof(*p->r.reads));
			p->r.reads[p->r.n_reads++] = v;
		} else {
			free(v);
		}
		s = *e ? e + 1 : e;
	}
	return 0;
}

void rule_release(struct rule *r)
{
	size_t i;

	if (!r)
		return;
	free(r->id);
	free(r->title);
	free(r->rationale);
	free(r->remediation);
	for (i = 0; i < r->n_params; i++) {
		free(r->params[i].name);
		free(r->params[i].value);
		free(r->params[i].description);
	}
	free(r->params);
	for (i = 0; i < r->n_reads; i++)
		free(r->reads[i]);
	free(r->reads);
	free(r->path);
	free(r->sql);
	query_origin_release(&r->origin);
	memset(r, 0, sizeof(*r));
}

int rule_parse(const char *name, const char *text, size_t len,
	       struct rule *ret, struct err_detail *d)
{
	struct parser p = { name, 0, { 0 }, NULL, NULL, 0, d };
	const char *s = text, *end = text + len, *eol;
	int r = 0;
	size_t k;

	while (s < end && r == 0 && !p.r.body_line) {
		eol = memchr(s, '\n', (size_t)(end - s));
		if (!eol)
			eol = end;
		p.line++;
		if (eol - s < 2 || s[0] != '-' || s[1] != '-') {
			p.r.body_line = p.line;
			break;
		}
		r = header_line(&p, s + 2, (size_t)(eol - s - 2));
		s = eol + 1;
		if (r > 0) {
			p.r.body_line = p.line + 1;
			r = 0;
		}
	}
	if (!p.r.body_line)
		p.r.body_line = p.line + 1;
	for (k = 0; r == 0 && k <= K_SEVERITY; k++) {
		if (!(p.seen & (1u << k))) {
			p.line = 1;
			r = header_error(&p, "rule header has no '%s'",
					 hkey_names[k]);
		}
	}
	if (r == 0)
		r = split_reads(&p);
	free(p.reads);
	if (r < 0) {
		rule_release(&p.r);
		return r;
	}
	p.r.path = xstrdup(name);
	p.r.sql = xstrndup(text, len);
	*ret = p.r;
	return 0;
}

/* ---- loading a directory ------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the *.sql files in dir, sorted; the caller frees them. */
static int list_sql(const char *dir, char ***ret, size_t *ret_n,
		    struct err_detail *d)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, len;

	if (!dh) {
		int r = -errno;

		err_set(d, "cannot open rule directory: %s", err_str(r));
		err_where(d, "%s", dir);
		return r;
	}
	while ((de = readdir(dh))) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 ||
		    strcmp(de->d_name + len - 4, ".sql"))
			continue;
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = xstrdup(de->d_name);
	}
	closedir(dh);
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The line of "-- id:" in a rule's text. */
static int id_line(const struct rule *r)
{
	const char *s = r->sql;
	int line = 1;

	for (; *s; line++) {
		if (!strncmp(s, "-- id:", 6))
			return line;
		s = strchr(s, '\n');
		if (!s)
			break;
		s++;
	}
	return 1;
}

/* Read dir/name: its includes (a shared part such as
 * cost-per-tib.sql.inc) are files of dir. */
static int load_one(struct rule_set *set, const char *dir, const char *name,
		    struct err_detail *d)
{
	struct sbuf text = SBUF_INIT;
	struct query_origin origin = { NULL, 0 };
	struct rule rule;
	const struct rule *other;
	char *path = fs_join(dir, name);
	int r;

	sbuf_init(&text, RULE_FILE_MAX);
	r = fs_read_file(path, &text);
	if (r < 0) {
		err_set(d, "cannot read rule file: %s", err_str(r));
		err_where(d, "%s", path);
		goto out;
	}
	r = query_expand_includes(dir, path, &text, &origin, d);
	if (r < 0) {
		r = -ERR_CONFIG;	/* the rule file is at fault */
		goto out;
	}
	r = rule_parse(path, text.buf, text.len, &rule, d);
	if (r < 0)
		goto out;
	rule.origin = origin;
	origin.v = NULL;
	origin.n = 0;
	other = rule_set_find(set, rule.id);
	if (other) {
		err_set(d, "duplicate rule id '%s' (also in %s)", rule.id,
			other->path);
		query_origin_where(&rule.origin, path, id_line(&rule), d);
		rule_release(&rule);
		r = -ERR_CONFIG;
		goto out;
	}
	set->v = xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
	set->v[set->n++] = rule;
out:
	query_origin_release(&origin);
	sbuf_release(&text);
	free(path);
	return r;
}

int rules_load_dir(const char *dir, struct rule_set **ret,
		   struct err_detail *d)
{
	struct rule_set *set = xcalloc(1, sizeof(*set));
	char **names = NULL;
	size_t i, n = 0;
	int r;

	r = list_sql(dir, &names, &n, d);
	for (i = 0; r == 0 && i < n; i++)
		r = load_one(set, dir, names[i], d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (r < 0) {
		rule_set_free(set);
		return r;
	}
	*ret = set;
	return 0;
}

void rule_set_free(struct rule_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++)
		rule_release(&set->v[i]);
	free(set->v);
	free(set);
}

const struct rule *rule_set_find(const struct rule_set *set, const char *id)
{
	size_t i;

	for (i = 0; set && id && i < set->n; i++)
		if (!strcmp(set->v[i].id, id))
			return &set->v[i];
	return NULL;
}

/* ---- evaluation ---------------------------------------------------------- */

enum { C_RESOURCE, C_STATUS, C_REASON, C_EVIDENCE, C_DETAIL, C_COUNT };

static const char *const column_names[C_COUNT] = {
	"resource_id", "status", "reason", "evidence", "detail",
};

static int line_at(const char *sql, size_t off)
{
	int line = 1;
	size_t i;

	for (i = 0; i < off && sql[i]; i++)
		line += sql[i] == '\n';
	return line;
}

/* What follows a statement: only blanks, ';' and comments may. */
static const char *skip_trailer(const char *s)
{
	for (;;) {
		while (is_space(*s) || *s == ';')
			s++;
		if (s[0] == '-' && s[1] == '-') {
			s = strchr(s, '\n');
			if (!s)
				return "";
		} else if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");

			if (!e)
				return "";
			s = e + 2;
		} else {
			return s;
		}
	}
}

static int rule_error(const struct rule *r, int line, struct err_detail *d,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* d: "rule 'ID': ..." at the rule's file (and line when > 0). */
static int rule_error(const struct rule *r, int line, struct err_detail *d,
		      const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	va_list ap;

	sbuf_addf(&sb, "rule '%s': ", r->id);
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	err_set(d, "%s", sb.buf);
	sbuf_release(&sb);
	if (line > 0)
		query_origin_where(&r->origin, r->path, line, d);
	else
		err_where(d, "%s", r->path);
	return -ERR_CONFIG;
}

static int prepare_rule(sqlite3 *db, const struct rule *r, sqlite3_stmt **ret,
			struct err_detail *d)
{
	const char *tail = NULL, *rest;
	int off;

	if (sqlite3_prepare_v2(db, r->sql, -1, ret, &tail) != SQLITE_OK) {
#if SQLITE_VERSION_NUMBER >= 3038000
		off = sqlite3_error_offset(db);
#else
		off = -1;
#endif
		rule_error(r, off >= 0 ? line_at(r->sql, (size_t)off) : 0, d,
			   "cannot prepare: %s", sqlite3_errmsg(db));
		return -ERR_SQL;
	}
	if (!*ret)
		return rule_error(r, 0, d, "holds no SQL statement");
	rest = skip_trailer(tail ? tail : "");
	if (*rest)
		return rule_error(r, line_at(r->sql, (size_t)(rest - r->sql)), d,
				  "holds more than one statement (one a "
				  "file)");
	if (!sqlite3_stmt_readonly(*ret))
		return rule_error(r, r->body_line, d, "refused: the statement "
				  "is not read-only");
	return 0;
}

static int find_columns(const struct rule *r, sqlite3_stmt *st,
			int cols[C_COUNT], struct err_detail *d)
{
	int i, k, n = sqlite3_column_count(st);

	for (k = 0; k < C_COUNT; k++) {
		cols[k] = -1;
		for (i = 0; i < n; i++)
			if (!strcmp(sqlite3_column_name(st, i), column_names[k]))
				cols[k] = i;
		if (cols[k] < 0 && k != C_DETAIL)
			return rule_error(r, r->body_line, d, "returns no column "
					  "'%s'", column_names[k]);
	}
	return 0;
}

/*
 * Bind a decimal number as a number: "7", "-1", "0.5" (no exponent, no
 * leading zeros, at most 15 digits so it is exact); anything else as text.
 */
static int bind_value(sqlite3_stmt *st, int i, const char *v)
{
	const char *p = v + (*v == '-');
	int64_t mant = 0, scale = 1;
	int digits = 0, point = 0;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		goto text;
	for (; *p; p++) {
		if (*p == '.' && !point && p[1] >= '0' && p[1] <= '9') {
			point = 1;
			continue;
		}
		if (*p < '0' || *p > '9' || ++digits > 15)
			goto text;
		mant = mant * 10 + (*p - '0');
		if (point)
			scale *= 10;
	}
	if (*v == '-')
		mant = -mant;
	if (!point)
		return sqlite3_bind_int64(st, i, mant);
	return sqlite3_bind_double(st, i, (double)mant / (double)scale);
text:
	return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* The line where :name first appears after the header. */
static int param_line(const struct rule *r, const char *name)
{
	const char *s = r->sql, *hit;
	size_t n = strlen(name);

	while ((hit = strstr(s, name))) {
		if (!is_ident(hit[n], 0) &&
		    line_at(r->sql, (size_t)(hit - r->sql)) >= r->body_line)
			return line_at(r->sql, (size_t)(hit - r->sql));
		s = hit + 1;
	}
	return r->body_line;
}

static const char *param_value(const struct rule *r, const char *name,
			       const struct rule_param *ov, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(ov[i].name, name))
			return ov[i].value ? ov[i].value : "";
	for (i = 0; i < r->n_params; i++)
		if (!strcmp(r->params[i].name, name))
			return r->params[i].value;
	return NULL;
}

static int bind_params(const struct rule *r, sqlite3_stmt *st,
		       sqlite3_int64 run_id, const struct rule_param *ov,
		       size_t n, struct err_detail *d)
{
	const char *name, *value;
	size_t i;
	int k;

	for (i = 0; i < n; i++)
		if (!param_value(r, ov[i].name, NULL, 0))
			return rule_error(r, 0, d, "has no parameter '%s'",
					  ov[i].name);
	for (k = 1; k <= sqlite3_bind_parameter_count(st); k++) {
		name = sqlite3_bind_parameter_name(st, k);
		if (!name || name[0] != ':')
			return rule_error(r, r->body_line, d, "parameter '%s' "
					  "is not of the form :name",
					  name ? name : "?");
		if (!strcmp(name, ":run")) {
			sqlite3_bind_int64(st, k, run_id);
			continue;
		}
		value = param_value(r, name + 1, ov, n);
		if (!value)
			return rule_error(r, param_line(r, name), d,
					  "unknown parameter '%s' (declare it "
					  "with '-- param: %s = ...')", name,
					  name + 1);
		if (bind_value(st, k, value) != SQLITE_OK)
			return rule_error(r, 0, d, "cannot bind '%s'", name);
	}
	return 0;
}

static int valid_evidence(const char *s)
{
	json_t *j = json_loads(s, 0, NULL), *v;
	size_t i;
	int ok = json_is_array(j);

	json_array_foreach(j, i, v)
		ok = ok && json_is_integer(v);
	json_decref(j);
	return ok;
}

static int valid_json(const char *s)
{
	json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);
	int ok = j != NULL;

	json_decref(j);
	return ok;
}

static const char *col_text(sqlite3_stmt *st, int col)
{
	if (col < 0 || sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	return (const char *)sqlite3_column_text(st, col);
}

/*
 * The first of the row's text columns that is not UTF-8 (a NUL inside
 * counts), or -1: findings are printed as JSON, CSV and Markdown, which
 * hold text only.
 */
static int bad_text_column(sqlite3_stmt *st, const int cols[C_COUNT])
{
	const char *s;
	int k;

	for (k = 0; k < C_COUNT; k++) {
		s = col_text(st, cols[k]);
		if (s && !utf8_valid(s, (size_t)sqlite3_column_bytes(st,
								      cols[k])))
			return k;
	}
	return -1;
}

static int read_row(const struct rule *r, sqlite3_stmt *st,
		    const int cols[C_COUNT], struct rule_row *row,
		    struct err_detail *d)
{
	const char *status = col_text(st, cols[C_STATUS]);
	int bad = bad_text_column(st, cols);

	if (bad >= 0)
		return rule_error(r, 0, d, "returned a '%s' that is not UTF-8 "
				  "text", column_names[bad]);
	row->resource_id = col_text(st, cols[C_RESOURCE]);
	row->reason = col_text(st, cols[C_REASON]);
	row->evidence = col_text(st, cols[C_EVIDENCE]);
	row->detail = col_text(st, cols[C_DETAIL]);
	if (!row->resource_id || !*row->resource_id)
		return rule_error(r, 0, d, "returned a row with no "
				  "resource_id");
	if (status_parse(status, &row->status) < 0)
		return rule_error(r, 0, d, "returned status '%s' for '%s' "
				  "(expected ok, alarm, skip or error)",
				  status ? status : "NULL", row->resource_id);
	if (!row->reason || !*row->reason)
		return rule_error(r, 0, d, "returned no reason for '%s'",
				  row->resource_id);
	if (row->evidence && !valid_evidence(row->evidence))
		return rule_error(r, 0, d, "returned evidence for '%s' that is "
				  "not a JSON array of evidence ids: %s",
				  row->resource_id, row->evidence);
	if (row->detail && !valid_json(row->detail))
		return rule_error(r, 0, d, "returned detail for '%s' that is "
				  "not JSON", row->resource_id);
	return 0;
}

int rule_eval(sqlite3 *db, const struct rule *r, sqlite3_int64 run_id,
	      const struct rule_param *overrides, size_t n, rule_row_fn cb,
	      void *ctx, struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	struct rule_row row;
	int cols[C_COUNT], rc, ret;

	ret = prepare_rule(db, r, &st, d);
	if (ret == 0)
		ret = find_columns(r, st, cols, d);
	if (ret == 0)
		ret = bind_params(r, st, run_id, overrides, n, d);
	if (ret < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = read_row(r, st, cols, &row, d);
		if (ret == 0)
			ret = cb(ctx, r, &row);
		if (ret < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		rule_error(r, 0, d, "failed: %s", sqlite3_errmsg(db));
		ret = -ERR_SQL;
	}
out:
	sqlite3_finalize(st);
	return ret;
}
