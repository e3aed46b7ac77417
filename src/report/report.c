#include "report/report.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "report/builtin.h"
#include "report/csv.h"
#include "report/mustache.h"
#include "report/xlsx.h"
#include "store/query.h"
#include "util/fs.h"
#include "util/timeutil.h"
#include "util/num.h"
#include "util/xalloc.h"

#define REPORT_MAX_DEF ((size_t)1 << 20)	/* a definition file */
#define REPORT_MAX_TEMPLATE ((size_t)16 << 20)	/* a template or partial */
#define REPORT_MAX_FORMAT 100			/* Excel keeps 127 bytes */

/* Where a definition is being read, for errors. */
struct loader {
	const char *path;
	struct err_detail *d;
};

static int bad(struct loader *l, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An error at JSON path at ("$.sheets[0].name") of the file. */
static int bad(struct loader *l, const char *at, const char *fmt, ...)
{
	char msg[sizeof(l->d->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(l->d, "%s", msg);
	err_where(l->d, "%s: %s", l->path, at);
	return -ERR_CONFIG;
}

static int bad_key(struct loader *l, const char *at, const char *key,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* An error at member key of the object at JSON path at. */
static int bad_key(struct loader *l, const char *at, const char *key,
		   const char *fmt, ...)
{
	char msg[sizeof(l->d->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(l->d, "%s", msg);
	err_where(l->d, "%s: %s.%s", l->path, at, key);
	return -ERR_CONFIG;
}

/* Every key of o is one of allowed (NULL-terminated), "comment" or "_...". */
static int check_keys(struct loader *l, json_t *o, const char *at,
		      const char *const *allowed)
{
	const char *key;
	const char *const *a;
	json_t *v;

	json_object_foreach(o, key, v) {
		if (key[0] == '_' || !strcmp(key, "comment"))
			continue;
		for (a = allowed; *a; a++)
			if (!strcmp(*a, key))
				break;
		if (!*a)
			return bad_key(l, at, key, "unknown key '%s'", key);
	}
	return 0;
}

/* A string member: *ret a copy, or NULL when absent and not required. */
static int get_string(struct loader *l, json_t *o, const char *key,
		      const char *at, int required, char **ret)
{
	json_t *v = json_object_get(o, key);

	*ret = NULL;
	if (!v && !required)
		return 0;
	if (!json_is_string(v) || !json_string_length(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return bad_key(l, at, key, "'%s' must be a %sstring", key,
			       v ? "non-empty " : "");
	*ret = xstrdup(json_string_value(v));
	return 0;
}

static int get_bool(struct loader *l, json_t *o, const char *key,
		    const char *at, int dflt, int *ret)
{
	json_t *v = json_object_get(o, key);

	if (!v) {
		*ret = dflt;
		return 0;
	}
	if (!json_is_boolean(v))
		return bad_key(l, at, key, "'%s' must be true or false", key);
	*ret = json_is_true(v);
	return 0;
}

/* One of names (NULL-terminated) as its index into *ret; dflt if absent. */
static int get_enum(struct loader *l, json_t *o, const char *key,
		    const char *at, const char *const *names, int dflt, int *ret)
{
	json_t *v = json_object_get(o, key);
	struct sbuf list = SBUF_INIT;
	int i, r;

	if (!v) {
		*ret = dflt;
		return 0;
	}
	for (i = 0; json_is_string(v) && names[i]; i++)
		if (!strcmp(names[i], json_string_value(v))) {
			*ret = i;
			return 0;
		}
	for (i = 0; names[i]; i++)
		sbuf_addf(&list, "%s'%s'", i ? ", " : "", names[i]);
	r = bad_key(l, at, key, "'%s' must be one of %s", key, list.buf);
	sbuf_release(&list);
	return r;
}

/* A path under queries/ or templates/: relative, no "..". */
static int safe_relpath(const char *s)
{
	const char *p = s;

	if (!*s || *s == '/' || strchr(s, '\\'))
		return 0;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 2 && !strncmp(p, "..", 2)) ||
		    (n == 1 && *p == '.'))
			return 0;
		p += n;
		p += *p == '/';
	}
	return s[strlen(s) - 1] != '/';
}

/* [A-Za-z_][A-Za-z0-9_]* */
static int identifier(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	return !s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_")];
}

/* Excel's rules for a sheet name; NULL when fine, else why not. */
static const char *sheet_name_problem(const char *s)
{
	size_t n = 0;
	const char *p;

	for (p = s; *p; p++)
		n += ((unsigned char)*p & 0xc0) != 0x80;
	if (n == 0 || n > 31)
		return "must be 1 to 31 characters";
	if (s[strcspn(s, "[]:*?/\\")])
		return "may not contain any of []:*?/\\";
	if (s[0] == '\'' || s[strlen(s) - 1] == '\'')
		return "may not start or end with '";
	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20)
			return "may not contain control characters";
	return NULL;
}

static const struct report_dataset *find_dataset(const struct report_def *def,
						 const char *name)
{
	size_t i;

	for (i = 0; i < def->ndatasets; i++)
		if (!strcmp(def->datasets[i].name, name))
			return &def->datasets[i];
	return NULL;
}

static const struct report_column *find_column(const struct report_sheet *sh,
					       const char *field)
{
	size_t j;

	for (j = 0; j < sh->ncolumns; j++)
		if (!strcmp(sh->columns[j].field, field))
			return &sh->columns[j];
	return NULL;
}

/* A dataset named before ds (the ones that run earlier). */
static int earlier_dataset(const struct report_def *def,
			   const struct report_dataset *ds, const char *name)
{
	const struct report_dataset *e;

	for (e = def->datasets; e < ds; e++)
		if (!strcmp(e->name, name))
			return 1;
	return 0;
}

/* "bind": {":param": "dataset.column", ...} of a query dataset. */
static int load_bind(struct loader *l, json_t *o, const char *at,
		     const struct report_def *def, struct report_dataset *ds)
{
	const char *key, *val, *dot;
	char sub[820];
	size_t n = json_object_size(o);
	json_t *v;

	if (!json_is_object(o))
		return bad(l, at, "'bind' must be an object of \":param\": "
			   "\"dataset.column\"");
	ds->bind_param = xcalloc(n + 1, sizeof(char *));
	ds->bind_dataset = xcalloc(n + 1, sizeof(char *));
	ds->bind_column = xcalloc(n + 1, sizeof(char *));
	json_object_foreach(o, key, v) {
		snprintf(sub, sizeof(sub), "%s.%.200s", at, key);
		if (key[0] != ':' || !identifier(key + 1))
			return bad(l, sub, "a parameter is ':' and a name");
		val = json_string_value(v);
		dot = val ? strchr(val, '.') : NULL;
		if (!dot || !dot[1])
			return bad(l, sub, "must be \"dataset.column\"");
		ds->bind_param[ds->nbind] = xstrdup(key);
		ds->bind_dataset[ds->nbind] = xstrndup(val, (size_t)(dot - val));
		ds->bind_column[ds->nbind] = xstrdup(dot + 1);
		ds->nbind++;
		if (!earlier_dataset(def, ds, ds->bind_dataset[ds->nbind - 1]))
			return bad(l, sub, "no dataset '%s' before this one",
				   ds->bind_dataset[ds->nbind - 1]);
	}
	return 0;
}

/* A dataset given as an object: a bound query, a pivot or a built-in. */
static int load_derived(struct loader *l, json_t *o, const char *at,
			const struct report_def *def,
			struct report_dataset *ds)
{
	static const char *const keys[] = {
		"query", "bind", "pivot", "rows", "columns", "value",
		"builtin", NULL
	};
	json_t *rows, *v;
	char sub[600];
	size_t i;
	int r;

	r = check_keys(l, o, at, keys);
	if (r < 0)
		return r;
	if (!!json_object_get(o, "query") + !!json_object_get(o, "pivot") +
	    !!json_object_get(o, "builtin") != 1)
		return bad(l, at, "a dataset object has one of 'query', "
			   "'pivot' or 'builtin'");
	if (json_object_get(o, "builtin")) {
		ds->kind = REPORT_DS_BUILTIN;
		r = get_string(l, o, "builtin", at, 1, &ds->builtin);
		if (r == 0 && (json_object_size(o) != 1 ||
			       !report_builtin_known(ds->builtin)))
			r = bad(l, at, "a built-in dataset is {\"builtin\": "
				"\"verify\"} or {\"builtin\": \"chain\"} "
				"alone");
		return r;
	}
	if (json_object_get(o, "query")) {
		r = get_string(l, o, "query", at, 1, &ds->query);
		snprintf(sub, sizeof(sub), "%s.query", at);
		if (r == 0 && !safe_relpath(ds->query))
			r = bad(l, sub, "must be a query's path under "
				"queries/ (relative, without '..')");
		snprintf(sub, sizeof(sub), "%s.bind", at);
		if (r == 0 && json_object_get(o, "bind"))
			r = load_bind(l, json_object_get(o, "bind"), sub, def,
				      ds);
		if (r == 0 && (json_object_get(o, "rows") ||
			       json_object_get(o, "columns") ||
			       json_object_get(o, "value")))
			r = bad(l, at, "'rows', 'columns' and 'value' are "
				"for a pivot");
		return r;
	}
	ds->kind = REPORT_DS_PIVOT;
	r = get_string(l, o, "pivot", at, 1, &ds->pivot_source);
	snprintf(sub, sizeof(sub), "%s.pivot", at);
	if (r == 0 && !earlier_dataset(def, ds, ds->pivot_source))
		r = bad(l, sub, "no dataset '%s' before this one",
			ds->pivot_source);
	if (r == 0)
		r = get_string(l, o, "columns", at, 1, &ds->pivot_columns);
	if (r == 0)
		r = get_string(l, o, "value", at, 1, &ds->pivot_value);
	if (r == 0 && json_object_get(o, "bind"))
		r = bad(l, at, "'bind' is for a query");
	rows = json_object_get(o, "rows");
	snprintf(sub, sizeof(sub), "%s.rows", at);
	if (r == 0 && (!json_is_array(rows) || !json_array_size(rows)))
		r = bad(l, sub, "'rows' must be an array of fields");
	if (r == 0)
		ds->pivot_rows = xcalloc(json_array_size(rows) + 1,
					 sizeof(char *));
	json_array_foreach(rows, i, v) {
		if (r < 0)
			break;
		if (!json_is_string(v) || !json_string_length(v))
			r = bad(l, sub, "'rows' must be an array of fields");
		else
			ds->pivot_rows[ds->npivot_rows++] =
				xstrdup(json_string_value(v));
	}
	return r;
}

static int load_datasets(struct loader *l, json_t *root, struct report_def *def)
{
	json_t *o = json_object_get(root, "datasets"), *v;
	const char *key;
	char at[320];
	size_t i = 0;

	if (!json_is_object(o) || !json_object_size(o))
		return bad(l, "$.datasets", "'datasets' must be an object "
			   "naming at least one query");
	def->datasets = xcalloc(json_object_size(o), sizeof(*def->datasets));
	json_object_foreach(o, key, v) {
		snprintf(at, sizeof(at), "$.datasets.%.200s", key);
		if (!identifier(key) || !strcmp(key, "report"))
			return bad(l, at, "a dataset's name is a letter or _ "
				   "then letters, digits or _, and not "
				   "'report'");
		def->datasets[i].name = xstrdup(key);
		def->ndatasets = ++i;
		if (json_is_object(v)) {
			int r = load_derived(l, v, at, def,
					     &def->datasets[i - 1]);

			if (r < 0)
				return r;
			continue;
		}
		if (!json_is_string(v) || !safe_relpath(json_string_value(v)))
			return bad(l, at, "must be a query's path under "
				   "queries/ (relative, without '..')");
		def->datasets[i - 1].query = xstrdup(json_string_value(v));
	}
	for (i = 0; i < def->ndatasets; i++) {
		char grid[300];

		snprintf(grid, sizeof(grid), "%s_grid", def->datasets[i].name);
		if (def->datasets[i].kind == REPORT_DS_PIVOT &&
		    find_dataset(def, grid))
			return bad(l, "$.datasets", "'%s' is the grid of pivot "
				   "'%s': name the dataset otherwise", grid,
				   def->datasets[i].name);
	}
	return 0;
}

/*
 * "setup": query files run in order before the datasets, on the same
 * connection, to compute once what several datasets read (a report's
 * allocation). They may only create TEMP tables, views and indexes from
 * SELECTs (setup_auth); the history stays read-only.
 */
static int load_setup(struct loader *l, json_t *root, struct report_def *def)
{
	json_t *o = json_object_get(root, "setup"), *v;
	char at[64];
	size_t i;

	if (!o)
		return 0;
	if (!json_is_array(o))
		return bad(l, "$.setup", "'setup' must be an array of query "
			   "paths");
	def->setup = xcalloc(json_array_size(o) + 1, sizeof(*def->setup));
	json_array_foreach(o, i, v) {
		snprintf(at, sizeof(at), "$.setup[%zu]", i);
		if (!json_is_string(v) || !safe_relpath(json_string_value(v)))
			return bad(l, at, "must be a query's path under "
				   "queries/ (relative, without '..')");
		def->setup[def->nsetup++] = xstrdup(json_string_value(v));
	}
	return 0;
}

static const char *const type_names[] = {
	"string", "number", "integer", "money", "percent", "date",
	"datetime", NULL
};

static int load_column(struct loader *l, json_t *o, const char *at,
		       struct report_column *c)
{
	static const char *const keys[] = {
		"field", "header", "type", "format", "currency_field",
		"currency", "width", "total", NULL
	};
	static const char *const totals[] = { "sum", NULL };
	char sub[400];
	json_t *w;
	int r, t, tot;

	if (!json_is_object(o))
		return bad(l, at, "a column must be an object");
	r = check_keys(l, o, at, keys);
	if (r == 0)
		r = get_string(l, o, "field", at, 1, &c->field);
	if (r == 0)
		r = get_string(l, o, "header", at, 0, &c->header);
	if (r == 0 && !c->header)
		c->header = xstrdup(c->field);
	if (r == 0)
		r = get_enum(l, o, "type", at, type_names, 0, &t);
	if (r == 0)
		c->type = (enum report_type)t;
	if (r == 0)
		r = get_string(l, o, "format", at, 0, &c->format);
	if (r == 0 && c->format && strlen(c->format) > REPORT_MAX_FORMAT)
		r = bad(l, at, "'format' is longer than %d bytes",
			REPORT_MAX_FORMAT);
	if (r == 0)
		r = get_string(l, o, "currency_field", at, 0, &c->currency_field);
	if (r == 0)
		r = get_string(l, o, "currency", at, 0, &c->currency);
	if (r == 0 && (c->currency_field || c->currency) &&
	    c->type != REPORT_MONEY)
		r = bad(l, at, "'currency_field' and 'currency' are for "
			"columns of type money");
	w = json_object_get(o, "width");
	if (r == 0 && w && (!json_is_number(w) || json_number_value(w) <= 0 ||
			    json_number_value(w) > 255))
		r = bad(l, at, "'width' must be a number from 1 to 255");
	if (r == 0 && w)
		c->width = json_number_value(w);
	snprintf(sub, sizeof(sub), "%s.total", at);
	if (r == 0)
		r = get_enum(l, o, "total", at, totals, -1, &tot);
	if (r == 0)
		c->total = tot == 0;
	if (r == 0 && c->total && c->type != REPORT_NUMBER &&
	    c->type != REPORT_INTEGER && c->type != REPORT_MONEY)
		r = bad(l, sub, "only number, integer and money columns "
			"have totals");
	return r;
}

/* A field the chart or totals_by names is a column of the sheet. */
static int check_field(struct loader *l, const struct report_sheet *sh,
		       const char *field, const char *at)
{
	if (!find_column(sh, field))
		return bad(l, at, "'%s' is not a column of this sheet", field);
	return 0;
}

static int load_chart(struct loader *l, json_t *o, const char *at,
		      struct report_sheet *sh)
{
	static const char *const keys[] = {
		"type", "title", "categories", "values", "series_by", NULL
	};
	static const char *const types[] = { "bar", "column", "line", NULL };
	struct report_chart *ch = &sh->chart;
	json_t *vals, *v;
	char sub[400];
	size_t i;
	int r, t;

	if (!json_is_object(o))
		return bad(l, at, "'chart' must be an object");
	r = check_keys(l, o, at, keys);
	snprintf(sub, sizeof(sub), "%s.type", at);
	if (r == 0 && !json_object_get(o, "type"))
		r = bad(l, sub, "a chart needs a type: bar, column or line");
	if (r == 0)
		r = get_enum(l, o, "type", at, types, 0, &t);
	if (r == 0)
		ch->type = (enum report_chart_type)(t + 1);
	if (r == 0)
		r = get_string(l, o, "title", at, 0, &ch->title);
	if (r == 0 && ch->title && ch->title[0] == '=')
		r = bad(l, at, "a chart's title may not start with '='");
	if (r == 0)
		r = get_string(l, o, "categories", at, 1, &ch->categories);
	snprintf(sub, sizeof(sub), "%s.categories", at);
	if (r == 0)
		r = check_field(l, sh, ch->categories, sub);
	if (r == 0)
		r = get_string(l, o, "series_by", at, 0, &ch->series_by);
	snprintf(sub, sizeof(sub), "%s.series_by", at);
	if (r == 0 && ch->series_by)
		r = check_field(l, sh, ch->series_by, sub);
	vals = json_object_get(o, "values");
	snprintf(sub, sizeof(sub), "%s.values", at);
	if (r == 0 && (!json_is_array(vals) || !json_array_size(vals)))
		r = bad(l, sub, "'values' must be an array of fields");
	if (r == 0 && ch->series_by && json_array_size(vals) != 1)
		r = bad(l, sub, "with series_by a chart has exactly one value "
			"field");
	if (r == 0)
		ch->values = xcalloc(json_array_size(vals), sizeof(*ch->values));
	json_array_foreach(vals, i, v) {
		if (r < 0)
			break;
		snprintf(sub, sizeof(sub), "%s.values[%zu]", at, i);
		if (!json_is_string(v))
			r = bad(l, sub, "must be a field");
		else
			r = check_field(l, sh, json_string_value(v), sub);
		if (r == 0)
			ch->values[ch->nvalues++] = xstrdup(json_string_value(v));
	}
	return r;
}

/* "dynamic_columns": a column without field and header. */
static int load_dynamic(struct loader *l, json_t *o, const char *at,
			struct report_sheet *sh)
{
	json_t *cp;
	int r;

	if (!json_is_object(o))
		return bad(l, at, "'dynamic_columns' must be a column object");
	if (json_object_get(o, "field") || json_object_get(o, "header") ||
	    json_object_get(o, "total"))
		return bad(l, at, "dynamic columns take their field and "
			   "header from the dataset, and have no total");
	cp = json_deep_copy(o);
	json_object_set_new(cp, "field", json_string("*"));
	sh->dynamic = xcalloc(1, sizeof(*sh->dynamic));
	r = load_column(l, cp, at, sh->dynamic);
	json_decref(cp);
	return r;
}

/* "#RRGGBB" */
static int rgb_ok(const char *s)
{
	return strlen(s) == 7 && s[0] == '#' &&
	       strspn(s + 1, "0123456789abcdefABCDEF") == 6;
}

static int load_cond(struct loader *l, json_t *o, const char *at,
		     struct report_sheet *sh, struct report_cond *c)
{
	static const char *const keys[] = {
		"columns", "equals", "background", "font", "bold", NULL
	};
	json_t *cols = json_object_get(o, "columns"), *v;
	char sub[600];
	size_t i;
	int r;

	if (!json_is_object(o))
		return bad(l, at, "a conditional format must be an object");
	r = check_keys(l, o, at, keys);
	if (r == 0)
		r = get_string(l, o, "equals", at, 1, &c->equals);
	if (r == 0 && (c->equals[strcspn(c->equals, "\x01\x02\x03\x04"
		       "\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11"
		       "\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d"
		       "\x1e\x1f")] || strlen(c->equals) > 255))
		r = bad(l, at, "'equals' is one line of at most 255 bytes");
	if (r == 0)
		r = get_string(l, o, "background", at, 0, &c->background);
	if (r == 0)
		r = get_string(l, o, "font", at, 0, &c->font);
	if (r == 0 && ((c->background && !rgb_ok(c->background)) ||
		       (c->font && !rgb_ok(c->font))))
		r = bad(l, at, "colours are #RRGGBB");
	if (r == 0)
		r = get_bool(l, o, "bold", at, 0, &c->bold);
	snprintf(sub, sizeof(sub), "%s.columns", at);
	if (r < 0)
		return r;
	if (json_is_string(cols) && !strcmp(json_string_value(cols),
					    "dynamic")) {
		c->dynamic = 1;
		return sh->dynamic ? 0 : bad(l, sub, "the sheet has no "
					     "'dynamic_columns'");
	}
	if (!json_is_array(cols) || !json_array_size(cols))
		return bad(l, sub, "'columns' must be \"dynamic\" or an "
			   "array of fields");
	c->fields = xcalloc(json_array_size(cols), sizeof(*c->fields));
	json_array_foreach(cols, i, v) {
		snprintf(sub, sizeof(sub), "%s.columns[%zu]", at, i);
		if (!json_is_string(v))
			return bad(l, sub, "must be a field");
		r = check_field(l, sh, json_string_value(v), sub);
		if (r < 0)
			return r;
		c->fields[c->nfields++] = xstrdup(json_string_value(v));
	}
	return 0;
}

static int load_conds(struct loader *l, json_t *a, const char *at,
		      struct report_sheet *sh)
{
	char sub[500];
	json_t *o;
	size_t i;
	int r = 0;

	if (!json_is_array(a))
		return bad(l, at, "'conditional_formats' must be an array");
	sh->conds = xcalloc(json_array_size(a) + 1, sizeof(*sh->conds));
	json_array_foreach(a, i, o) {
		snprintf(sub, sizeof(sub), "%s[%zu]", at, i);
		sh->nconds = i + 1;
		r = load_cond(l, o, sub, sh, &sh->conds[i]);
		if (r < 0)
			break;
	}
	return r;
}

static int load_sheet(struct loader *l, json_t *o, size_t si,
		      struct report_def *def)
{
	static const char *const keys[] = {
		"name", "dataset", "freeze", "autofilter", "columns",
		"totals_by", "chart", "dynamic_columns",
		"conditional_formats", NULL
	};
	struct report_sheet *sh = &def->sheets[si];
	json_t *cols, *c;
	const char *why;
	char at[64], sub[128];
	size_t j;
	int r;

	snprintf(at, sizeof(at), "$.sheets[%zu]", si);
	if (!json_is_object(o))
		return bad(l, at, "a sheet must be an object");
	r = check_keys(l, o, at, keys);
	if (r == 0)
		r = get_string(l, o, "name", at, 1, &sh->name);
	snprintf(sub, sizeof(sub), "%s.name", at);
	if (r == 0 && (why = sheet_name_problem(sh->name)))
		r = bad(l, sub, "sheet name '%s' %s", sh->name, why);
	for (j = 0; r == 0 && j < si; j++)
		if (!strcasecmp(def->sheets[j].name, sh->name))
			r = bad(l, sub, "sheet name '%s' is used twice",
				sh->name);
	if (r == 0)
		r = get_string(l, o, "dataset", at, 1, &sh->dataset);
	snprintf(sub, sizeof(sub), "%s.dataset", at);
	if (r == 0 && !find_dataset(def, sh->dataset))
		r = bad(l, sub, "no dataset '%s' in 'datasets'", sh->dataset);
	if (r == 0)
		r = get_bool(l, o, "freeze", at, 1, &sh->freeze);
	if (r == 0)
		r = get_bool(l, o, "autofilter", at, 1, &sh->autofilter);
	cols = json_object_get(o, "columns");
	snprintf(sub, sizeof(sub), "%s.columns", at);
	if (r == 0 && (!json_is_array(cols) || !json_array_size(cols) ||
		       json_array_size(cols) > 16384))
		r = bad(l, sub, "'columns' must be an array of 1 to 16384 "
			"columns");
	if (r == 0)
		sh->columns = xcalloc(json_array_size(cols),
				      sizeof(*sh->columns));
	json_array_foreach(cols, j, c) {
		if (r < 0)
			break;
		snprintf(sub, sizeof(sub), "%s.columns[%zu]", at, j);
		sh->ncolumns = j + 1;
		r = load_column(l, c, sub, &sh->columns[j]);
	}
	if (r == 0)
		r = get_string(l, o, "totals_by", at, 0, &sh->totals_by);
	snprintf(sub, sizeof(sub), "%s.totals_by", at);
	if (r == 0 && sh->totals_by)
		r = check_field(l, sh, sh->totals_by, sub);
	snprintf(sub, sizeof(sub), "%s.chart", at);
	if (r == 0 && json_object_get(o, "chart"))
		r = load_chart(l, json_object_get(o, "chart"), sub, sh);
	snprintf(sub, sizeof(sub), "%s.dynamic_columns", at);
	if (r == 0 && json_object_get(o, "dynamic_columns"))
		r = load_dynamic(l, json_object_get(o, "dynamic_columns"), sub,
				 sh);
	snprintf(sub, sizeof(sub), "%s.conditional_formats", at);
	if (r == 0 && json_object_get(o, "conditional_formats"))
		r = load_conds(l, json_object_get(o, "conditional_formats"),
			       sub, sh);
	return r;
}

static int load_outputs(struct loader *l, json_t *root, struct report_def *def)
{
	json_t *j = json_object_get(root, "json"), *v;
	char at[64];
	size_t i;
	int r;

	r = get_string(l, root, "markdown", "$", 0, &def->markdown);
	if (r == 0 && def->markdown && !safe_relpath(def->markdown))
		r = bad(l, "$.markdown", "must be a template's path under "
			"templates/ (relative, without '..')");
	if (r == 0)
		r = get_string(l, root, "csv", "$", 0, &def->csv);
	if (r == 0 && def->csv && !find_dataset(def, def->csv))
		r = bad(l, "$.csv", "no dataset '%s' in 'datasets'", def->csv);
	if (r < 0)
		return r;
	if (!j) {	/* every dataset, in order */
		def->json = xcalloc(def->ndatasets, sizeof(*def->json));
		for (i = 0; i < def->ndatasets; i++)
			def->json[def->njson++] = xstrdup(def->datasets[i].name);
		return 0;
	}
	if (!json_is_array(j))
		return bad(l, "$.json", "'json' must be an array of datasets");
	def->json = xcalloc(json_array_size(j) + 1, sizeof(*def->json));
	json_array_foreach(j, i, v) {
		snprintf(at, sizeof(at), "$.json[%zu]", i);
		if (!json_is_string(v) || !find_dataset(def, json_string_value(v)))
			return bad(l, at, "not a dataset of 'datasets'");
		def->json[def->njson++] = xstrdup(json_string_value(v));
	}
	return 0;
}

static int load_def(struct loader *l, json_t *root, const char *name,
		    struct report_def *def)
{
	static const char *const keys[] = {
		"name", "title", "description", "period", "setup", "datasets",
		"sheets", "markdown", "csv", "json", NULL
	};
	static const char *const periods[] = {
		"month", "run", "month_or_run", NULL
	};
	json_t *sheets, *s;
	size_t i;
	int r, p;

	if (!json_is_object(root))
		return bad(l, "$", "a report definition is a JSON object");
	r = check_keys(l, root, "$", keys);
	if (r == 0)
		r = get_string(l, root, "name", "$", 0, &def->name);
	if (r == 0 && def->name && strcmp(def->name, name))
		r = bad(l, "$.name", "the name is '%s' but the file is for "
			"'%s'", def->name, name);
	if (r == 0 && !def->name)
		def->name = xstrdup(name);
	if (r == 0)
		r = get_string(l, root, "title", "$", 1, &def->title);
	if (r == 0)
		r = get_string(l, root, "description", "$", 0,
			       &def->description);
	if (r == 0 && !def->description)
		def->description = xstrdup("");
	if (r == 0)
		r = get_enum(l, root, "period", "$", periods, 0, &p);
	if (r == 0)
		def->period = (enum report_period)p;
	if (r == 0)
		r = load_setup(l, root, def);
	if (r == 0)
		r = load_datasets(l, root, def);
	sheets = json_object_get(root, "sheets");
	if (r == 0 && sheets && !json_is_array(sheets))
		r = bad(l, "$.sheets", "'sheets' must be an array");
	if (r == 0 && sheets)
		def->sheets = xcalloc(json_array_size(sheets) + 1,
				      sizeof(*def->sheets));
	json_array_foreach(sheets, i, s) {
		if (r < 0)
			break;
		def->nsheets = i + 1;
		r = load_sheet(l, s, i, def);
	}
	if (r == 0)
		r = load_outputs(l, root, def);
	return r;
}

int report_load_file(const char *path, const char *name,
		     struct report_def **ret, struct err_detail *d)
{
	struct loader l = { path, d };
	struct report_def *def = xcalloc(1, sizeof(*def));
	struct sbuf text;
	json_error_t jerr;
	json_t *root = NULL;
	int r;

	def->path = xstrdup(path);
	sbuf_init(&text, REPORT_MAX_DEF);
	r = fs_read_file(path, &text);
	if (r < 0) {
		err_set(d, "cannot read the report definition: %s", err_str(r));
		err_where(d, "%s", path);
		if (r == -ERR_TOO_LARGE)
			r = -ERR_CONFIG;
		goto out;
	}
	root = json_loadb(text.buf, text.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		err_set(d, "bad JSON: %s", jerr.text);
		err_where(d, "%s:%d:%d", path, jerr.line, jerr.column);
		r = -ERR_CONFIG;
		goto out;
	}
	r = load_def(&l, root, name, def);
out:
	json_decref(root);
	sbuf_release(&text);
	if (r < 0)
		report_free(def);
	else
		*ret = def;
	return r;
}

/* A report's name: [A-Za-z0-9_-] and dots inside. */
static int valid_name(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 100 && s[0] != '.' && s[n - 1] != '.' &&
	       !strstr(s, "..") &&
	       !s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789._-")];
}

int report_load(const char *datadir, const char *name,
		struct report_def **ret, struct err_detail *d)
{
	struct sbuf rel = SBUF_INIT;
	char *path;
	int r;

	if (!valid_name(name)) {
		err_set(d, "'%s' is not a report name (letters, digits, '_', "
			"'-' and '.')", name);
		return -ERR_USAGE;
	}
	sbuf_addf(&rel, "reports/%s.json", name);
	path = fs_join(datadir, rel.buf);
	if (!fs_exists(path)) {
		err_set(d, "no report '%s' (see 'amlfs-audit report --list')",
			name);
		err_where(d, "%s", path);
		r = -ERR_NOT_FOUND;
	} else {
		r = report_load_file(path, name, ret, d);
	}
	free(path);
	sbuf_release(&rel);
	return r;
}

static void free_strings(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void sheet_release(struct report_sheet *sh)
{
	size_t j;

	free(sh->name);
	free(sh->dataset);
	for (j = 0; j < sh->ncolumns; j++) {
		free(sh->columns[j].field);
		free(sh->columns[j].header);
		free(sh->columns[j].format);
		free(sh->columns[j].currency_field);
		free(sh->columns[j].currency);
	}
	free(sh->columns);
	free(sh->totals_by);
	free(sh->chart.title);
	free(sh->chart.categories);
	free(sh->chart.series_by);
	free_strings(sh->chart.values, sh->chart.nvalues);
	if (sh->dynamic) {
		free(sh->dynamic->field);
		free(sh->dynamic->header);
		free(sh->dynamic->format);
		free(sh->dynamic->currency_field);
		free(sh->dynamic->currency);
		free(sh->dynamic);
	}
	for (j = 0; j < sh->nconds; j++) {
		free_strings(sh->conds[j].fields, sh->conds[j].nfields);
		free(sh->conds[j].equals);
		free(sh->conds[j].background);
		free(sh->conds[j].font);
	}
	free(sh->conds);
}

static void dataset_release(struct report_dataset *ds)
{
	free(ds->name);
	free(ds->query);
	free_strings(ds->bind_param, ds->nbind);
	free_strings(ds->bind_dataset, ds->nbind);
	free_strings(ds->bind_column, ds->nbind);
	free(ds->pivot_source);
	free_strings(ds->pivot_rows, ds->npivot_rows);
	free(ds->pivot_columns);
	free(ds->pivot_value);
	free(ds->builtin);
}

void report_free(struct report_def *def)
{
	size_t i;

	if (!def)
		return;
	free(def->path);
	free(def->name);
	free(def->title);
	free(def->description);
	for (i = 0; i < def->ndatasets; i++)
		dataset_release(&def->datasets[i]);
	free(def->datasets);
	free_strings(def->setup, def->nsetup);
	/* A sheet that failed half-way is counted too: free what it has. */
	for (i = 0; def->sheets && i < def->nsheets; i++)
		sheet_release(&def->sheets[i]);
	free(def->sheets);
	free(def->markdown);
	free(def->csv);
	free_strings(def->json, def->njson);
	free(def);
}

unsigned report_formats(const struct report_def *def)
{
	return (def->nsheets ? REPORT_XLSX : 0) |
	       (def->markdown ? REPORT_MD : 0) | (def->csv ? REPORT_CSV : 0) |
	       REPORT_JSON;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The report names in DATADIR/reports (NAME.json), sorted. */
static int list_names(const char *dir, char ***ret, size_t *ret_n)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, alloc = 0, len;

	if (!dh)
		return -errno;
	while ((e = readdir(dh))) {
		len = strlen(e->d_name);
		if (len <= 5 || strcmp(e->d_name + len - 5, ".json"))
			continue;
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 16;
			names = xrealloc(names, alloc * sizeof(*names));
		}
		names[n++] = xstrndup(e->d_name, len - 5);
	}
	closedir(dh);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	*ret = names;
	*ret_n = n;
	return 0;
}

int report_list(const char *datadir, json_t **ret, struct err_detail *d)
{
	char *dir = fs_join(datadir, "reports");
	char **names = NULL;
	json_t *list;
	size_t n = 0, i;
	int r;

	if (!fs_is_dir(dir)) {
		free(dir);
		*ret = json_array();
		return 0;
	}
	r = list_names(dir, &names, &n);
	if (r < 0) {
		err_set(d, "cannot list report definitions: %s", err_str(r));
		err_where(d, "%s", dir);
		free(dir);
		return r;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		struct err_detail e = { "", "" };
		struct report_def *def = NULL;
		json_t *o;

		if (!valid_name(names[i]))
			continue;
		r = report_load(datadir, names[i], &def, &e);
		o = json_pack("{s:s}", "name", names[i]);
		if (r < 0) {
			json_object_set_new(o, "error", json_sprintf("%s (%s)",
					    e.msg, e.where));
		} else {
			json_object_set_new(o, "title", json_string(def->title));
			json_object_set_new(o, "description",
					    json_string(def->description));
		}
		json_array_append_new(list, o);
		report_free(def);
	}
	free_strings(names, n);
	free(dir);
	*ret = list;
	return 0;
}

/* A day as YYYY-MM-DD exactly. */
static int day_ok(const char *s, char out[11])
{
	return strlen(s) == 10 && s[4] == '-' && s[7] == '-' &&
	       time_parse_day(s, out) == 0 && !strcmp(s, out);
}

int report_params_month(struct report_params *p, const char *month)
{
	char from[11], to[11];

	if (strlen(month) != 7 || month[4] != '-' ||
	    time_month_range(month, from, to) < 0)
		return -EINVAL;
	memcpy(p->from, from, sizeof(p->from));
	memcpy(p->to, to, sizeof(p->to));
	memcpy(p->month, month, sizeof(p->month));
	p->run = 0;
	return 0;
}

int report_params_days(struct report_params *p, const char *from,
		       const char *to)
{
	char f[11], t[11];

	if (!day_ok(from, f) || !day_ok(to, t) || strcmp(f, t) > 0)
		return -EINVAL;
	memcpy(p->from, f, sizeof(p->from));
	memcpy(p->to, t, sizeof(p->to));
	memcpy(p->month, t, 7);
	p->month[7] = '\0';
	p->run = 0;
	return 0;
}

void report_params_run(struct report_params *p, long long run)
{
	p->from[0] = p->to[0] = p->month[0] = '\0';
	p->run = run;
}

int report_params_as_of(struct report_params *p, const char *as_of)
{
	time_t t;

	if (time_parse_iso(as_of, &t) < 0)
		return -EINVAL;
	/* A bare date means the end of that day. */
	time_iso(strlen(as_of) == 10 ? t + 86399 : t, p->as_of);
	return 0;
}

/* Whether p is a month (or days) report rather than a run's. */
static int is_month(const struct report_def *def,
		    const struct report_params *p)
{
	return def->period == REPORT_PERIOD_MONTH ||
	       (def->period == REPORT_PERIOD_MONTH_OR_RUN && !p->run);
}

/* "2026-10", "2026-10-01_2026-10-15" or "run42". */
static void period_label(const struct report_def *def,
			 const struct report_params *p, char out[64])
{
	char from[11], to[11];

	if (!is_month(def, p))
		snprintf(out, 64, "run%lld", p->run);
	else if (time_month_range(p->from, from, to) == 0 &&
		 !strcmp(from, p->from) && !strcmp(to, p->to))
		snprintf(out, 64, "%.7s", p->from);
	else
		snprintf(out, 64, "%s_%s", p->from, p->to);
}

/* When the run ended (or started, if it never did). */
static int run_time(struct store *s, long long run, time_t *ret,
		    struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	const char *t;
	int r;

	r = store_prepare(s, "SELECT coalesce(finished_at, started_at) "
			  "FROM runs WHERE id = ?1", &st, d);
	if (r < 0)
		return -ERR_SQL;
	sqlite3_bind_int64(st, 1, run);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(st, 0);
		r = t && time_parse_iso(t, ret) == 0 ? 0 : -ERR_SQL;
		if (r < 0)
			err_set(d, "run %lld has no time the report can use",
				run);
	} else if (r == SQLITE_DONE) {
		err_set(d, "there is no run %lld", run);
		r = -ERR_NOT_FOUND;
	} else {
		r = store_sql_error(s, "cannot read the run", d);
	}
	sqlite3_finalize(st);
	return r;
}

static json_t *text_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

/* The parameters of p as JSON, the extra ones with extra set. */
static json_t *params_json(const struct report_def *def,
			   const struct report_params *p, int extra)
{
	int month = is_month(def, p);
	json_t *o = json_object();
	const struct query_param *q;
	size_t i;

	json_object_set_new(o, "from", text_or_null(month ? p->from : NULL));
	json_object_set_new(o, "to", text_or_null(month ? p->to : NULL));
	json_object_set_new(o, "month", text_or_null(month ? p->month : NULL));
	json_object_set_new(o, "as_of", text_or_null(p->as_of));
	json_object_set_new(o, "run", month ? json_null() :
			    json_integer(p->run));
	for (i = 0; extra && i < p->nextra; i++) {
		q = &p->extra[i];
		json_object_set_new(o, q->name + (q->name[0] == ':'),
				    q->type == QP_INT ? json_integer(q->i) :
				    q->type == QP_TEXT ? json_string(q->s) :
				    json_null());
	}
	return o;
}

/* The "report" object of the context. */
static json_t *report_meta(const struct report_def *def,
			   const struct report_params *p,
			   const struct report_result *r,
			   const char *tool_version)
{
	json_t *m = json_object(), *gen = json_object(), *flat;
	char created[21];

	json_object_set_new(m, "name", json_string(def->name));
	json_object_set_new(m, "title", json_string(def->title));
	json_object_set_new(m, "description", json_string(def->description));
	json_object_set_new(m, "period", json_string(
		is_month(def, p) ? "month" : "run"));
	json_object_set_new(m, "label", json_string(r->label));
	flat = params_json(def, p, 0);
	json_object_update(m, flat);
	json_decref(flat);
	json_object_set_new(m, "params", params_json(def, p, 1));
	time_iso(r->created, created);
	json_object_set_new(gen, "tool_version", json_string(tool_version));
	json_object_set_new(gen, "as_of", text_or_null(p->as_of));
	json_object_set_new(gen, "time", json_string(created));
	json_object_set_new(m, "generated", gen);
	return m;
}

/*
 * The parameters of a query dataset: qp (n of them) with those of its
 * "bind" replaced or added from the first row of earlier datasets. A new
 * array (its texts borrowed from qp and r) of *ret_n.
 */
static struct query_param *bind_params(const struct report_dataset *ds,
				       const struct query_param *qp, size_t n,
				       const struct report_result *r,
				       size_t *ret_n)
{
	struct query_param *all = xcalloc(n + ds->nbind + 1, sizeof(*all));
	size_t i, j, m = n;

	memcpy(all, qp, n * sizeof(*qp));
	for (i = 0; i < ds->nbind; i++) {
		json_t *row = json_array_get(json_object_get(r->data,
			ds->bind_dataset[i]), 0);
		json_t *v = json_object_get(row, ds->bind_column[i]);
		struct query_param q = { ds->bind_param[i], QP_NULL, 0, NULL };

		if (json_is_integer(v)) {
			q.type = QP_INT;
			q.i = json_integer_value(v);
		} else if (json_is_string(v)) {
			q.type = QP_TEXT;
			q.s = json_string_value(v);
		}
		for (j = 0; j < m; j++)
			if (!strcmp(all[j].name, q.name))
				break;
		all[j] = q;
		if (j == m)
			m++;
	}
	*ret_n = m;
	return all;
}

/*
 * A pivot or built-in dataset (report.h, "Derived datasets"); a built-in's
 * job (started by report_run) is finished here and *job cleared.
 */
static int derive_dataset(const struct report_dataset *ds,
			  struct report_builtin_job **job,
			  struct report_result *r, struct err_detail *d)
{
	json_t *rows = NULL, *cols = NULL, *grid = NULL;
	char grid_name[300];
	int rc = 0;

	if (ds->kind == REPORT_DS_BUILTIN) {
		rc = report_builtin_finish(*job, &rows, &cols, d);
		*job = NULL;
	} else {
		rc = report_pivot(ds, json_object_get(r->data,
						      ds->pivot_source),
				  &rows, &cols, &grid, d);
		if (rc == 0) {
			snprintf(grid_name, sizeof(grid_name), "%s_grid",
				 ds->name);
			json_object_set_new(r->data, grid_name, grid);
		}
	}
	if (rc == 0) {
		json_object_set_new(r->columns, ds->name, cols);
		json_object_set_new(r->data, ds->name, rows);
	}
	return rc;
}

static int run_dataset(struct store *s, const char *datadir,
		       const struct report_dataset *ds,
		       struct report_builtin_job **job,
		       const struct query_param *qp0, size_t n0,
		       struct report_result *r, struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	json_t *rows = NULL;
	struct query_param *qp;
	size_t n;
	int rc;

	if (ds->kind != REPORT_DS_QUERY)
		return derive_dataset(ds, job, r, d);
	qp = bind_params(ds, qp0, n0, r, &n);
	rc = query_open(s, datadir, ds->query, qp, n, &st, d);
	free(qp);
	if (rc < 0)
		return -ERR_CONFIG;	/* d names the file */
	rc = query_rows(st, &rows, d);
	if (rc < 0) {
		err_where(d, "%s/queries/%s", datadir, ds->query);
	} else {
		json_object_set_new(r->columns, ds->name, query_columns(st));
		json_object_set_new(r->data, ds->name, rows);
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * What a setup statement may do: read, call functions, and create TEMP
 * tables, views and indexes (their rows in sqlite_temp_master, and
 * building a new TEMP index). Anything
 * else (writing the history, PRAGMA, ATTACH, DROP, DELETE) is refused at
 * prepare time, naming the file.
 */
static int setup_auth(void *ctx, int action, const char *a, const char *b,
		      const char *db, const char *trigger)
{
	(void)ctx, (void)b, (void)trigger;
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_FUNCTION:
	case SQLITE_RECURSIVE:
	case SQLITE_CREATE_TEMP_TABLE:
	case SQLITE_CREATE_TEMP_VIEW:
	case SQLITE_CREATE_TEMP_INDEX:
		return SQLITE_OK;
	case SQLITE_UPDATE:
		/*
		 * CREATE TEMP TABLE ... AS SELECT from a table-valued function
		 * (json_each) reports its schema row's update as "sqlite_master"
		 * in "main"; SQLite itself refuses any other update of it.
		 */
		if (a && !strcmp(a, "sqlite_master"))
			return SQLITE_OK;
		/* fall through */
	case SQLITE_INSERT:
		return db && !strcmp(db, "temp") && a &&
		       !strcmp(a, "sqlite_temp_master") ? SQLITE_OK
							: SQLITE_DENY;
	case SQLITE_REINDEX:	/* a new TEMP index is built */
		return db && !strcmp(db, "temp") ? SQLITE_OK : SQLITE_DENY;
	}
	return SQLITE_DENY;
}

static int exec_quiet(sqlite3 *db, const char *sql, struct err_detail *d)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	err_set(d, "report setup: %s", sqlite3_errmsg(db));
	return -ERR_SQL;
}

/* The connection's PRAGMA query_only (0 or 1), or -ERR_SQL. */
static int query_only_state(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int r = -ERR_SQL;

	if (sqlite3_prepare_v2(db, "PRAGMA query_only", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		r = sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	return r;
}

/*
 * The page cache a report's setup and datasets run with, in KiB, for the
 * history (main: its pages, and the sorts of GROUP BY, ORDER BY and
 * windows, which spill to temporary files past it) and for the TEMP
 * tables (temp). SQLite's default, 2 MiB each, made the 1,000-fs
 * chargeback bench read the history's 700 MiB some once over (185,000
 * preads) and write 270 MiB of TEMP pages and sort runs (68,000 pwrites);
 * with these it reads and writes about a third as much (bench/chargeback.py,
 * peak RSS 173 MiB of the 200 allowed). Only pages used take memory.
 */
#define SETUP_CACHE_KIB 32768

/* PRAGMA schema.cache_size into *ret; -ERR_SQL when it cannot be read. */
static int cache_size(sqlite3 *db, const char *schema, sqlite3_int64 *ret)
{
	char *q = sqlite3_mprintf("PRAGMA \"%w\".cache_size", schema);
	sqlite3_stmt *st = NULL;
	int r = -ERR_SQL;

	if (q && sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*ret = sqlite3_column_int64(st, 0);
		r = 0;
	}
	sqlite3_finalize(st);
	sqlite3_free(q);
	return r;
}

/* Sets the main and temp page caches (PRAGMA cache_size: pages, or KiB
 * when negative). */
static int set_cache(sqlite3 *db, sqlite3_int64 main_n, sqlite3_int64 temp_n,
		     struct err_detail *d)
{
	char *q = sqlite3_mprintf("PRAGMA main.cache_size = %lld;"
				  "PRAGMA temp.cache_size = %lld;",
				  (long long)main_n, (long long)temp_n);
	int r;

	if (!q)
		return -ENOMEM;
	r = exec_quiet(db, q, d);
	sqlite3_free(q);
	return r;
}

/*
 * Drops the TEMP tables and views the setup made (rowid above mark in
 * sqlite_temp_master), views first.
 */
static int setup_drop(sqlite3 *db, sqlite3_int64 mark, struct err_detail *d)
{
	struct sbuf sql = SBUF_INIT;
	sqlite3_stmt *st = NULL;
	int r = 0, rc;

	rc = sqlite3_prepare_v2(db, "SELECT type, name FROM sqlite_temp_master"
				" WHERE rowid > ?1 AND type IN ('view', 'table')"
				" ORDER BY type = 'table', rowid DESC", -1,
				&st, NULL);
	if (rc == SQLITE_OK)
		sqlite3_bind_int64(st, 1, mark);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		char *q = sqlite3_mprintf("DROP %s temp.\"%w\";",
					  !strcmp(type, "view") ? "VIEW"
								: "TABLE",
					  name);

		sbuf_adds(&sql, q ? q : "");
		sqlite3_free(q);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_OK) {
		err_set(d, "report setup: %s", sqlite3_errmsg(db));
		r = -ERR_SQL;
	}
	sqlite3_finalize(st);
	if (r == 0 && sql.len)
		r = exec_quiet(db, sql.buf, d);
	sbuf_release(&sql);
	return r;
}

/*
 * What run_setup() made: where its objects start in sqlite_temp_master
 * (mark), and whether it opened the transaction the report runs in
 * (own_txn), so that end_setup() rolls the TEMP tables back instead of
 * dropping them one by one.
 */
struct setup_state {
	sqlite3_int64 mark;
	int own_txn;
	int cache_set;				/* the caches below to restore */
	sqlite3_int64 main_cache, temp_cache;
};

/* Ends run_setup()'s transaction (rolling back its TEMP tables) or, in
 * one the caller holds, drops them. */
static int setup_undo(sqlite3 *db, const struct setup_state *ss,
		      struct err_detail *d)
{
	int r;

	if (!ss->own_txn)
		r = setup_drop(db, ss->mark, d);
	else if (sqlite3_get_autocommit(db))	/* an error rolled it back */
		r = 0;
	else
		r = exec_quiet(db, "ROLLBACK", d);
	if (ss->cache_set &&
	    set_cache(db, ss->main_cache, ss->temp_cache, r < 0 ? NULL : d) < 0 &&
	    r == 0)
		r = -ERR_SQL;
	return r;
}

/*
 * Runs the definition's setup queries (each to completion) under
 * setup_auth, with the history's query_only lifted for TEMP objects only.
 * When the connection is in autocommit, it first opens a transaction that
 * the datasets then read in (one snapshot of the history for the whole
 * report) and that end_setup() rolls back: the TEMP tables are never
 * committed, written out to the temporary file or dropped row by row.
 */
static int run_setup(struct store *s, const char *datadir,
		     const struct report_def *def,
		     const struct query_param *qp, size_t n,
		     struct setup_state *ret, struct err_detail *d)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	int was_query_only, r = 0, rc;
	size_t i;

	ret->mark = 0;
	ret->own_txn = 0;
	ret->cache_set = 0;
	if (!def->nsetup)
		return 0;
	rc = sqlite3_prepare_v2(db, "SELECT coalesce(max(rowid), 0) FROM "
				"sqlite_temp_master", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		ret->mark = sqlite3_column_int64(st, 0);
	else
		r = -ERR_SQL;
	sqlite3_finalize(st);
	was_query_only = r == 0 ? query_only_state(db) : -ERR_SQL;
	if (was_query_only < 0) {
		err_set(d, "report setup: %s", sqlite3_errmsg(db));
		return -ERR_SQL;
	}
	if (sqlite3_get_autocommit(db)) {
		r = exec_quiet(db, "BEGIN", d);
		ret->own_txn = r == 0;
	}
	if (r == 0 && was_query_only)
		r = exec_quiet(db, "PRAGMA query_only = 0", d);
	if (r == 0 && cache_size(db, "main", &ret->main_cache) == 0 &&
	    cache_size(db, "temp", &ret->temp_cache) == 0) {
		/* Restored by setup_undo() even when only one was set. */
		ret->cache_set = 1;
		r = set_cache(db, -SETUP_CACHE_KIB, -SETUP_CACHE_KIB, d);
	}
	if (r < 0) {
		setup_undo(db, ret, NULL);
		if (was_query_only)
			exec_quiet(db, "PRAGMA query_only = 1", NULL);
		return r;
	}
	sqlite3_set_authorizer(db, setup_auth, NULL);
	for (i = 0; r == 0 && i < def->nsetup; i++) {
		st = NULL;
		r = query_open_writer(s, datadir, def->setup[i], qp, n, &st, d);
		if (r < 0) {
			r = -ERR_CONFIG;	/* d names the file */
			break;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		if (rc != SQLITE_DONE) {
			err_set(d, "report setup: %s", sqlite3_errmsg(db));
			err_where(d, "%s/queries/%s", datadir, def->setup[i]);
			/* Refused while it ran (a table-valued function, say):
			 * the definition is wrong, as when refused at prepare. */
			r = rc == SQLITE_AUTH ? -ERR_CONFIG : -ERR_SQL;
		}
		sqlite3_finalize(st);
	}
	sqlite3_set_authorizer(db, NULL, NULL);
	if (r < 0)
		setup_undo(db, ret, NULL);
	if (was_query_only && exec_quiet(db, "PRAGMA query_only = 1",
					 r < 0 ? NULL : d) < 0 && r == 0)
		r = -ERR_SQL;
	return r;
}

/* Undoes what run_setup() made; query_only lifted for it. */
static int end_setup(struct store *s, const struct report_def *def,
		     const struct setup_state *ss, struct err_detail *d)
{
	sqlite3 *db = store_db(s);
	int was_query_only, r;

	if (!def->nsetup)
		return 0;
	was_query_only = query_only_state(db);
	r = was_query_only > 0 ? exec_quiet(db, "PRAGMA query_only = 0", d) : 0;
	/* Undone whatever: the report's transaction must not stay open. */
	if (setup_undo(db, ss, r < 0 ? NULL : d) < 0 && r == 0)
		r = -ERR_SQL;
	if (was_query_only > 0 && exec_quiet(db, "PRAGMA query_only = 1",
					     r < 0 ? NULL : d) < 0 && r == 0)
		r = -ERR_SQL;
	return r;
}

int report_run(struct store *s, const char *datadir,
	       const struct report_def *def, const struct report_params *p,
	       const char *tool_version, struct report_result *r,
	       struct err_detail *d)
{
	int month = is_month(def, p);
	struct query_param fixed[5] = {
		{ ":from", month ? QP_TEXT : QP_NULL, 0, p->from },
		{ ":to", month ? QP_TEXT : QP_NULL, 0, p->to },
		{ ":month", month ? QP_TEXT : QP_NULL, 0, p->month },
		{ ":as_of", p->as_of[0] ? QP_TEXT : QP_NULL, 0, p->as_of },
		{ ":run", month ? QP_NULL : QP_INT, p->run, NULL },
	};
	struct report_result res = { json_object(), json_object(), 0, "" };
	struct query_param *qp = xcalloc(5 + p->nextra, sizeof(*qp));
	struct report_builtin_job **jobs = xcalloc(def->ndatasets + 1,
						   sizeof(*jobs));
	struct setup_state ss = { 0, 0, 0, 0, 0 };
	int rc = 0, setup_done;
	size_t i;

	memcpy(qp, fixed, sizeof(fixed));
	for (i = 0; i < p->nextra; i++)
		qp[5 + i] = p->extra[i];

	period_label(def, p, res.label);
	if (p->as_of[0])
		rc = time_parse_iso(p->as_of, &res.created) < 0 ? -EINVAL : 0;
	else if (month)
		rc = time_parse_iso(p->to, &res.created) < 0 ? -EINVAL : 0;
	else
		rc = run_time(s, p->run, &res.created, d);
	if (rc == -EINVAL)
		err_set(d, "bad period or --as-of");
	if (rc == 0 && !p->as_of[0] && month)
		res.created += 86399;	/* the end of the last day */
	json_object_set_new(res.data, "report",
			    report_meta(def, p, &res, tool_version));
	if (rc == 0)
		rc = report_register_sql(store_db(s), d);
	/* Built-ins (verify, chain) run on threads while the queries do. */
	for (i = 0; rc == 0 && i < def->ndatasets; i++)
		if (def->datasets[i].kind == REPORT_DS_BUILTIN)
			jobs[i] = report_builtin_start(s,
						       def->datasets[i].builtin);
	if (rc == 0)
		rc = run_setup(s, datadir, def, qp, 5 + p->nextra, &ss, d);
	setup_done = rc == 0;
	for (i = 0; rc == 0 && i < def->ndatasets; i++)
		rc = run_dataset(s, datadir, &def->datasets[i], &jobs[i], qp,
				 5 + p->nextra, &res, d);
	if (setup_done && end_setup(s, def, &ss, rc < 0 ? NULL : d) < 0 &&
	    rc == 0)
		rc = -ERR_SQL;
	for (i = 0; i < def->ndatasets; i++)	/* those not reached */
		if (jobs[i])
			report_builtin_finish(jobs[i], NULL, NULL, NULL);
	free(jobs);
	free(qp);
	if (rc < 0)
		report_result_release(&res);
	else
		*r = res;
	return rc;
}

void report_result_release(struct report_result *r)
{
	json_decref(r->data);
	json_decref(r->columns);
	r->data = r->columns = NULL;
}

int report_check(const struct report_def *def, const struct report_result *r,
		 struct err_detail *d)
{
	const struct report_sheet *sh;
	json_t *cols, *c;
	size_t i, j, k;

	for (i = 0; i < def->nsheets; i++) {
		sh = &def->sheets[i];
		cols = json_object_get(r->columns, sh->dataset);
		for (j = 0; j < sh->ncolumns; j++) {
			json_array_foreach(cols, k, c)
				if (!strcmp(json_string_value(c),
					    sh->columns[j].field))
					break;
			if (k < json_array_size(cols))
				continue;
			err_set(d, "dataset '%s' has no column '%s'",
				sh->dataset, sh->columns[j].field);
			err_where(d, "%s: $.sheets[%zu].columns[%zu].field",
				  def->path, i, j);
			return -ERR_CONFIG;
		}
	}
	return 0;
}

/* The partial callback: DATADIR/templates/NAME.mustache (ctx: the dir). */
static int read_partial(void *ctx, const char *name, struct sbuf *ret_text,
			struct err_detail *d)
{
	struct sbuf path = SBUF_INIT;
	int r;

	if (name[0] == '.' || strchr(name, '/') || strchr(name, '\\')) {
		err_set(d, "a partial's name may not contain '/' or start "
			"with '.'");
		return -ERR_CONFIG;
	}
	sbuf_addf(&path, "%s/%s.mustache", (const char *)ctx, name);
	r = fs_read_file(path.buf, ret_text);
	if (r == -ENOENT) {
		err_set(d, "no partial '%s'", path.buf);
		r = -ERR_NOT_FOUND;
	} else if (r < 0) {
		err_set(d, "cannot read '%s': %s", path.buf, err_str(r));
	}
	sbuf_release(&path);
	return r;
}

int report_markdown(const char *datadir, const struct report_def *def,
		    const struct report_result *r, struct sbuf *out,
		    struct err_detail *d)
{
	struct mustache_options o = MUSTACHE_OPTIONS_INIT;
	struct sbuf rel = SBUF_INIT, tmpl;
	char *dir = fs_join(datadir, "templates"), *path;
	char where[sizeof(d->where)];
	int rc;

	sbuf_addf(&rel, "templates/%s", def->markdown);
	path = fs_join(datadir, rel.buf);
	sbuf_init(&tmpl, REPORT_MAX_TEMPLATE);
	rc = fs_read_file(path, &tmpl);
	if (rc < 0) {
		err_set(d, "cannot read the template: %s", err_str(rc));
		err_where(d, "%s", path);
		rc = -ERR_CONFIG;
		goto out;
	}
	o.escape = MUSTACHE_ESCAPE_MARKDOWN;
	o.partial = read_partial;
	o.ctx = dir;
	rc = mustache_render(tmpl.buf, tmpl.len, r->data, &o, out, d);
	if (rc < 0) {
		snprintf(where, sizeof(where), "%s", d->where);
		err_where(d, "%s%s%s", path, where[0] ? ":" : "", where);
		rc = -ERR_CONFIG;
	}
out:
	sbuf_release(&tmpl);
	sbuf_release(&rel);
	free(path);
	free(dir);
	return rc;
}

static void json_string_out(struct sbuf *out, const char *s, size_t n)
{
	size_t i;

	sbuf_addch(out, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			sbuf_addf(out, "\\%c", c);
		else if (c == '\n')
			sbuf_adds(out, "\\n");
		else if (c == '\r')
			sbuf_adds(out, "\\r");
		else if (c == '\t')
			sbuf_adds(out, "\\t");
		else if (c < 0x20 || c == 0x7f)
			sbuf_addf(out, "\\u%04x", c);
		else
			sbuf_addch(out, (char)c);
	}
	sbuf_addch(out, '"');
}

static void indent(struct sbuf *out, int n)
{
	sbuf_addch(out, '\n');
	while (n-- > 0)
		sbuf_addch(out, ' ');
}

/* v as JSON, keys in their order, reals shortest, at depth level. */
static void json_out(struct sbuf *out, json_t *v, int level)
{
	const char *key;
	json_t *e;
	size_t i, n = 0;
	char num[64];

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (!json_object_size(v)) {
			sbuf_adds(out, "{}");
			break;
		}
		sbuf_addch(out, '{');
		json_object_foreach(v, key, e) {
			if (n++)
				sbuf_addch(out, ',');
			indent(out, 2 * (level + 1));
			json_string_out(out, key, strlen(key));
			sbuf_adds(out, ": ");
			json_out(out, e, level + 1);
		}
		indent(out, 2 * level);
		sbuf_addch(out, '}');
		break;
	case JSON_ARRAY:
		if (!json_array_size(v)) {
			sbuf_adds(out, "[]");
			break;
		}
		sbuf_addch(out, '[');
		json_array_foreach(v, i, e) {
			if (i)
				sbuf_addch(out, ',');
			indent(out, 2 * (level + 1));
			json_out(out, e, level + 1);
		}
		indent(out, 2 * level);
		sbuf_addch(out, ']');
		break;
	case JSON_STRING:
		json_string_out(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		sbuf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		num_shortest(json_real_value(v), num);
		/* NaN and infinities are not JSON. */
		sbuf_adds(out, num[0] == 'N' || num[strspn(num, "-")] == 'I' ?
			  "null" : num);
		break;
	case JSON_TRUE:
		sbuf_adds(out, "true");
		break;
	case JSON_FALSE:
		sbuf_adds(out, "false");
		break;
	default:
		sbuf_adds(out, "null");
	}
}

void report_json(const struct report_def *def, const struct report_result *r,
		 struct sbuf *out)
{
	json_t *o = json_object();
	size_t i;

	json_object_set(o, "report", json_object_get(r->data, "report"));
	for (i = 0; i < def->njson; i++)
		json_object_set(o, def->json[i],
				json_object_get(r->data, def->json[i]));
	json_out(out, o, 0);
	sbuf_addch(out, '\n');
	json_decref(o);
}

char *report_file_name(const struct report_def *def,
		       const struct report_result *r, enum report_format fmt)
{
	struct sbuf sb = SBUF_INIT;
	size_t i;

	sbuf_addf(&sb, "%s-%s.%s", def->name, r->label,
		  fmt == REPORT_XLSX ? "xlsx" : fmt == REPORT_MD ? "md" :
		  fmt == REPORT_CSV ? "csv" : "json");
	for (i = 0; i < sb.len; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789._-", sb.buf[i]))
			sb.buf[i] = '_';
	if (sb.buf[0] == '.')
		sb.buf[0] = '_';
	return sbuf_detach(&sb, NULL);
}

/* The bytes of a text format. */
static int render_text(const char *datadir, const struct report_def *def,
		       const struct report_result *r, enum report_format fmt,
		       struct sbuf *out, struct err_detail *d)
{
	int rc = 0;

	if (fmt == REPORT_MD) {
		rc = report_markdown(datadir, def, r, out, d);
	} else if (fmt == REPORT_CSV) {
		rc = csv_add_rows(out, json_object_get(r->columns, def->csv),
				  json_object_get(r->data, def->csv));
		if (rc < 0)
			err_set(d, "the CSV is too large");
	} else {
		report_json(def, r, out);
	}
	return rc;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int report_write_begin(const char *datadir, const struct report_def *def,
		       const struct report_result *r, enum report_format fmt,
		       const char *outdir, struct report_file *f,
		       struct err_detail *d)
{
	char *name = report_file_name(def, r, fmt);
	struct sbuf tmp = SBUF_INIT, text = SBUF_INIT;
	int fd = -1, rc;

	memset(f, 0, sizeof(*f));
	if (!(report_formats(def) & fmt)) {
		err_set(d, "report '%s' has no %s output", def->name,
			fmt == REPORT_XLSX ? "workbook (no 'sheets')" :
			fmt == REPORT_MD ? "Markdown (no 'markdown')" :
			"CSV (no 'csv')");
		err_where(d, "%s", def->path);
		rc = -ERR_CONFIG;
		goto out;
	}
	f->path = fs_join(outdir, name);
	/* Render first: a bad template leaves nothing behind. */
	if (fmt != REPORT_XLSX) {
		rc = render_text(datadir, def, r, fmt, &text, d);
		if (rc < 0)
			goto out;
	}
	rc = fs_is_dir(outdir) ? 0 : fs_mkdirs(outdir, 0777);
	if (rc < 0) {
		err_set(d, "cannot make the output directory: %s", err_str(rc));
		err_where(d, "%s", outdir);
		goto out;
	}
	sbuf_addf(&tmp, "%s/.%s.XXXXXX", outdir, name);
	fd = mkstemp(tmp.buf);
	if (fd < 0) {
		rc = -errno;
		err_set(d, "cannot create a file: %s", err_str(rc));
		err_where(d, "%s", tmp.buf);
		sbuf_reset(&tmp);
		goto out;
	}
	if (fmt == REPORT_XLSX) {
		close(fd);
		fd = -1;
		rc = xlsx_write_report(def, r, tmp.buf, outdir, d);
		if (rc == -EIO)
			err_where(d, "%s", f->path);
		if (rc == 0 && (rc = fs_sync_path(tmp.buf)) < 0) {
			err_set(d, "cannot sync: %s", err_str(rc));
			err_where(d, "%s", tmp.buf);
		}
	} else {
		rc = write_all(fd, text.buf, text.len);
		if (rc == 0 && fsync(fd) < 0)
			rc = -errno;
		if (close(fd) < 0 && rc == 0)
			rc = -errno;
		fd = -1;
		if (rc < 0) {
			err_set(d, "cannot write: %s", err_str(rc));
			err_where(d, "%s", tmp.buf);
		}
	}
out:
	if (rc < 0 && tmp.len)
		unlink(tmp.buf);
	if (rc == 0) {
		f->tmp = sbuf_detach(&tmp, NULL);
	} else {
		free(f->path);
		f->path = NULL;
	}
	free(name);
	sbuf_release(&tmp);
	sbuf_release(&text);
	return rc;
}

int report_write_commit(struct report_file *f, char **ret_path,
			struct err_detail *d)
{
	int rc = 0;

	if (rename(f->tmp, f->path) < 0) {
		rc = -errno;
		err_set(d, "cannot rename into place: %s", err_str(rc));
		err_where(d, "%s", f->path);
		unlink(f->tmp);
	} else if ((rc = fs_sync_parent(f->path)) < 0) {
		err_set(d, "cannot sync the directory: %s", err_str(rc));
		err_where(d, "%s", f->path);
	}
	free(f->tmp);
	f->tmp = NULL;
	if (rc == 0)
		*ret_path = f->path;
	else
		free(f->path);
	f->path = NULL;
	return rc;
}

void report_write_abort(struct report_file *f)
{
	if (f->tmp)
		unlink(f->tmp);
	free(f->tmp);
	free(f->path);
	f->tmp = f->path = NULL;
}

int report_write(const char *datadir, const struct report_def *def,
		 const struct report_result *r, enum report_format fmt,
		 const char *outdir, char **ret_path, struct err_detail *d)
{
	struct report_file f;
	int rc = report_write_begin(datadir, def, r, fmt, outdir, &f, d);

	return rc < 0 ? rc : report_write_commit(&f, ret_path, d);
}
