#pragma once
#include <stddef.h>

#include "util/err.h"

/*
 * A strict INI reader on top of libinih, for the configuration and the
 * policy file. libinih alone cuts a line at INI_MAX_LINE and calls the
 * handler again for an indented continuation line, so a value could be
 * lost without a word; this reader never loses one:
 *
 *  - the file must be a regular file of at most max_bytes;
 *  - a physical line longer than libinih takes is an error
 *    (file:line, saying how to continue a list on the next line);
 *  - an indented line after `key = value` continues the value: it is
 *    appended after a '\n' (so a comma-separated list may span lines);
 *  - a key given twice in one section is an error naming both lines.
 *
 * Entries come back in file order, one per key.
 */
struct ini_entry {
	char *section;
	char *key;
	char *value;		/* continuation lines joined with '\n' */
	int line;		/* where the key is */
	int last_line;		/* its last continuation line (or line) */
};

/* A [section] line as written between the brackets, and where it is. */
struct ini_section {
	char *name;
	int line;
};

/*
 * sections lists every section line in file order, those with no keys
 * and repeats too (entries of a section given twice share its name).
 */
struct ini_file {
	char *path;
	struct ini_entry *v;
	size_t n;
	struct ini_section *sections;
	size_t n_sections;
};

#define INI_FILE_INIT { NULL, NULL, 0, NULL, 0 }

/* The longest physical line accepted, in characters. */
size_t ini_longest_line(void);

/*
 * Read path into f (initialised here). Errors: -errno when it cannot be
 * opened or read, -ERR_CONFIG for a file that is not a regular file, is
 * larger than max_bytes, or breaks a rule above; d->where is "path:line"
 * (just "path" when no line is to blame).
 */
int ini_read(const char *path, size_t max_bytes, struct ini_file *f,
	     struct err_detail *d);

/* The same over text already in memory (tests, fuzzing); name for errors. */
int ini_read_text(const char *name, const char *text, size_t len,
		  struct ini_file *f, struct err_detail *d);

void ini_file_release(struct ini_file *f);
