#pragma once
#include <stdarg.h>
#include <stddef.h>

/*
 * A growable string buffer, after git's strbuf. `buf` is never NULL once
 * initialised and is always NUL-terminated. With `max` non-zero, adding
 * past max bytes fails with -ERR_TOO_LARGE and leaves the buffer as it was
 * (curl's dynbuf), which caps what outside input can make us allocate.
 */
struct sbuf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t max;
	int secret;	/* see sbuf_set_secret() */
};

extern char sbuf_empty[];
#define SBUF_INIT { sbuf_empty, 0, 0, 0, 0 }

void sbuf_init(struct sbuf *sb, size_t max);
/*
 * The buffer holds a secret: from now on no copy is left behind. Growing
 * moves it to new memory and clears the old, sbuf_reset() and
 * sbuf_release() clear it before reuse or free. (A detached buffer is
 * the caller's to clear.)
 */
void sbuf_set_secret(struct sbuf *sb);
/* Free the contents; the sbuf is left as SBUF_INIT (keeping max). */
void sbuf_release(struct sbuf *sb);
/* Hand the buffer to the caller (free() it); the sbuf is reset. */
char *sbuf_detach(struct sbuf *sb, size_t *ret_len);
void sbuf_reset(struct sbuf *sb);

/* Each returns 0, or -ERR_TOO_LARGE when max would be exceeded. */
int sbuf_add(struct sbuf *sb, const void *data, size_t len);
int sbuf_adds(struct sbuf *sb, const char *s);
int sbuf_addch(struct sbuf *sb, char c);
int sbuf_addf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap);
