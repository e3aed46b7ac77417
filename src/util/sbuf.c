#include "util/sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/xalloc.h"

char sbuf_empty[1];

void sbuf_init(struct sbuf *sb, size_t max)
{
	sb->buf = sbuf_empty;
	sb->len = 0;
	sb->alloc = 0;
	sb->max = max;
	sb->secret = 0;
}

void sbuf_set_secret(struct sbuf *sb)
{
	sb->secret = 1;
}

void sbuf_release(struct sbuf *sb)
{
	size_t max = sb->max;

	if (sb->alloc && sb->secret)
		explicit_bzero(sb->buf, sb->alloc);
	if (sb->alloc)
		free(sb->buf);
	sbuf_init(sb, max);
}

char *sbuf_detach(struct sbuf *sb, size_t *ret_len)
{
	char *res = sb->alloc ? sb->buf : xstrdup("");

	if (ret_len)
		*ret_len = sb->len;
	sbuf_init(sb, sb->max);
	return res;
}

void sbuf_reset(struct sbuf *sb)
{
	if (sb->secret && sb->alloc)
		explicit_bzero(sb->buf, sb->len);
	sb->len = 0;
	if (sb->alloc)
		sb->buf[0] = '\0';
}

static int grow(struct sbuf *sb, size_t extra)
{
	size_t want;

	if (sb->max && (extra > sb->max || sb->len > sb->max - extra))
		return -ERR_TOO_LARGE;
	want = sb->len + extra + 1;
	if (want <= sb->alloc)
		return 0;
	if (want < 2 * sb->alloc)
		want = 2 * sb->alloc;
	if (want < 64)
		want = 64;
	if (!sb->alloc) {
		sb->buf = xmalloc(want);
		sb->buf[0] = '\0';
	} else if (sb->secret) {
		/* realloc() would free the old copy as it is: clear it first. */
		char *nb = xmalloc(want);

		memcpy(nb, sb->buf, sb->len + 1);
		explicit_bzero(sb->buf, sb->alloc);
		free(sb->buf);
		sb->buf = nb;
	} else {
		sb->buf = xrealloc(sb->buf, want);
	}
	sb->alloc = want;
	return 0;
}

int sbuf_add(struct sbuf *sb, const void *data, size_t len)
{
	int r = grow(sb, len);

	if (r < 0)
		return r;
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	if (sb->alloc)
		sb->buf[sb->len] = '\0';
	return 0;
}

int sbuf_adds(struct sbuf *sb, const char *s)
{
	return sbuf_add(sb, s, strlen(s));
}

int sbuf_addch(struct sbuf *sb, char c)
{
	return sbuf_add(sb, &c, 1);
}

int sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n, r;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return -EINVAL;
	r = grow(sb, (size_t)n);
	if (r < 0)
		return r;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = sbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	return r;
}
