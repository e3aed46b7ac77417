#pragma once
#include <stddef.h>

#include "config/config.h"
#include "util/err.h"
#include "util/hash.h"

/*
 * Streaming reader of Cost Management export files: EA and MCA cost
 * details (actual or amortized) and FOCUS 1.0, plain or gzip-compressed
 * (detected from the bytes), a UTF-8 BOM and CRLF accepted. The format is
 * found from the header row, columns are matched by name, case-blind.
 * Only AMLFS rows (and the related resources asked for) are handed on;
 * the file is never held in memory whole.
 */
/*
 * Bounds of one logical record (a row whose quoted field runs over lines).
 * Past either, the record is broken: one malformed row at the line where
 * its quote opened, every line it took that mentions an AMLFS (or
 * related) resource named by its number, and reading starts again at the
 * line after the opening one, so those lines are parsed on their own. A
 * real export's row is a few KB on one line (Azure tags: 50 of at most
 * 768 bytes), so a broken quote costs at most this much memory and
 * reading again. A single line longer than COST_MAX_RECORD_BYTES is a
 * malformed row; one longer than COST_MAX_LINE (16 MiB) stops the read
 * with an error naming FILE:LINE.
 */
#define COST_MAX_RECORD_BYTES (1 << 20)
#define COST_MAX_RECORD_LINES 256
#define COST_MAX_LINE (16 << 20)

enum cost_format { COST_FORMAT_UNKNOWN, COST_FORMAT_EA, COST_FORMAT_MCA,
		   COST_FORMAT_FOCUS };

const char *cost_format_name(enum cost_format f);

/* One kept row. Strings are borrowed until the callback returns. */
struct cost_row {
	long line;			/* where the row starts */
	const char *resource_id;
	char day[11];			/* YYYY-MM-DD */
	const char *meter;		/* or NULL */
	const char *currency;
	const char *unit;		/* or NULL */
	const char *tags;		/* a JSON object, or NULL */
	double cost;			/* actual (EA/MCA: of o->cost_type) */
	double amortized;		/* FOCUS: EffectiveCost */
	/* The same two exactly, in micro-units (num_parse_micros()). */
	long long cost_micros;
	long long amortized_micros;
	int has_amortized;
	double quantity;
	int has_quantity;
};

struct cost_reader_options {
	/* Lower-case resource ids kept besides AMLFS (config [costs] related). */
	const struct strlist *related;
	/* A kept row; negative stops the read with that error. */
	int (*on_row)(void *ctx, const struct cost_row *row,
		      struct err_detail *d);
	/*
	 * A row that cannot be read: reported, counted, not kept (why starts
	 * with "malformed row"). Also called, not counted, for a note on a
	 * line: tags that are not JSON, an AMLFS line a broken record took.
	 */
	void (*on_bad)(void *ctx, long line, const char *why);
	/* Bytes read so far of total (the file's size); may be NULL. */
	void (*on_progress)(void *ctx, long long done, long long total);
	/*
	 * Each physical line parsed into a record (the header, every line
	 * that may hold a kept row, and all lines of a record it spans,
	 * handed over when the record closes), with its terminator; may be
	 * NULL. The lines of a broken record (see COST_MAX_RECORD_BYTES) are
	 * not: they are read again on their own. Read again with
	 * cost_read_buffer() and keep_all, they give the same rows: this is
	 * the evidence an import keeps.
	 */
	int (*on_line)(void *ctx, const char *line, size_t len);
	/* Parse every line, not only those that may be AMLFS or related. */
	int keep_all;
	void *ctx;
};

struct cost_read_result {
	enum cost_format format;
	long rows_read;			/* data rows in the file */
	long rows_kept;
	long rows_malformed;
	long long bytes;		/* as stored */
	char sha256[SHA256_HEX_LEN + 1];	/* of the bytes as stored */
};

/*
 * Read path. Fails with -ERR_CONFIG naming the file when its header is of
 * no known format, -errno or -ERR_JSON... for I/O and decompression errors
 * (d names the file), or the callback's error.
 */
int cost_read_file(const char *path, const struct cost_reader_options *o,
		   struct cost_read_result *res, struct err_detail *d);

/* The same over text in memory (plain CSV); name stands for the file. */
int cost_read_buffer(const char *name, const char *buf, size_t len,
		     const struct cost_reader_options *o,
		     struct cost_read_result *res, struct err_detail *d);

/*
 * Is id an AMLFS resource, or one of the related ids (lower case)? ARM ids
 * compare case-blind: cost data often lower-cases them.
 */
int cost_resource_wanted(const char *id, const struct strlist *related);

/*
 * A day from "MM/DD/YYYY", "YYYY-MM-DD" or an ISO date-time, as
 * YYYY-MM-DD. 0, or -EINVAL.
 */
int cost_parse_day(const char *s, char out[11]);

/*
 * A Tags field in either shape (a JSON object, or its members without the
 * braces) as a new compact JSON object string; NULL (and 0) for an empty
 * field; -ERR_JSON when it is not JSON.
 */
int cost_parse_tags(const char *s, char **ret);
