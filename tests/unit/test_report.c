/*
 * Report definitions (errors name the file and the JSON path), CSV
 * quoting and its formula guard, numbers, the JSON output, Markdown from
 * a dataset, and the period parameters the queries get.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/builtin.h"
#include "report/csv.h"
#include "util/num.h"
#include "report/report.h"
#include "store/db.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

/* A scratch data directory with reports/, templates/ and queries/t/. */
static char *make_datadir(void)
{
	char tmpl[] = "/tmp/test_report.XXXXXX";
	char *dir, *sub;

	assert_non_null(mkdtemp(tmpl));
	dir = xstrdup(tmpl);
	sub = fs_join(dir, "reports");
	assert_int_equal(fs_mkdirs(sub, 0700), 0);
	free(sub);
	sub = fs_join(dir, "templates");
	assert_int_equal(fs_mkdirs(sub, 0700), 0);
	free(sub);
	sub = fs_join(dir, "queries/t");
	assert_int_equal(fs_mkdirs(sub, 0700), 0);
	free(sub);
	return dir;
}

static void put(const char *dir, const char *rel, const char *text)
{
	char *path = fs_join(dir, rel);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void remove_tree(const char *dir)
{
	struct sbuf cmd = SBUF_INIT;

	/* Only our own mkdtemp directory. */
	assert_non_null(strstr(dir, "/tmp/test_report."));
	sbuf_addf(&cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd.buf), 0);
	sbuf_release(&cmd);
}

#define GOOD_SHEET \
	"{\"name\": \"S\", \"dataset\": \"a\", \"columns\": [" \
	"{\"field\": \"x\"}, {\"field\": \"c\"}, {\"field\": \"m\", " \
	"\"type\": \"money\", \"currency_field\": \"c\", \"total\": \"sum\"}]}"

/* Load text as reports/t.json: the code, and d. */
static int load_text(const char *text, struct err_detail *d,
		     struct report_def **ret)
{
	char *dir = make_datadir();
	struct report_def *def = NULL;
	int r;

	put(dir, "reports/t.json", text);
	memset(d, 0, sizeof(*d));
	r = report_load(dir, "t", &def, d);
	if (ret)
		*ret = def;
	else
		report_free(def);
	remove_tree(dir);
	free(dir);
	return r;
}

/* text is refused with -ERR_CONFIG at JSON path at, its message holding msg. */
static void refused(const char *text, const char *at, const char *msg)
{
	struct err_detail d;
	char want[256];

	if (load_text(text, &d, NULL) != -ERR_CONFIG)
		fail_msg("not refused: %s", text);
	snprintf(want, sizeof(want), "reports/t.json: %s", at);
	if (!strstr(d.where, want) || strlen(strstr(d.where, want)) !=
	    strlen(want))
		fail_msg("where '%s', wanted it to end in '%s' (msg '%s')",
			 d.where, want, d.msg);
	if (!strstr(d.msg, msg))
		fail_msg("message '%s' lacks '%s'", d.msg, msg);
}

static void test_definition_loads(void **state)
{
	struct err_detail d;
	struct report_def *def = NULL;

	(void)state;
	assert_int_equal(load_text(
		"{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\", "
		"\"b\": \"t/b.sql\"}, \"sheets\": [" GOOD_SHEET "], "
		"\"csv\": \"b\", \"comment\": \"ignored\", \"_x\": 1}",
		&d, &def), 0);
	assert_string_equal(def->name, "t");
	assert_string_equal(def->title, "T");
	assert_string_equal(def->description, "");
	assert_int_equal(def->period, REPORT_PERIOD_MONTH);
	assert_int_equal(def->ndatasets, 2);
	assert_string_equal(def->datasets[1].query, "t/b.sql");
	assert_int_equal(def->nsheets, 1);
	assert_true(def->sheets[0].freeze && def->sheets[0].autofilter);
	assert_string_equal(def->sheets[0].columns[0].header, "x");
	assert_int_equal(def->sheets[0].columns[2].type, REPORT_MONEY);
	assert_true(def->sheets[0].columns[2].total);
	assert_int_equal(def->njson, 2);	/* every dataset by default */
	assert_int_equal(report_formats(def),
			 REPORT_XLSX | REPORT_CSV | REPORT_JSON);
	report_free(def);
}

static void test_definition_errors(void **state)
{
	(void)state;
	refused("{\"datasets\": {\"a\": \"t/a.sql\"}}", "$.title",
		"'title' must be");
	refused("{\"title\": \"T\", \"name\": \"other\", \"datasets\": "
		"{\"a\": \"t/a.sql\"}}", "$.name", "the name is 'other'");
	refused("{\"title\": \"T\", \"period\": \"week\", \"datasets\": "
		"{\"a\": \"t/a.sql\"}}", "$.period", "'month', 'run'");
	refused("{\"title\": \"T\", \"datasets\": {}}", "$.datasets",
		"at least one");
	refused("{\"title\": \"T\", \"datasets\": {\"report\": \"t/a.sql\"}}",
		"$.datasets.report", "not 'report'");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"../a.sql\"}}",
		"$.datasets.a", "without '..'");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"sheets\": [" GOOD_SHEET ", {\"name\": \"s\", \"dataset\": "
		"\"a\", \"columns\": [{\"field\": \"x\"}]}]}",
		"$.sheets[1].name", "used twice");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"sheets\": [{\"name\": \"a/b\", \"dataset\": \"a\", "
		"\"columns\": [{\"field\": \"x\"}]}]}", "$.sheets[0].name",
		"may not contain");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"sheets\": [{\"name\": \"This sheet name is far too long!\", "
		"\"dataset\": \"a\", \"columns\": [{\"field\": \"x\"}]}]}",
		"$.sheets[0].name", "1 to 31");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"sheets\": [{\"name\": \"S\", \"dataset\": \"b\", "
		"\"columns\": [{\"field\": \"x\"}]}]}", "$.sheets[0].dataset",
		"no dataset 'b'");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"sheets\": [{\"name\": \"S\", \"dataset\": \"a\", "
		"\"columns\": [{\"field\": \"x\"}, {\"field\": \"y\", "
		"\"type\": \"currency\"}]}]}", "$.sheets[0].columns[1].type",
		"'money'");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"sheets\": [{\"name\": \"S\", \"dataset\": \"a\", "
		"\"columns\": [{\"field\": \"x\", \"widht\": 3}]}]}",
		"$.sheets[0].columns[0].widht", "unknown key 'widht'");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"sheets\": [{\"name\": \"S\", \"dataset\": \"a\", "
		"\"columns\": [{\"field\": \"x\", \"total\": \"sum\"}]}]}",
		"$.sheets[0].columns[0].total", "have totals");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"sheets\": [{\"name\": \"S\", \"dataset\": \"a\", "
		"\"columns\": [{\"field\": \"x\"}], \"totals_by\": \"c\"}]}",
		"$.sheets[0].totals_by", "not a column");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"sheets\": [" GOOD_SHEET "], \"x\": 1}", "$.x",
		"unknown key 'x'");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"sheets\": [{\"name\": \"S\", \"dataset\": \"a\", "
		"\"columns\": [{\"field\": \"x\"}, {\"field\": \"m\"}], "
		"\"chart\": {\"type\": \"bar\", \"categories\": \"x\", "
		"\"values\": [\"m\", \"z\"]}}]}",
		"$.sheets[0].chart.values[1]", "'z' is not a column");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"sheets\": [{\"name\": \"S\", \"dataset\": \"a\", "
		"\"columns\": [{\"field\": \"x\"}, {\"field\": \"m\"}], "
		"\"chart\": {\"type\": \"pie\", \"categories\": \"x\", "
		"\"values\": [\"m\"]}}]}", "$.sheets[0].chart.type", "'line'");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"csv\": \"b\"}", "$.csv", "no dataset 'b'");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"json\": [\"a\", \"c\"]}", "$.json[1]", "not a dataset");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"markdown\": \"/etc/passwd\"}", "$.markdown", "templates/");
}

static void test_bad_JSON_names_line_and_column(void **state)
{
	struct err_detail d;

	(void)state;
	assert_int_equal(load_text("{\"title\": \"T\",\n  oops}", &d, NULL),
			 -ERR_CONFIG);
	assert_non_null(strstr(d.where, "reports/t.json:2:"));
}

static void test_unknown_and_bad_names(void **state)
{
	char *dir = make_datadir();
	struct err_detail d = { "", "" };
	struct report_def *def = NULL;
	json_t *list = NULL;

	(void)state;
	assert_int_equal(report_load(dir, "nope", &def, &d), -ERR_NOT_FOUND);
	assert_non_null(strstr(d.where, "reports/nope.json"));
	assert_int_equal(report_load(dir, "../x", &def, &d), -ERR_USAGE);
	assert_int_equal(report_load(dir, ".hidden", &def, &d), -ERR_USAGE);
	put(dir, "reports/b.json", "{\"title\": \"B\", \"description\": "
	    "\"Bee\", \"datasets\": {\"a\": \"t/a.sql\"}}");
	put(dir, "reports/a.json", "{\"datasets\": {}}");
	put(dir, "reports/notes.txt", "not a report");
	assert_int_equal(report_list(dir, &list, &d), 0);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(list, 0), "name")), "a");
	assert_non_null(strstr(json_string_value(json_object_get(
		json_array_get(list, 0), "error")), "reports/a.json"));
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(list, 1), "description")), "Bee");
	json_decref(list);
	remove_tree(dir);
	free(dir);
}

static void test_csv_quoting_and_formula_guard(void **state)
{
	json_t *cols = json_pack("[ss]", "text", "n");
	json_t *rows = json_pack(
		"[{ss si}{ss sf}{ss sn}{ss sb}{ss s[i]}{ss}{ss}{ss}{ss}{ss}"
		"{ss}{ss}{ss}{ss}]",
		"text", "plain", "n", -5,
		"text", "a,b", "n", 0.1,
		"text", "say \"hi\"", "n",
		"text", "line\nbreak", "n", 1,
		"text", "=HYPERLINK(\"x\")", "n", 1,
		"text", "+1", "text", "-2.50", "text", "-x", "text",
		"@SUM(A1)", "text", "\tTab", "text", "\rCR", "text", "=1,2",
		"text", "", "text", "ok=");
	struct sbuf out = SBUF_INIT;

	(void)state;
	assert_int_equal(csv_add_rows(&out, cols, rows), 0);
	assert_string_equal(out.buf,
		"text,n\r\n"
		"plain,-5\r\n"
		"\"a,b\",0.1\r\n"
		"\"say \"\"hi\"\"\",\r\n"
		"\"line\nbreak\",true\r\n"
		"\"'=HYPERLINK(\"\"x\"\")\",[1]\r\n"
		"'+1,\r\n"
		"-2.50,\r\n"
		"'-x,\r\n"
		"'@SUM(A1),\r\n"
		"'\tTab,\r\n"
		"\"'\rCR\",\r\n"
		"\"'=1,2\",\r\n"
		",\r\n"
		"ok=,\r\n");
	sbuf_release(&out);
	json_decref(cols);
	json_decref(rows);
}

static void test_csv_cap(void **state)
{
	struct sbuf out;

	(void)state;
	sbuf_init(&out, 8);
	assert_int_equal(csv_add_field(&out, "12345", 1), 0);
	assert_int_equal(csv_add_field(&out, "a,b,c", 1), -ERR_TOO_LARGE);
	assert_string_equal(out.buf, "12345");
	sbuf_release(&out);
}

static void test_number_text(void **state)
{
	static const struct { double v; const char *want; } t[] = {
		{ 0.1, "0.1" }, { 100.0, "100" }, { -0.5, "-0.5" },
		{ 1.21, "1.21" }, { 0.1 + 0.2, "0.30000000000000004" },
		{ 1e21, "1e+21" }, { 1.5e-7, "1.5e-07" }, { 0.000001, "0.000001" },
		{ 12345678.9, "12345678.9" }, { 0, "0" },
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		num_shortest(t[i].v, buf);
		assert_string_equal(buf, t[i].want);
	}
}

/* A store with the schema, and a data directory with test queries. */
struct fixture {
	char *dir;
	struct store *store;
	struct report_def *def;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct err_detail d;

	f->dir = make_datadir();
	if (store_open(":memory:", 0, &f->store, &d) < 0)
		fail_msg("store_open: %s", d.msg);
	put(f->dir, "queries/t/params.sql",
	    "-- Parameters: all\nSELECT :from AS f, :to AS t, :month AS m, "
	    ":as_of AS a, :run AS r;\n");
	put(f->dir, "queries/t/rows.sql",
	    "SELECT 'genomics' AS cc, 'USD' AS currency, 1.5 AS billed\n"
	    "UNION ALL SELECT 'a|b', 'USD', 2\n"
	    "UNION ALL SELECT '=cmd()', 'EUR', 0.1;\n");
	put(f->dir, "templates/t.md.mustache",
	    "# {{report.title}} ({{report.label}})\n\n"
	    "| Cost center | Currency | Billed |\n|---|---|---:|\n"
	    "{{#rows}}\n| {{cc}} | {{currency}} | {{billed}} |\n{{/rows}}\n"
	    "{{> foot}}\n");	/* standalone: foot's text alone */
	put(f->dir, "templates/foot.mustache",
	    "_{{report.generated.tool_version}}, {{report.generated.time}}_");
	put(f->dir, "reports/t.json",
	    "{\"title\": \"T|x\", \"datasets\": {\"params\": "
	    "\"t/params.sql\", \"rows\": \"t/rows.sql\"}, "
	    "\"markdown\": \"t.md.mustache\", \"csv\": \"rows\", "
	    "\"json\": [\"rows\"]}");
	if (report_load(f->dir, "t", &f->def, &d) < 0)
		fail_msg("report_load: %s (%s)", d.msg, d.where);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	report_free(f->def);
	store_close(f->store);
	remove_tree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static json_t *first_row(struct report_result *r, const char *ds)
{
	return json_array_get(json_object_get(r->data, ds), 0);
}

static void test_derived_dataset_errors(void **state)
{
	(void)state;
	refused("{\"title\": \"T\", \"datasets\": {\"a\": {\"query\": "
		"\"t/a.sql\", \"bind\": {\":x\": \"b.c\"}}, \"b\": \"t/b.sql\"}}",
		"$.datasets.a.bind.:x", "no dataset 'b' before");
	refused("{\"title\": \"T\", \"datasets\": {\"b\": \"t/b.sql\", "
		"\"a\": {\"query\": \"t/a.sql\", \"bind\": {\"x\": \"b.c\"}}}}",
		"$.datasets.a.bind.x", "':' and a name");
	refused("{\"title\": \"T\", \"datasets\": {\"b\": \"t/b.sql\", "
		"\"a\": {\"query\": \"t/a.sql\", \"bind\": {\":x\": \"b\"}}}}",
		"$.datasets.a.bind.:x", "dataset.column");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": {\"pivot\": \"a\", "
		"\"rows\": [\"r\"], \"columns\": \"c\", \"value\": \"v\"}}}",
		"$.datasets.a.pivot", "no dataset 'a' before");
	refused("{\"title\": \"T\", \"datasets\": {\"b\": \"t/b.sql\", "
		"\"a\": {\"pivot\": \"b\", \"rows\": [], \"columns\": \"c\", "
		"\"value\": \"v\"}}}", "$.datasets.a.rows", "array of fields");
	refused("{\"title\": \"T\", \"datasets\": {\"b\": \"t/b.sql\", "
		"\"a\": {\"pivot\": \"b\", \"rows\": [\"r\"], \"columns\": "
		"\"c\", \"value\": \"v\"}, \"a_grid\": \"t/c.sql\"}}",
		"$.datasets", "grid of pivot 'a'");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": {\"builtin\": "
		"\"rm -rf\"}}}", "$.datasets.a", "\"chain\"} alone");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": {\"query\": "
		"\"t/a.sql\", \"builtin\": \"verify\"}}}", "$.datasets.a",
		"one of 'query'");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": {\"query\": "
		"\"t/a.sql\", \"sql\": 1}}}", "$.datasets.a.sql", "unknown key");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"sheets\": [{\"name\": \"S\", \"dataset\": \"a\", \"columns\": "
		"[{\"field\": \"x\"}], \"dynamic_columns\": {\"field\": \"y\"}}]}",
		"$.sheets[0].dynamic_columns", "from the dataset");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"sheets\": [{\"name\": \"S\", \"dataset\": \"a\", \"columns\": "
		"[{\"field\": \"x\"}], \"conditional_formats\": [{\"columns\": "
		"\"dynamic\", \"equals\": \"ok\"}]}]}",
		"$.sheets[0].conditional_formats[0].columns",
		"no 'dynamic_columns'");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"sheets\": [{\"name\": \"S\", \"dataset\": \"a\", \"columns\": "
		"[{\"field\": \"x\"}], \"conditional_formats\": [{\"columns\": "
		"[\"x\"], \"equals\": \"ok\", \"background\": \"red\"}]}]}",
		"$.sheets[0].conditional_formats[0]", "#RRGGBB");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"sheets\": [{\"name\": \"S\", \"dataset\": \"a\", \"columns\": "
		"[{\"field\": \"x\"}], \"conditional_formats\": [{\"columns\": "
		"[\"y\"], \"equals\": \"ok\"}]}]}",
		"$.sheets[0].conditional_formats[0].columns[0]",
		"not a column");
	refused("{\"title\": \"T\", \"datasets\": {\"a\": \"t/a.sql\"}, "
		"\"sheets\": [{\"name\": \"S\", \"dataset\": \"a\", \"columns\": "
		"[{\"field\": \"x\"}], \"conditional_formats\": [{\"columns\": "
		"[\"x\"], \"equals\": \"a\\nb\"}]}]}",
		"$.sheets[0].conditional_formats[0]", "one line");
}

static void test_pivot_bind_and_verify(void **state)
{
	struct fixture *f = *state;
	struct report_def *def = NULL;
	struct report_params p;
	struct report_result r;
	struct err_detail d;
	struct store *st = NULL;
	json_t *rows, *grid;
	char *text, *db = fs_join(f->dir, "h.db");

	/* verify reads the history's file (not :memory:). */
	if (store_open(db, 0, &st, &d) < 0)
		fail_msg("store_open: %s", d.msg);
	put(f->dir, "queries/t/long.sql",
	    "SELECT 'fs1' AS fs, 'zeta' AS rule, 'ok' AS st UNION ALL "
	    "SELECT 'fs1', 'alpha', 'alarm' UNION ALL "
	    "SELECT 'fs2', 'zeta', '=cmd|x' UNION ALL "
	    "SELECT 'fs1', '', 'skip' UNION ALL "
	    /* A rule named like a row field: a column of its own. */
	    "SELECT 'fs2', 'fs', 'x' UNION ALL "
	    /* NULL, '' and 1 vs '1': four rows, not two. */
	    "SELECT NULL, 'zeta', 'n' UNION ALL SELECT '', 'zeta', 'e' UNION ALL "
	    "SELECT 1, 'zeta', 'i' UNION ALL SELECT '1', 'zeta', 't';\n");
	put(f->dir, "queries/t/nullcol.sql",
	    "SELECT 'fs1' AS fs, 'zeta' AS rule, 'ok' AS st UNION ALL "
	    "SELECT 'fs1', NULL, 'skip';\n");
	put(f->dir, "reports/nullcol.json",
	    "{\"title\": \"N\", \"datasets\": {\"long\": \"t/nullcol.sql\", "
	    "\"wide\": {\"pivot\": \"long\", \"rows\": [\"fs\"], "
	    "\"columns\": \"rule\", \"value\": \"st\"}}}");
	put(f->dir, "queries/t/first.sql", "SELECT 7 AS n, 'x|y' AS s;\n");
	put(f->dir, "queries/t/bound.sql",
	    "SELECT :from AS f, :n AS n, :to AS t, :h AS h;\n");
	put(f->dir, "queries/t/ini.sql",
	    "SELECT ini_entries('[a]\nk = v ; note\n  more\n[b c]\nx=1\n') "
	    "AS e, ini_entries('[x\n') AS bad;\n");
	put(f->dir, "reports/p.json",
	    "{\"title\": \"P\", \"period\": \"month_or_run\", \"datasets\": {"
	    "\"long\": \"t/long.sql\", \"first\": \"t/first.sql\", "
	    "\"wide\": {\"pivot\": \"long\", \"rows\": [\"fs\"], "
	    "\"columns\": \"rule\", \"value\": \"st\"}, "
	    "\"v\": {\"builtin\": \"verify\"}, "
	    "\"bound\": {\"query\": \"t/bound.sql\", \"bind\": {\":from\": "
	    "\"first.s\", \":n\": \"first.n\", \":h\": \"v.head_hash\"}}, "
	    "\"ini\": \"t/ini.sql\"}, "
	    "\"sheets\": [{\"name\": \"W\", \"dataset\": \"wide\", "
	    "\"columns\": [{\"field\": \"fs\"}], \"dynamic_columns\": "
	    "{\"width\": 9}, \"conditional_formats\": [{\"columns\": "
	    "\"dynamic\", \"equals\": \"a\\\"b\", \"background\": "
	    "\"#FF0000\"}]}]}");
	assert_int_equal(report_load(f->dir, "p", &def, &d), 0);
	assert_int_equal(def->period, REPORT_PERIOD_MONTH_OR_RUN);
	memset(&p, 0, sizeof(p));
	assert_int_equal(report_params_month(&p, "2026-02"), 0);
	if (report_run(st, f->dir, def, &p, "9.9", &r, &d) < 0)
		fail_msg("report_run: %s (%s)", d.msg, d.where);
	assert_string_equal(r.label, "2026-02");
	/* Columns: the row fields, then the distinct texts sorted; one row
	 * per fs (typed: NULL, '', 1 and '1' apart), first seen first; null
	 * where none. */
	text = json_dumps(json_object_get(r.columns, "wide"), JSON_COMPACT);
	assert_string_equal(text, "[\"fs\",\"\",\"alpha\",\"fs (column)\","
			    "\"zeta\"]");
	free(text);
	rows = json_object_get(r.data, "wide");
	text = json_dumps(rows, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(text,
		"[{\"fs\":\"fs1\",\"\":\"skip\",\"alpha\":\"alarm\","
		"\"fs (column)\":null,\"zeta\":\"ok\"},{\"fs\":\"fs2\",\"\":null,"
		"\"alpha\":null,\"fs (column)\":\"x\",\"zeta\":\"=cmd|x\"},"
		"{\"fs\":null,\"\":null,\"alpha\":null,\"fs (column)\":null,"
		"\"zeta\":\"n\"},{\"fs\":\"\",\"\":null,\"alpha\":null,"
		"\"fs (column)\":null,\"zeta\":\"e\"},{\"fs\":1,\"\":null,"
		"\"alpha\":null,\"fs (column)\":null,\"zeta\":\"i\"},"
		"{\"fs\":\"1\",\"\":null,\"alpha\":null,\"fs (column)\":null,"
		"\"zeta\":\"t\"}]");
	free(text);
	grid = json_object_get(r.data, "wide_grid");
	text = json_dumps(grid, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(text,
		"{\"columns\":[\"\",\"alpha\",\"fs (column)\",\"zeta\"],"
		"\"rows\":[{\"fs\":\"fs1\",\"cells\":[\"skip\",\"alarm\",null,"
		"\"ok\"]},{\"fs\":\"fs2\",\"cells\":[null,null,\"x\","
		"\"=cmd|x\"]},{\"fs\":null,\"cells\":[null,null,null,\"n\"]},"
		"{\"fs\":\"\",\"cells\":[null,null,null,\"e\"]},"
		"{\"fs\":1,\"cells\":[null,null,null,\"i\"]},"
		"{\"fs\":\"1\",\"cells\":[null,null,null,\"t\"]}]}");
	free(text);
	/* Bound: from the first row of earlier datasets, others kept. */
	rows = first_row(&r, "bound");
	assert_string_equal(json_string_value(json_object_get(rows, "f")),
			    "x|y");
	assert_int_equal(json_integer_value(json_object_get(rows, "n")), 7);
	assert_string_equal(json_string_value(json_object_get(rows, "t")),
			    "2026-02-28");
	assert_true(json_is_null(json_object_get(rows, "h")));	/* no runs */
	rows = first_row(&r, "v");
	assert_string_equal(json_string_value(json_object_get(rows, "status")),
			    "ok");
	rows = first_row(&r, "ini");
	text = json_dumps(json_object_get(rows, "e"), JSON_COMPACT);
	assert_string_equal(json_string_value(json_object_get(rows, "e")),
		"[{\"section\":\"a\",\"key\":\"k\",\"value\":\"v\\nmore\","
		"\"line\":2},{\"section\":\"b c\",\"key\":\"x\",\"value\":\"1\","
		"\"line\":5}]");
	free(text);
	assert_true(json_is_null(json_object_get(rows, "bad")));
	assert_int_equal(report_check(def, &r, &d), 0);
	report_result_release(&r);
	/* A run: the run's period (there is no run 1 here). */
	report_params_run(&p, 1);
	assert_int_equal(report_run(st, f->dir, def, &p, "9.9", &r, &d),
			 -ERR_NOT_FOUND);
	report_free(def);
	/* A NULL column value has no name: refused, not merged with ''. */
	assert_int_equal(report_load(f->dir, "nullcol", &def, &d), 0);
	report_params_month(&p, "2026-02");
	assert_int_equal(report_run(st, f->dir, def, &p, "9.9", &r, &d),
			 -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "dataset 'long' row 2: 'rule' is NULL"));
	report_free(def);
	store_close(st);
	free(db);
}

static void test_period_parameters(void **state)
{
	struct fixture *f = *state;
	struct report_params p;
	struct report_result r;
	struct err_detail d;
	json_t *row;

	memset(&p, 0, sizeof(p));
	assert_int_equal(report_params_month(&p, "2026-13"), -EINVAL);
	assert_int_equal(report_params_month(&p, "2026-10-01"), -EINVAL);
	assert_int_equal(report_params_days(&p, "2026-10-05", "2026-10-01"),
			 -EINVAL);
	assert_int_equal(report_params_days(&p, "10/01/2026", "2026-10-05"),
			 -EINVAL);
	assert_int_equal(report_params_month(&p, "2026-02"), 0);
	assert_int_equal(report_run(f->store, f->dir, f->def, &p, "9.9", &r,
				    &d), 0);
	row = first_row(&r, "params");
	assert_string_equal(json_string_value(json_object_get(row, "f")),
			    "2026-02-01");
	assert_string_equal(json_string_value(json_object_get(row, "t")),
			    "2026-02-28");
	assert_string_equal(json_string_value(json_object_get(row, "m")),
			    "2026-02");
	assert_true(json_is_null(json_object_get(row, "a")));
	assert_true(json_is_null(json_object_get(row, "r")));
	assert_string_equal(r.label, "2026-02");
	/* No --as-of: the end of the period, never the clock. */
	assert_int_equal(r.created, 1772323199);	/* 2026-02-28T23:59:59Z */
	report_result_release(&r);

	assert_int_equal(report_params_days(&p, "2026-10-03", "2026-11-02"),
			 0);
	assert_int_equal(report_params_as_of(&p, "2026-11-15"), 0);
	assert_string_equal(p.as_of, "2026-11-15T23:59:59Z");
	assert_int_equal(report_run(f->store, f->dir, f->def, &p, "9.9", &r,
				    &d), 0);
	row = first_row(&r, "params");
	assert_string_equal(json_string_value(json_object_get(row, "m")),
			    "2026-11");
	assert_string_equal(json_string_value(json_object_get(row, "a")),
			    "2026-11-15T23:59:59Z");
	assert_string_equal(r.label, "2026-10-03_2026-11-02");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_object_get(r.data, "report"), "generated"), "time")),
		"2026-11-15T23:59:59Z");
	report_result_release(&r);
}

/* Rows of sqlite_temp_master whose name starts with prefix. */
static int temp_objects(struct store *s, const char *prefix)
{
	sqlite3_stmt *st = NULL;
	int n = -1;

	if (sqlite3_prepare_v2(store_db(s), "SELECT count(*) FROM "
			       "sqlite_temp_master WHERE name GLOB ?1 || '*'",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	return n;
}

/* PRAGMA schema.cache_size of the store's connection. */
static long long cache_pages(struct store *s, const char *schema)
{
	char sql[64];
	sqlite3_stmt *st = NULL;
	long long n = 0;

	snprintf(sql, sizeof(sql), "PRAGMA %s.cache_size", schema);
	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/*
 * A setup's TEMP tables live in a transaction of the report's own that is
 * rolled back at the end (nothing left, the connection in autocommit, the
 * next report makes them again); in a transaction the caller holds, they
 * are dropped and the caller's own TEMP objects stay. A failing setup
 * leaves nothing either. The larger page caches the report runs with are
 * the connection's own again after it.
 */
static void test_setup_transaction(void **state)
{
	struct fixture *f = *state;
	struct report_def *def = NULL;
	struct report_params p;
	struct report_result r;
	struct err_detail d;
	sqlite3 *db = store_db(f->store);
	int i;

	put(f->dir, "queries/t/mk.sql",
	    "CREATE TEMP TABLE t_setup AS SELECT 7 AS n;\n");
	put(f->dir, "queries/t/mkv.sql",
	    "CREATE TEMP VIEW t_setup_v AS SELECT n + 1 AS n FROM t_setup;\n");
	put(f->dir, "queries/t/read.sql", "SELECT n FROM t_setup_v;\n");
	put(f->dir, "queries/t/bad.sql",
	    "CREATE TEMP TABLE t_setup_bad AS SELECT * FROM no_such_table;\n");
	put(f->dir, "reports/tx.json",
	    "{\"title\": \"tx\", \"setup\": [\"t/mk.sql\", \"t/mkv.sql\"], "
	    "\"datasets\": {\"r\": \"t/read.sql\"}}");
	put(f->dir, "reports/txbad.json",
	    "{\"title\": \"tx\", \"setup\": [\"t/mk.sql\", \"t/bad.sql\"], "
	    "\"datasets\": {\"r\": \"t/read.sql\"}}");
	memset(&p, 0, sizeof(p));
	assert_int_equal(report_params_month(&p, "2026-10"), 0);
	assert_int_equal(store_exec(f->store, "PRAGMA main.cache_size = -1234;"
				    "PRAGMA temp.cache_size = 77", &d), 0);
	if (report_load(f->dir, "tx", &def, &d) < 0)
		fail_msg("report_load: %s (%s)", d.msg, d.where);
	for (i = 0; i < 2; i++) {
		assert_int_equal(report_run(f->store, f->dir, def, &p, "9.9",
					    &r, &d), 0);
		assert_int_equal(json_integer_value(json_object_get(
			first_row(&r, "r"), "n")), 8);
		report_result_release(&r);
		assert_true(sqlite3_get_autocommit(db));
		assert_int_equal(temp_objects(f->store, "t_setup"), 0);
		assert_int_equal(cache_pages(f->store, "main"), -1234);
		assert_int_equal(cache_pages(f->store, "temp"), 77);
	}

	/* The caller's transaction and TEMP table outlive the report. */
	assert_int_equal(store_exec(f->store, "BEGIN; CREATE TEMP TABLE "
				    "t_mine AS SELECT 1 AS x", &d), 0);
	assert_int_equal(report_run(f->store, f->dir, def, &p, "9.9", &r, &d),
			 0);
	report_result_release(&r);
	assert_false(sqlite3_get_autocommit(db));
	assert_int_equal(temp_objects(f->store, "t_setup"), 0);
	assert_int_equal(temp_objects(f->store, "t_mine"), 1);
	assert_int_equal(store_exec(f->store, "ROLLBACK", &d), 0);
	report_free(def);

	def = NULL;
	if (report_load(f->dir, "txbad", &def, &d) < 0)
		fail_msg("report_load: %s (%s)", d.msg, d.where);
	assert_true(report_run(f->store, f->dir, def, &p, "9.9", &r, &d) < 0);
	assert_non_null(strstr(d.where, "t/bad.sql"));
	assert_true(sqlite3_get_autocommit(db));
	assert_int_equal(temp_objects(f->store, "t_setup"), 0);
	assert_int_equal(cache_pages(f->store, "main"), -1234);
	report_free(def);
}

static void test_query_errors_name_the_file(void **state)
{
	struct fixture *f = *state;
	struct report_params p;
	struct report_result r;
	struct err_detail d;

	memset(&p, 0, sizeof(p));
	report_params_month(&p, "2026-10");
	put(f->dir, "queries/t/rows.sql", "SELEC 1;\n");
	assert_int_equal(report_run(f->store, f->dir, f->def, &p, "9.9", &r,
				    &d), -ERR_CONFIG);
	assert_non_null(strstr(d.where, "queries/t/rows.sql"));
	put(f->dir, "queries/t/rows.sql", "SELECT :nope AS x;\n");
	assert_int_equal(report_run(f->store, f->dir, f->def, &p, "9.9", &r,
				    &d), -ERR_CONFIG);
	assert_non_null(strstr(d.msg, ":nope"));
	put(f->dir, "queries/t/rows.sql", "DELETE FROM runs;\n");
	assert_int_equal(report_run(f->store, f->dir, f->def, &p, "9.9", &r,
				    &d), -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "only read"));
}

static void test_markdown_of_a_dataset(void **state)
{
	struct fixture *f = *state;
	struct report_params p;
	struct report_result r;
	struct err_detail d;
	struct sbuf out = SBUF_INIT;

	memset(&p, 0, sizeof(p));
	report_params_month(&p, "2026-10");
	assert_int_equal(report_run(f->store, f->dir, f->def, &p, "9.9", &r,
				    &d), 0);
	assert_int_equal(report_markdown(f->dir, f->def, &r, &out, &d), 0);
	assert_string_equal(out.buf,
		"# T\\|x (2026-10)\n\n"
		"| Cost center | Currency | Billed |\n|---|---|---:|\n"
		"| genomics | USD | 1.5 |\n"
		"| a\\|b | USD | 2 |\n"
		"| '=cmd() | EUR | 0.1 |\n"
		"_9.9, 2026-10-31T23:59:59Z_");
	sbuf_reset(&out);

	/* A broken template: the file and LINE:COLUMN. */
	put(f->dir, "templates/t.md.mustache", "ok\n{{#rows}}\n");
	assert_int_equal(report_markdown(f->dir, f->def, &r, &out, &d),
			 -ERR_CONFIG);
	assert_non_null(strstr(d.where, "templates/t.md.mustache:"));
	put(f->dir, "templates/t.md.mustache", "{{> missing}}");
	assert_int_equal(report_markdown(f->dir, f->def, &r, &out, &d),
			 -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "missing.mustache"));
	sbuf_release(&out);
	report_result_release(&r);
}

static void test_json_and_csv_outputs(void **state)
{
	struct fixture *f = *state;
	struct report_params p;
	struct report_result r;
	struct err_detail d;
	struct sbuf out = SBUF_INIT;
	char *path = NULL, *name, *outdir;
	const char *rows;

	memset(&p, 0, sizeof(p));
	report_params_month(&p, "2026-10");
	assert_int_equal(report_run(f->store, f->dir, f->def, &p, "9.9", &r,
				    &d), 0);
	report_json(f->def, &r, &out);
	/* "report" first, then the datasets; keys in the query's order. */
	assert_true(!strncmp(out.buf, "{\n  \"report\": {\n    \"name\": \"t\",",
			     strlen("{\n  \"report\": {\n    \"name\": \"t\",")));
	rows = strstr(out.buf, "\"rows\": [");
	assert_non_null(rows);
	assert_non_null(strstr(rows, "{\n      \"cc\": \"genomics\",\n"
			       "      \"currency\": \"USD\",\n"
			       "      \"billed\": 1.5\n    }"));
	assert_null(strstr(out.buf, "\"params\": [")); /* not in "json" */
	assert_int_equal(out.buf[out.len - 1], '\n');

	name = report_file_name(f->def, &r, REPORT_CSV);
	assert_string_equal(name, "t-2026-10.csv");
	free(name);
	outdir = fs_join(f->dir, "out/deeper");
	assert_int_equal(report_write(f->dir, f->def, &r, REPORT_CSV, outdir,
				      &path, &d), 0);
	sbuf_reset(&out);
	assert_int_equal(fs_read_file(path, &out), 0);
	assert_string_equal(out.buf, "cc,currency,billed\r\n"
			    "genomics,USD,1.5\r\n" "a|b,USD,2\r\n"
			    "'=cmd(),EUR,0.1\r\n");
	free(path);
	/* No sheets: no workbook. */
	assert_int_equal(report_write(f->dir, f->def, &r, REPORT_XLSX, outdir,
				      &path, &d), -ERR_CONFIG);
	free(outdir);
	sbuf_release(&out);
	report_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_definition_loads),
		cmocka_unit_test(test_definition_errors),
		cmocka_unit_test(test_derived_dataset_errors),
		cmocka_unit_test(test_bad_JSON_names_line_and_column),
		cmocka_unit_test(test_unknown_and_bad_names),
		cmocka_unit_test(test_csv_quoting_and_formula_guard),
		cmocka_unit_test(test_csv_cap),
		cmocka_unit_test(test_number_text),
		cmocka_unit_test_setup_teardown(test_pivot_bind_and_verify,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_period_parameters, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_query_errors_name_the_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_setup_transaction, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_markdown_of_a_dataset,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_and_csv_outputs,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
