#pragma once
#include "report/report.h"
#include "util/err.h"

/*
 * The workbook of a report, with libxlsxwriter: one worksheet per sheet of
 * the definition, in its order, as report.h describes (types, number
 * formats, widths, frozen header, autofilter, totals as formulas with
 * their values cached, charts). Text is always written as a string cell,
 * never as a formula. The document properties are fixed (title, subject:
 * the period, author "amlfs-audit", comments: the description) and the
 * creation time is r->created, so the same data gives the same workbook.
 *
 * A line chart with series_by plots a table of categories x groups that
 * is written to hidden columns right of the chart (the chart shows
 * hidden data); at most XLSX_MAX_SERIES groups are plotted.
 */

#define XLSX_MAX_SERIES 255

/*
 * Write the workbook to path (created or replaced; the caller renames it
 * into place). tmpdir (may be NULL for the system's) is where
 * libxlsxwriter keeps its scratch files. Fails with -ERR_CONFIG for a
 * sheet that names a column its dataset lacks (d: the definition's file
 * and JSON path), -ERR_TOO_LARGE for a sheet past Excel's row limit, -EIO
 * (d: libxlsxwriter's reason) when the file cannot be written.
 */
int xlsx_write_report(const struct report_def *def,
		      const struct report_result *r, const char *path,
		      const char *tmpdir, struct err_detail *d);
