#pragma once
#include <stddef.h>

/*
 * Allocation that cannot fail: on out-of-memory these print
 * "amlfs-audit: out of memory" to stderr and exit(3). Every other error is
 * returned, never handled by exiting.
 */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Duplicate s, or return NULL when s is NULL. */
char *xstrdup_or_null(const char *s);
char *xstrndup(const char *s, size_t n);
