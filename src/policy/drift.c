#include "policy/drift.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <jansson.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/sqlfuncs.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

/* As REGEXP compiles and limits patterns (sqlfuncs.c). */
#define RE_FLAGS (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C)
#define RE_MATCH_LIMIT 5000000
#define RE_DEPTH_LIMIT 100000
#define RE_HEAP_LIMIT_KIB 65536

/* Paths listed in a reason sentence before "and N more". */
#define REASON_PATHS 5

/* One entry of "filesystems", its selectors borrowed from the document. */
struct entry {
	json_t *spec;
	const char *id;
	const char *name;
	const char *regex;
	pcre2_code *re;
	char label[40];		/* "filesystems[3]" */
	size_t matched;
};

struct desired {
	json_t *doc;
	struct entry *v;
	size_t n;
	pcre2_match_context *mctx;
	pcre2_match_data *md;
};

static int is_selector(const char *key)
{
	return !strcmp(key, "id") || !strcmp(key, "name") ||
	       !strcmp(key, "name_regex") || !strcmp(key, "description");
}

static void desired_release(struct desired *ds)
{
	size_t i;

	for (i = 0; i < ds->n; i++)
		pcre2_code_free(ds->v[i].re);
	free(ds->v);
	pcre2_match_data_free(ds->md);
	pcre2_match_context_free(ds->mctx);
	json_decref(ds->doc);
	memset(ds, 0, sizeof(*ds));
}

/* A selector's value: absent (NULL), or a non-empty string. */
static int selector(json_t *spec, const char *key, const char *label,
		    const char **ret, struct err_detail *d)
{
	json_t *v = json_object_get(spec, key);

	*ret = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v) || !json_string_length(v)) {
		err_set(d, "'%s' must be a non-empty string", key);
		err_where(d, "%s.%s", label, key);
		return -ERR_CONFIG;
	}
	*ret = json_string_value(v);
	return 0;
}

static int entry_init(struct entry *e, json_t *spec, size_t i,
		      struct err_detail *d)
{
	const char *note;
	PCRE2_SIZE off;
	int r, err;

	e->spec = spec;
	snprintf(e->label, sizeof(e->label), "filesystems[%zu]", i);
	if (!json_is_object(spec)) {
		err_set(d, "an entry must be a JSON object");
		err_where(d, "%s", e->label);
		return -ERR_CONFIG;
	}
	if ((r = selector(spec, "id", e->label, &e->id, d)) < 0 ||
	    (r = selector(spec, "name", e->label, &e->name, d)) < 0 ||
	    (r = selector(spec, "name_regex", e->label, &e->regex, d)) < 0 ||
	    (r = selector(spec, "description", e->label, &note, d)) < 0)
		return r;
	if (!e->id && !e->name && !e->regex) {
		err_set(d, "an entry needs 'name', 'name_regex' or 'id' to "
			"select file systems");
		err_where(d, "%s", e->label);
		return -ERR_CONFIG;
	}
	if (!e->regex)
		return 0;
	r = policy_regex_check(e->regex, d);
	if (r == 0) {
		e->re = pcre2_compile((PCRE2_SPTR)e->regex,
				      PCRE2_ZERO_TERMINATED, RE_FLAGS, &err,
				      &off, NULL);
		if (!e->re) {
			err_set(d, "cannot compile regular expression '%s'",
				e->regex);
			r = -ERR_CONFIG;
		}
	}
	if (r < 0)
		err_where(d, "%s.name_regex", e->label);
	return r;
}

/*
 * Parse text into ds (released by the caller on success and failure
 * alike): the document, its entries and their compiled patterns.
 */
static int desired_parse(const char *text, size_t len, struct desired *ds,
			 struct err_detail *d)
{
	json_error_t jerr;
	json_t *list, *v;
	const char *key;
	size_t i;
	int r;

	memset(ds, 0, sizeof(*ds));
	ds->doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!ds->doc) {
		err_set(d, "desired state is not valid JSON: %s", jerr.text);
		err_where(d, "line %d, column %d", jerr.line, jerr.column);
		return -ERR_CONFIG;
	}
	if (!json_is_object(ds->doc)) {
		err_set(d, "desired state must be a JSON object with "
			"\"filesystems\"");
		return -ERR_CONFIG;
	}
	json_object_foreach(ds->doc, key, v) {
		if (!strcmp(key, "filesystems") ||
		    (!strcmp(key, "description") && json_is_string(v)))
			continue;
		err_set(d, !strcmp(key, "description") ?
			"'description' must be a string" :
			"unknown key (filesystems, description)");
		err_where(d, "%s", key);
		return -ERR_CONFIG;
	}
	list = json_object_get(ds->doc, "filesystems");
	if (!json_is_array(list)) {
		err_set(d, "desired state needs \"filesystems\": an array of "
			"entries");
		err_where(d, "filesystems");
		return -ERR_CONFIG;
	}
	ds->n = json_array_size(list);
	ds->v = xcalloc(ds->n ? ds->n : 1, sizeof(*ds->v));
	json_array_foreach(list, i, v) {
		r = entry_init(&ds->v[i], v, i, d);
		if (r < 0)
			return r;
	}
	ds->mctx = pcre2_match_context_create(NULL);
	ds->md = pcre2_match_data_create(1, NULL);
	if (!ds->mctx || !ds->md) {
		err_set(d, "cannot set up PCRE2: out of memory");
		return -ENOMEM;
	}
	pcre2_set_match_limit(ds->mctx, RE_MATCH_LIMIT);
	pcre2_set_depth_limit(ds->mctx, RE_DEPTH_LIMIT);
	pcre2_set_heap_limit(ds->mctx, RE_HEAP_LIMIT_KIB);
	return 0;
}

int drift_validate(const char *desired_json, size_t len,
		   struct err_detail *d)
{
	struct desired ds;
	int r = desired_parse(desired_json, len, &ds, d);

	desired_release(&ds);
	return r;
}

/* Does e select the file system (id, name)? 1, 0, or -ERR_CONFIG. */
static int entry_selects(struct desired *ds, struct entry *e, const char *id,
			 const char *name, struct err_detail *d)
{
	PCRE2_UCHAR text[256];
	int rc;

	if (e->id && strcasecmp(e->id, id))
		return 0;
	if (e->name && strcasecmp(e->name, name))
		return 0;
	if (!e->re)
		return 1;
	rc = pcre2_match(e->re, (PCRE2_SPTR)name, strlen(name), 0, 0, ds->md,
			 ds->mctx);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (pcre2_get_error_message(rc, text, sizeof(text)) < 0)
		text[0] = '\0';
	err_set(d, "regular expression '%s' gave up on '%s': %s", e->regex,
		name, (const char *)text);
	err_where(d, "%s.name_regex", e->label);
	return -ERR_CONFIG;
}

/* ---- comparison ---------------------------------------------------------- */

/* Append key to a path as json_tree writes it: .key or ."k-e-y". */
static int is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static void path_push(struct sbuf *path, const char *key)
{
	const char *c = key;
	json_t *s;
	char *q;

	if (path->len)
		sbuf_addch(path, '.');
	if (is_alpha(*c)) {
		for (c++; is_alpha(*c) || (*c >= '0' && *c <= '9'); c++)
			;
		if (!*c) {
			sbuf_adds(path, key);
			return;
		}
	}
	s = json_string(key);
	q = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
	sbuf_adds(path, q ? q : "\"?\"");
	free(q);
	json_decref(s);
}

/* Equal as JSON values: numbers by value, arrays in order, objects by key. */
static int same(json_t *a, json_t *b)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_number(a) && json_is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return json_number_value(a) == json_number_value(b);
	}
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach(a, i, v)
			if (!same(v, json_array_get(b, i)))
				return 0;
		return 1;
	}
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach(a, key, v) {
			json_t *w = json_object_get(b, key);

			if (!w || !same(v, w))
				return 0;
		}
		return 1;
	}
	return json_equal(a, b);
}

/* The member of o named key, ignoring ASCII case; an exact match first. */
static json_t *get_ci(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	const char *k;

	if (v)
		return v;
	json_object_foreach(o, k, v)
		if (!strcasecmp(k, key))
			return v;
	return NULL;
}

struct judgment {
	json_t *diffs;		/* [{path, desired, live}] */
	size_t checked;		/* values compared */
};

static void differs(struct judgment *j, const struct sbuf *path,
		    json_t *want, json_t *have)
{
	if (!have)
		have = json_null();
	json_array_append_new(j->diffs, json_pack("{s:s,s:O,s:O}", "path",
						  path->buf, "desired", want,
						  "live", have));
}

static void compare(struct judgment *j, struct sbuf *path, json_t *want,
		    json_t *have, int ci_keys);

/*
 * Each member of want against have's (ci_keys: tags' case rule); top:
 * want is an entry, whose selectors are skipped and whose "tags" are {}
 * when the resource has none.
 */
static void compare_members(struct judgment *j, struct sbuf *path,
			    json_t *want, json_t *have, int ci_keys,
			    int top)
{
	json_t *no_tags = json_object(), *v;
	size_t len = path->len;
	const char *key;

	json_object_foreach(want, key, v) {
		json_t *live;
		int tags = top && !strcmp(key, "tags");

		if (top && is_selector(key))
			continue;
		live = ci_keys ? get_ci(have, key) : json_object_get(have, key);
		if (tags && !live)
			live = no_tags;
		path_push(path, key);
		compare(j, path, v, live, tags);
		path->len = len;
		path->buf[len] = '\0';
	}
	json_decref(no_tags);
}

static void compare(struct judgment *j, struct sbuf *path, json_t *want,
		    json_t *have, int ci_keys)
{
	if (json_is_object(want) && json_is_object(have)) {
		compare_members(j, path, want, have, ci_keys, 0);
		return;
	}
	j->checked++;
	if (json_is_null(want) ? have && !json_is_null(have) :
	    !have || !same(want, have))
		differs(j, path, want, have);
}

/* ---- evaluation ---------------------------------------------------------- */

struct fs_item {
	const char *id;
	const char *name;
	sqlite3_int64 evidence;
	const char *raw;	/* the item's JSON, or NULL */
};

static void add_label(struct sbuf *sb, const char *label, size_t k)
{
	sbuf_adds(sb, k ? ", " : "");
	sbuf_adds(sb, label);
}

/* The reason sentence of a judgment over the entries listed in labels. */
static void reason_for(struct sbuf *sb, const struct judgment *j,
		       const char *labels)
{
	size_t n = json_array_size(j->diffs), i;

	if (!n) {
		sbuf_addf(sb, "matches the desired state of %s (%zu value%s "
			  "checked)", labels, j->checked,
			  j->checked == 1 ? "" : "s");
		return;
	}
	sbuf_addf(sb, "%zu value%s differ%s from the desired state of %s: ",
		  n, n == 1 ? "" : "s", n == 1 ? "s" : "", labels);
	for (i = 0; i < n && i < REASON_PATHS; i++)
		sbuf_addf(sb, "%s%s", i ? ", " : "", json_string_value(
				  json_object_get(json_array_get(j->diffs, i),
						  "path")));
	if (n > REASON_PATHS)
		sbuf_addf(sb, " and %zu more", n - REASON_PATHS);
}

static int judge(struct desired *ds, const struct fs_item *fs,
		 drift_row_fn cb, void *ctx, struct err_detail *d)
{
	struct judgment j = { json_array(), 0 };
	struct sbuf labels = SBUF_INIT, reason = SBUF_INIT, path = SBUF_INIT;
	json_t *names = json_array(), *live = NULL;
	struct drift_row row = { fs->id, fs->name, RULE_OK, NULL, NULL, NULL,
				 NULL };
	char *detail = NULL, *entries = NULL, evidence[32];
	unsigned char *sel = xcalloc(ds->n ? ds->n : 1, 1);
	size_t i;
	int r = 0;

	for (i = 0; i < ds->n; i++) {
		r = entry_selects(ds, &ds->v[i], fs->id, fs->name, d);
		if (r < 0)
			goto out;
		if (!r)
			continue;
		sel[i] = 1;
		ds->v[i].matched++;
		add_label(&labels, ds->v[i].label, json_array_size(names));
		json_array_append_new(names, json_string(ds->v[i].label));
	}
	r = 0;
	if (!json_array_size(names))
		goto out;	/* not judged */
	live = fs->raw ? json_loads(fs->raw, 0, NULL) : NULL;
	if (!json_is_object(live)) {
		row.status = RULE_ERROR;
		sbuf_adds(&reason, "the stored item of this file system is not "
			  "a JSON object, so it cannot be compared");
	} else {
		for (i = 0; i < ds->n; i++)
			if (sel[i])
				compare_members(&j, &path, ds->v[i].spec, live,
						0, 1);
		row.status = json_array_size(j.diffs) ? RULE_ALARM : RULE_OK;
		reason_for(&reason, &j, labels.buf);
	}
	detail = json_dumps(j.diffs, JSON_COMPACT);
	entries = json_dumps(names, JSON_COMPACT);
	snprintf(evidence, sizeof(evidence), "[%lld]", (long long)fs->evidence);
	row.reason = reason.buf;
	row.detail = detail;
	row.evidence = evidence;
	row.entries = entries;
	r = cb(ctx, &row);
out:
	free(sel);
	free(detail);
	free(entries);
	json_decref(live);
	json_decref(names);
	json_decref(j.diffs);
	sbuf_release(&labels);
	sbuf_release(&reason);
	sbuf_release(&path);
	return r;
}

/* "name 'x' and name_regex '^y'" */
static void describe_selectors(struct sbuf *sb, const struct entry *e)
{
	const char *sep = "";

	if (e->id) {
		sbuf_addf(sb, "id '%s'", e->id);
		sep = " and ";
	}
	if (e->name) {
		sbuf_addf(sb, "%sname '%s'", sep, e->name);
		sep = " and ";
	}
	if (e->regex)
		sbuf_addf(sb, "%sname_regex '%s'", sep, e->regex);
}

static int report_unmatched(struct desired *ds, sqlite3_int64 run_id,
			    drift_row_fn cb, void *ctx)
{
	struct drift_row row = { NULL, NULL, RULE_ERROR, NULL, "[]", NULL,
				 NULL };
	struct sbuf reason = SBUF_INIT, entries = SBUF_INIT;
	size_t i;
	int r = 0;

	for (i = 0; i < ds->n && r >= 0; i++) {
		if (ds->v[i].matched)
			continue;
		sbuf_reset(&reason);
		sbuf_reset(&entries);
		sbuf_addf(&reason, "no file system in run %lld matches %s (",
			  (long long)run_id, ds->v[i].label);
		describe_selectors(&reason, &ds->v[i]);
		sbuf_adds(&reason, ")");
		sbuf_addf(&entries, "[\"%s\"]", ds->v[i].label);
		row.reason = reason.buf;
		row.entries = entries.buf;
		r = cb(ctx, &row);
	}
	sbuf_release(&reason);
	sbuf_release(&entries);
	return r;
}

static int sql_fail(sqlite3 *db, const char *what, struct err_detail *d)
{
	err_set(d, "%s: %s", what, sqlite3_errmsg(db));
	return -ERR_SQL;
}

static int run_exists(sqlite3 *db, sqlite3_int64 run_id,
		      struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM runs WHERE id = ?1", -1,
			       &st, NULL) != SQLITE_OK)
		return sql_fail(db, "cannot read runs", d);
	sqlite3_bind_int64(st, 1, run_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r = 0;
	} else if (rc == SQLITE_DONE) {
		err_set(d, "there is no run %lld", (long long)run_id);
		r = -ERR_NOT_FOUND;
	} else {
		r = sql_fail(db, "cannot read runs", d);
	}
	sqlite3_finalize(st);
	return r;
}

/* The file systems of a run with their stored items, in inventory order. */
static const char fs_sql[] =
	"SELECT f.resource_id, f.name, f.evidence_id, r.raw_json "
	"FROM filesystems f "
	"LEFT JOIN raw_items r ON r.run_id = f.run_id AND r.kind = 'fs' "
	" AND r.resource_key = f.resource_key "
	"WHERE f.run_id = ?1 "
	"ORDER BY f.subscription_id, lower(f.resource_group), lower(f.name), "
	" f.resource_key";

int drift_eval(sqlite3 *db, sqlite3_int64 run_id, const char *desired_json,
	       size_t len, drift_row_fn cb, void *ctx, struct err_detail *d)
{
	struct desired ds;
	sqlite3_stmt *st = NULL;
	struct fs_item fs;
	int r, rc;

	r = desired_parse(desired_json, len, &ds, d);
	if (r < 0)
		goto out;
	r = run_exists(db, run_id, d);
	if (r < 0)
		goto out;
	if (sqlite3_prepare_v2(db, fs_sql, -1, &st, NULL) != SQLITE_OK) {
		r = sql_fail(db, "cannot read file systems", d);
		goto out;
	}
	sqlite3_bind_int64(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fs.id = (const char *)sqlite3_column_text(st, 0);
		fs.name = (const char *)sqlite3_column_text(st, 1);
		fs.evidence = sqlite3_column_int64(st, 2);
		fs.raw = (const char *)sqlite3_column_text(st, 3);
		r = judge(&ds, &fs, cb, ctx, d);
		if (r < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = sql_fail(db, "cannot read file systems", d);
		goto out;
	}
	r = report_unmatched(&ds, run_id, cb, ctx);
out:
	sqlite3_finalize(st);
	desired_release(&ds);
	return r;
}
