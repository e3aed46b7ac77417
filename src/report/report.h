#pragma once
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "store/db.h"
#include "store/query.h"
#include "util/err.h"
#include "util/sbuf.h"

/*
 * Report definitions: a report is a JSON file, DATADIR/reports/NAME.json,
 * naming its datasets (SQL files under DATADIR/queries), its workbook
 * sheets, its Markdown template (under DATADIR/templates) and what goes
 * into the CSV and JSON outputs. Adding a report, a dataset or a column
 * needs no C and no rebuild. The format:
 *
 *   {
 *     "name": "chargeback",          optional; when given, NAME itself
 *     "title": "Monthly chargeback", required
 *     "description": "...",         optional
 *     "period": "month",             "month" (--month, or --from/--to;
 *                                    the default), "run" (--run) or
 *                                    "month_or_run" (either; without
 *                                    one, the newest run)
 *     "datasets": {                  required, at least one; each a query
 *       "summary": "chargeback/summary.sql",   under queries/ (names:
 *       "lines": "chargeback/lines.sql"        [A-Za-z_][A-Za-z0-9_]*,
 *     },                                       not "report"; a value
 *                                              may also be an object,
 *                                              see "Derived datasets")
 *     "sheets": [ {                  optional (no sheets, no workbook)
 *       "name": "Summary",           Excel's rules: 1 to 31 characters,
 *                                    none of []:*?/\, no ' at either
 *                                    end, unique ignoring case
 *       "dataset": "summary",        one of datasets
 *       "freeze": true,              freeze the header row (default true)
 *       "autofilter": true,          filter buttons (default true)
 *       "columns": [ {               at least one
 *         "field": "billed",         the dataset's column
 *         "header": "Billed",        default: the field
 *         "type": "money",           see below; default "string"
 *         "currency_field": "currency",   money: the row's currency
 *         "currency": "USD",         money: a fixed currency instead
 *         "format": "#,##0.00",      an Excel number format (money: the
 *                                    part after the currency)
 *         "width": 14,               characters; default from the
 *                                    header and the cells (8 to 60)
 *         "total": "sum"             a totals row for this column
 *       } ],
 *       "totals_by": "currency",     one totals row per value of this
 *                                    column's field (first-seen order)
 *       "dynamic_columns": {...},    optional: a column (no "field"
 *                                    nor "header") repeated for every
 *                                    column of the dataset that
 *                                    "columns" does not name, in the
 *                                    dataset's order, headed by its name
 *       "conditional_formats": [ {   optional, over the data rows
 *         "columns": ["status"],     fields, or "dynamic" (all the
 *                                    dynamic columns)
 *         "equals": "alarm",         a cell whose value is this text
 *         "background": "#F4CCCC",   #RRGGBB, optional
 *         "font": "#9C0006",         #RRGGBB, optional
 *         "bold": true               optional
 *       } ],
 *       "chart": {                   optional
 *         "type": "bar",             "bar" (horizontal), "column" or
 *                                    "line"
 *         "title": "...",
 *         "categories": "cost_center",   a column's field
 *         "values": ["billed"],      columns' fields, one series each
 *         "series_by": "cost_center"     optional: one series per value
 *       }                            of this field (then exactly one
 *     } ],                           value field; categories sorted)
 *     "markdown": "chargeback.md.mustache",   under templates/
 *     "csv": "lines",                the dataset written as CSV
 *     "json": ["summary", "lines"]   datasets in the JSON (default: all)
 *   }
 *
 * Keys are checked: an unknown one (but "comment", or any starting with
 * "_") is an error, so a typo does not pass unnoticed. Every error names
 * the file and the JSON path ("$.sheets[0].columns[2].type").
 *
 * Column types: "string" (always a text cell, never a formula, whatever
 * it starts with), "number", "integer" ("0"), "money" ("[$USD] #,##0.00",
 * the currency from currency_field or currency; letters and digits only,
 * else none), "percent" (a fraction: 0.25 shows 25.0%), "date" (from
 * YYYY-MM-DD) and "datetime" (from an ISO time, shown in UTC). A value
 * that does not fit its type (text in a number column, a bad date) is
 * written as text; null is an empty cell.
 *
 * Totals: a blank row after the data, then one row with
 * =SUBTOTAL(9,...) per total column (ignoring rows the filter hides), or
 * with totals_by one row per group with =SUMIFS(...). Each formula's
 * cached value is the sum computed here (compensated, rounded to 15
 * significant digits as Excel shows it), so readers that do not
 * recalculate show the right number. Money is never summed across
 * currencies: a money total over rows of more than one currency is the
 * text "mixed currencies" instead.
 *
 * Derived datasets: instead of a query's path, a dataset may be
 *
 *   {"query": "diff/changes.sql",           a query whose parameters
 *    "bind": {":from": "scope.first_run",   are also taken from the
 *             ":to": "scope.last_run"}}     first row of a dataset
 *                                           named before it (NULL when
 *                                           it has no rows), so the
 *                                           same SQL serves two reports
 *   {"pivot": "cells", "rows": ["name"],    the rows of an earlier
 *    "columns": "rule", "value": "status"}  dataset turned wide: one
 *                                           row per distinct "rows"
 *                                           tuple (first seen first;
 *                                           typed: NULL is not ''),
 *                                           then one column per
 *                                           distinct text of "columns"
 *                                           (sorted; NULL is refused,
 *                                           -ERR_CONFIG), holding "value"
 *                                           (the last row's; null when
 *                                           none). The template also
 *                                           gets NAME_grid: {"columns":
 *                                           [...], "rows": [{rows'
 *                                           fields..., "cells": [...]}]}
 *   {"builtin": "verify"}                   one row from the engine:
 *                                           verify_history() of the
 *                                           whole history: status ("ok"
 *                                           or "broken"), runs,
 *                                           bad_run, reason, head_run,
 *                                           head_hash
 *   {"builtin": "chain"}                    the same row from
 *                                           verify_chain(): bodies, run
 *                                           hashes and links only (no
 *                                           re-derivation; verify.h)
 *
 * Datasets run in the definition's order. Queries may also call
 * ini_entries(text): the INI text (the project's reader: comments,
 * continuation lines) as a JSON array of {section, key, value, line},
 * or NULL when it does not parse.
 *
 * Queries run with these named parameters (a query uses any of them):
 * :from and :to (YYYY-MM-DD, inclusive; NULL for a run report), :month
 * (YYYY-MM, the month of :to; NULL for a run report), :as_of (ISO time:
 * the data as it stood then; NULL for now) and :run (the run id; NULL
 * for a month report); and any extra parameters the caller gives
 * (report_params.extra; the command gives :allocate_by, :variance_pct and
 * :usage, see cli/cmd_report.c).
 */

enum report_period {
	REPORT_PERIOD_MONTH = 0,
	REPORT_PERIOD_RUN,
	REPORT_PERIOD_MONTH_OR_RUN,	/* a run when p->run, else a month */
};

enum report_type {
	REPORT_STRING = 0,
	REPORT_NUMBER,
	REPORT_INTEGER,
	REPORT_MONEY,
	REPORT_PERCENT,
	REPORT_DATE,
	REPORT_DATETIME,
};

enum report_chart_type {
	REPORT_CHART_NONE = 0,
	REPORT_CHART_BAR,
	REPORT_CHART_COLUMN,
	REPORT_CHART_LINE,
};

/* Output formats, for report_write() and as a mask. */
enum report_format {
	REPORT_XLSX = 1 << 0,
	REPORT_MD = 1 << 1,
	REPORT_CSV = 1 << 2,
	REPORT_JSON = 1 << 3,
};

struct report_column {
	char *field;
	char *header;
	enum report_type type;
	char *format;		/* NULL: the type's default */
	char *currency_field;	/* NULL: none */
	char *currency;		/* NULL: none */
	double width;		/* 0: from the contents */
	int total;		/* "total": "sum" */
};

/* A conditional format: cells equal to a text get colours. */
struct report_cond {
	char **fields;		/* NULL with dynamic */
	size_t nfields;
	int dynamic;		/* "columns": "dynamic" */
	char *equals;
	char *background;	/* "#RRGGBB" or NULL */
	char *font;		/* "#RRGGBB" or NULL */
	int bold;
};

struct report_chart {
	enum report_chart_type type;
	char *title;		/* NULL: none */
	char *categories;
	char **values;
	size_t nvalues;
	char *series_by;	/* NULL: one series per value field */
};

struct report_sheet {
	char *name;
	char *dataset;
	int freeze;
	int autofilter;
	struct report_column *columns;
	size_t ncolumns;
	char *totals_by;	/* NULL: one totals row */
	struct report_chart chart;
	struct report_column *dynamic;	/* NULL: none */
	struct report_cond *conds;
	size_t nconds;
};

enum report_dataset_kind {
	REPORT_DS_QUERY = 0,
	REPORT_DS_PIVOT,
	REPORT_DS_BUILTIN,
};

struct report_dataset {
	char *name;
	char *query;		/* relative to DATADIR/queries; NULL if none */
	enum report_dataset_kind kind;
	char **bind_param;	/* query: ":from", ... */
	char **bind_dataset;	/* ... taken from this dataset's */
	char **bind_column;	/* ... column of its first row */
	size_t nbind;
	char *pivot_source;	/* pivot: the dataset turned wide */
	char **pivot_rows;
	size_t npivot_rows;
	char *pivot_columns;
	char *pivot_value;
	char *builtin;		/* builtin: "verify" or "chain" */
};

/* A loaded, checked definition; a plain record, freed by report_free(). */
struct report_def {
	char *path;		/* the file it came from */
	char *name;
	char *title;
	char *description;	/* "" when not given */
	enum report_period period;
	char **setup;		/* queries run first: TEMP tables and views */
	size_t nsetup;
	struct report_dataset *datasets;
	size_t ndatasets;
	struct report_sheet *sheets;
	size_t nsheets;
	char *markdown;		/* NULL: no Markdown */
	char *csv;		/* NULL: no CSV */
	char **json;		/* datasets in the JSON output */
	size_t njson;
};

/*
 * Load and check the definition in the file at path, whose report is
 * called name. On success *ret is a new definition the caller frees with
 * report_free(). Fails with -ERR_CONFIG (d: the message, and where the
 * file and the JSON path or line), or -errno when the file cannot be read
 * (d names it).
 */
int report_load_file(const char *path, const char *name,
		     struct report_def **ret, struct err_detail *d);

/*
 * Load DATADIR/reports/NAME.json. A name that is not [A-Za-z0-9_-] with
 * dots inside is -ERR_USAGE; no such file -ERR_NOT_FOUND; otherwise as
 * report_load_file().
 */
int report_load(const char *datadir, const char *name,
		struct report_def **ret, struct err_detail *d);

void report_free(struct report_def *def);

/* The formats the definition can write (a mask of enum report_format). */
unsigned report_formats(const struct report_def *def);

/*
 * Every definition in DATADIR/reports, sorted by name, as a new JSON array
 * of objects: {"name", "title", "description"} for those that load, and
 * {"name", "error"} (the message, file and path) for those that do not.
 * A missing reports/ directory is an empty list. Fails with -errno when
 * the directory cannot be read.
 */
int report_list(const char *datadir, json_t **ret, struct err_detail *d);

/*
 * The period a report covers. For a month report, from and to (and month,
 * the month of to); for a run report, run. as_of is "" for now. extra
 * (nextra of them, borrowed; may be NULL) are more named parameters the
 * caller gives every query, such as settings from the configuration.
 */
struct report_params {
	char from[11];
	char to[11];
	char month[8];
	char as_of[21];
	long long run;
	const struct query_param *extra;
	size_t nextra;
};

/*
 * Set p to the month "YYYY-MM", or the days from and to (YYYY-MM-DD,
 * from <= to), or the run. Each returns 0, or -EINVAL for a bad value
 * (p is then unchanged).
 */
int report_params_month(struct report_params *p, const char *month);
int report_params_days(struct report_params *p, const char *from,
		       const char *to);
void report_params_run(struct report_params *p, long long run);
/*
 * Set p->as_of from a date (meaning the end of that day) or an ISO time,
 * as "YYYY-MM-DDThh:mm:ssZ". 0, or -EINVAL.
 */
int report_params_as_of(struct report_params *p, const char *as_of);

/* What report_run() gives: the data of every dataset, and more. */
struct report_result {
	/*
	 * The template context: {"report": {...}, "<dataset>": [rows...],
	 * ...}. "report" holds name, title, description, period ("month" or
	 * "run"), label, from, to, month, run, as_of (null where they do not
	 * apply), params (from, to, month, as_of, run again, then the extra
	 * parameters by name without the colon: text, integer or null; text
	 * that is JSON stays text) and generated
	 * (tool_version, as_of, time: the fixed document time). Rows are
	 * objects with the query's columns in its order.
	 */
	json_t *data;
	json_t *columns;	/* {"<dataset>": ["column", ...]} */
	/*
	 * The document time: as_of when given, else the end of the period
	 * (its last day at 23:59:59 UTC) or the run's end. Never the clock,
	 * so the same history and --as-of give the same outputs.
	 */
	time_t created;
	char label[64];		/* the PERIOD of the file names */
};

/*
 * Run every dataset of def against s with the parameters of p. On success
 * r is filled (release it with report_result_release()). Fails with
 * -ERR_CONFIG for a query that cannot be read or prepared, or that names
 * a parameter not given (d names the file), -ERR_NOT_FOUND for a run
 * report's run that does not exist, -ERR_SQL when a query fails as it
 * runs.
 */
int report_run(struct store *s, const char *datadir,
	       const struct report_def *def, const struct report_params *p,
	       const char *tool_version, struct report_result *r,
	       struct err_detail *d);

void report_result_release(struct report_result *r);

/*
 * Check r against def before anything is written: every column of every
 * sheet is a column of its dataset. -ERR_CONFIG (d: the definition's file
 * and the JSON path) when not.
 */
int report_check(const struct report_def *def, const struct report_result *r,
		 struct err_detail *d);

/*
 * Render def's Markdown template with r->data, escaping for GFM table
 * cells; partials {{>name}} are DATADIR/templates/name.mustache. Appends
 * to out. -ERR_CONFIG for a template that is missing, unreadable or
 * malformed (d names the file and LINE:COLUMN).
 */
int report_markdown(const char *datadir, const struct report_def *def,
		    const struct report_result *r, struct sbuf *out,
		    struct err_detail *d);

/*
 * Append the JSON output: an object with "report" and then each dataset
 * of def->json, keys in a fixed order (the definition's, then the
 * query's columns), reals in the shortest form that reads back, 2-space
 * indentation, a final newline.
 */
void report_json(const struct report_def *def, const struct report_result *r,
		 struct sbuf *out);

/*
 * Write format fmt (one enum report_format) of the report to
 * OUTDIR/NAME-LABEL.EXT (characters other than [A-Za-z0-9._-] replaced by
 * '_'), through a temporary file in OUTDIR and a rename, so a reader never
 * sees half a file. outdir is made when missing. On success *ret_path is
 * the new path (the caller frees it). Fails with -ERR_CONFIG for a bad
 * template or a sheet naming a column its dataset lacks, -errno for I/O.
 */
int report_write(const char *datadir, const struct report_def *def,
		 const struct report_result *r, enum report_format fmt,
		 const char *outdir, char **ret_path, struct err_detail *d);

/*
 * report_write() in two steps, so that several formats can be made at
 * once and put in place only when all of them could be: begin writes and
 * syncs the temporary file (f->tmp; the same errors as report_write());
 * commit renames it to f->path and gives that to the caller (*ret_path),
 * or fails and removes it; abort removes it. Either ends f.
 */
struct report_file {
	char *tmp;
	char *path;
};

int report_write_begin(const char *datadir, const struct report_def *def,
		       const struct report_result *r, enum report_format fmt,
		       const char *outdir, struct report_file *f,
		       struct err_detail *d);
int report_write_commit(struct report_file *f, char **ret_path,
			struct err_detail *d);
void report_write_abort(struct report_file *f);

/* The file name (no directory) fmt gets; the caller frees it. */
char *report_file_name(const struct report_def *def,
		       const struct report_result *r, enum report_format fmt);
