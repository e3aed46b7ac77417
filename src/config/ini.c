#include "config/ini.h"

#include <ctype.h>
#include <fcntl.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

size_t ini_longest_line(void)
{
	/* libinih's buffer holds the line, "\r\n" and a NUL (as built). */
	return ini_max_line > 3 ? (size_t)ini_max_line - 3 : 0;
}

struct reader {
	const char *name;
	const char *p, *end;
	int line;		/* of the line served last */
	int indented;		/* it starts with white space */
	int after_section;	/* no key since the last [section] */
	struct ini_file *f;
	struct err_detail *d;
	int failed;
};

/*
 * Does the section line at s ('[' ...) carry text after its ']' other
 * than white space or a comment? libinih ignores such text, so
 * "[azure] tenant_id = x" would set nothing. Without a ']' libinih
 * reports the line itself.
 */
/* The ']' that ends the section name at s ('[' ...) for libinih, or NULL. */
static const char *section_end(const char *s)
{
	const char *end = s + 1;
	int was_space = 0;

	/* libinih's find_chars_or_comment(): ';' after white space ends it. */
	while (*end && *end != ']' && !(was_space && *end == ';')) {
		was_space = *end == ' ' || *end == '\t';
		end++;
	}
	return *end == ']' ? end : NULL;
}

static int section_tail(const char *s)
{
	const char *end = section_end(s);

	if (!end)
		return 0;
	for (end++; *end == ' ' || *end == '\t' || *end == '\r' ||
		    *end == '\n'; end++)
		;
	return *end && *end != ';' && *end != '#';
}

/* Keep the section line at s ('[' ...); libinih reports one with no ']'. */
static void add_section(struct reader *rd, const char *s)
{
	const char *end = section_end(s);
	struct ini_file *f = rd->f;

	if (!end)
		return;
	f->sections = xrealloc(f->sections, (f->n_sections + 1) *
			       sizeof(*f->sections));
	f->sections[f->n_sections].name = xstrndup(s + 1, (size_t)(end - s - 1));
	f->sections[f->n_sections++].line = rd->line;
}

static char *serve(char *str, int num, void *stream)
{
	struct reader *rd = stream;
	const char *nl, *s;
	size_t n;

	if (rd->p >= rd->end || rd->failed)
		return NULL;
	nl = memchr(rd->p, '\n', (size_t)(rd->end - rd->p));
	n = nl ? (size_t)(nl - rd->p) + 1 : (size_t)(rd->end - rd->p);
	/* Checked before parsing: every line fits. */
	if (n + 1 > (size_t)num)
		n = (size_t)num - 1;
	memcpy(str, rd->p, n);
	str[n] = '\0';
	rd->p += n;
	rd->line++;
	/* White space as libinih's lskip() sees it (isspace: \v, \f too). */
	rd->indented = str[0] && isspace((unsigned char)str[0]);
	for (s = str; *s && isspace((unsigned char)*s); s++)
		;
	/* An indented line after a key continues its value, '[' or not. */
	if (*s == '[' && !(rd->indented && !rd->after_section && rd->f->n)) {
		rd->after_section = 1;
		if (section_tail(s)) {
			/* libinih would drop it without a word. */
			err_set(rd->d, "text after ']' on a section line (a key "
				"goes on a line of its own)");
			err_where(rd->d, "%s:%d", rd->name, rd->line);
			rd->failed = 1;
			return NULL;
		}
		add_section(rd, s);
	}
	return str;
}

/*
 * The length of a continuation line's value without its comment: libinih
 * cuts "key = a ; note" at the ';' (after white space) but hands a
 * continuation line on whole, so "  b ; note" would become the item
 * "b ; note". Trailing white space goes too, as on the key line.
 */
static size_t comment_cut(const char *v)
{
	size_t n = 0;
	int was_space = 0;

	while (v[n] && !(was_space && v[n] == ';')) {
		was_space = v[n] == ' ' || v[n] == '\t';
		n++;
	}
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
		n--;
	return n;
}

static int on_key(void *user, const char *section, const char *name,
		  const char *value)
{
	struct reader *rd = user;
	struct ini_file *f = rd->f;
	struct ini_entry *e;
	size_t i;

	if (rd->failed)
		return 1;
	if (rd->indented && !rd->after_section && f->n) {
		e = &f->v[f->n - 1];
		size_t old = strlen(e->value), add = comment_cut(value);

		e->value = xrealloc(e->value, old + add + 2);
		e->value[old] = '\n';
		memcpy(e->value + old + 1, value, add);
		e->value[old + 1 + add] = '\0';
		e->last_line = rd->line;
		return 1;
	}
	rd->after_section = 0;
	for (i = 0; i < f->n; i++) {
		if (!strcmp(f->v[i].section, section) &&
		    !strcmp(f->v[i].key, name)) {
			err_set(rd->d, "key '%s' in [%s] is given twice, on "
				"lines %d and %d", name, section, f->v[i].line,
				rd->line);
			err_where(rd->d, "%s:%d", rd->name, rd->line);
			rd->failed = 1;
			return 0;
		}
	}
	f->v = xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
	e = &f->v[f->n++];
	e->section = xstrdup(section);
	e->key = xstrdup(name);
	e->value = xstrdup(value);
	e->line = e->last_line = rd->line;
	return 1;
}

/* Lines too long for libinih, or holding a NUL: refused before parsing. */
static int check_lines(const char *name, const char *text, size_t len,
		       struct err_detail *d)
{
	const char *p = text, *end = text + len, *nl;
	size_t n, i;
	int line = 0;

	while (p < end) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (memchr(p, '\0', n)) {
			err_set(d, "a NUL byte in the line");
			err_where(d, "%s:%d", name, line);
			return -ERR_CONFIG;
		}
		if (n && p[n - 1] == '\r')
			n--;
		/* Text only: a control character or a bad byte would reach a
		 * value unseen (libinih strips some of them, not others). */
		for (i = 0; i < n; i++)
			if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
			    p[i] == 0x7f)
				break;
		if (i < n || !utf8_valid(p, n)) {
			if (i < n)
				err_set(d, "a control character (0x%02x) in the "
					"line", (unsigned char)p[i]);
			else
				err_set(d, "the line is not valid UTF-8");
			err_where(d, "%s:%d", name, line);
			return -ERR_CONFIG;
		}
		if (n > ini_longest_line()) {
			err_set(d, "line is %zu characters long, more than the "
				"%zu this reader takes: split it, continuing a "
				"comma-separated list on indented lines below "
				"the key", n, ini_longest_line());
			err_where(d, "%s:%d", name, line);
			return -ERR_CONFIG;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int ini_read_text(const char *name, const char *text, size_t len,
		  struct ini_file *f, struct err_detail *d)
{
	struct reader rd = { .name = name, .p = text, .end = text + len,
			     .f = f, .d = d };
	int r, line;

	memset(f, 0, sizeof(*f));
	f->path = xstrdup(name);
	if (!ini_allow_multiline) {
		err_set(d, "libinih was built without multi-line values");
		err_where(d, "%s", name);
		return -ERR_CONFIG;
	}
	r = check_lines(name, text, len, d);
	if (r < 0)
		return r;
	line = ini_parse_stream(serve, &rd, on_key, &rd);
	if (rd.failed)
		return -ERR_CONFIG;
	if (line != 0) {
		err_set(d, "syntax error (expected '[section]' or "
			"'key = value')");
		err_where(d, "%s:%d", name, line);
		return -ERR_CONFIG;
	}
	return 0;
}

/* /dev/null reads as an empty file (an isolated configuration). */
static int is_dev_null(const struct stat *st)
{
	struct stat null;

	return S_ISCHR(st->st_mode) && stat("/dev/null", &null) == 0 &&
	       S_ISCHR(null.st_mode) && st->st_rdev == null.st_rdev;
}

int ini_read(const char *path, size_t max_bytes, struct ini_file *f,
	     struct err_detail *d)
{
	struct sbuf text = SBUF_INIT;
	struct stat st;
	char buf[8192];
	ssize_t n;
	int fd, r = 0;

	memset(f, 0, sizeof(*f));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		err_set(d, "cannot open: %s", strerror(errno));
		err_where(d, "%s", path);
		return r;
	}
	if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || is_dev_null(&st))) {
		err_set(d, "not a regular file");
		err_where(d, "%s", path);
		close(fd);
		return -ERR_CONFIG;
	}
	sbuf_init(&text, max_bytes);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			err_set(d, "cannot read: %s", strerror(errno));
			err_where(d, "%s", path);
			break;
		}
		if (n == 0)
			break;
		if (sbuf_add(&text, buf, (size_t)n) < 0) {
			r = -ERR_CONFIG;
			err_set(d, "larger than %zu bytes", max_bytes);
			err_where(d, "%s", path);
			break;
		}
	}
	close(fd);
	if (r == 0)
		r = ini_read_text(path, text.buf, text.len, f, d);
	sbuf_release(&text);
	return r;
}

void ini_file_release(struct ini_file *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].section);
		free(f->v[i].key);
		free(f->v[i].value);
	}
	free(f->v);
	for (i = 0; i < f->n_sections; i++)
		free(f->sections[i].name);
	free(f->sections);
	free(f->path);
	memset(f, 0, sizeof(*f));
}
