/*
 * Mustache templates, after the official spec (github.com/mustache/spec).
 *
 * Hand-written because no C Mustache library is packaged for Debian 12
 * (it packages kainjow's, which is C++, and none for C), and the reports
 * only need the spec's core, which is small. A template is parsed into a
 * flat array of nodes, each section pointing past its body; rendering
 * walks the array and recurses only into sections and partials, never
 * deeper than max_depth. Partials are parsed when first used (with the
 * default delimiters, whatever the including template set) and kept
 * until the call ends.
 */
#include "report/mustache.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/num.h"
#include "util/xalloc.h"

enum node_kind {
	NODE_TEXT,
	NODE_VAR,	/* {{name}}: escaped */
	NODE_RAW,	/* {{{name}}} and {{&name}} */
	NODE_SECTION,	/* {{#name}} */
	NODE_INVERTED,	/* {{^name}} */
	NODE_PARTIAL,	/* {{>name}} */
};

struct node {
	enum node_kind kind;
	size_t off;		/* text: its start; tag: its delimiter */
	size_t len;		/* text: its length */
	size_t name, name_len;	/* tag: the name, trimmed, as an offset */
	size_t end;		/* section: the node after its body */
	size_t indent, indent_len; /* partial: standalone indentation */
};

/* A parsed template: the main one or a partial, indented as used. */
struct tmpl {
	const char *text;
	size_t len;
	const char *partial;	/* partial: its name; NULL: the main one */
	size_t shift;		/* indentation added to each line */
	struct node *nodes;
	size_t n, alloc;
};

/* A partial loaded for one name and indentation. */
struct partial {
	char *name;
	char *indent;
	size_t indent_len;
	struct sbuf text;
	struct tmpl t;
};

struct render {
	enum mustache_escape escape;
	int (*partial)(void *ctx, const char *name, struct sbuf *ret_text,
		       struct err_detail *d);
	void *ctx;
	size_t max_depth, max_output, max_steps;
	size_t steps, partial_bytes;
	struct sbuf *out;
	size_t start;		/* out->len when the call began */
	struct sbuf scratch;	/* one escaped value */
	json_t **stack;		/* the context stack, borrowed values */
	size_t nstack, stack_alloc;
	struct partial **partials;
	size_t npartials;
	const struct tmpl *t;	/* where we are, for error messages */
	size_t off;
	struct err_detail *d;
};

struct parser {
	struct render *r;
	struct tmpl *t;
	const char *otag, *ctag;	/* the delimiters */
	size_t olen, clen;
	size_t *open;			/* node indices of open sections */
	size_t nopen, open_alloc;
};

static const char tag_sigils[] = "#^/!>&={";
static const char standalone_sigils[] = "#^/!>=";

/* Up to 48 bytes of s for a message, control characters as '?'. */
static const char *shown(char buf[64], const char *s, size_t n)
{
	size_t i, k = n > 48 ? 48 : n;

	while (k < n && k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
		k--;	/* do not cut a UTF-8 sequence */
	for (i = 0; i < k; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' :
			 s[i];
	if (k < n)
		memcpy(buf + k, "...", 3), k += 3;
	buf[k] = '\0';
	return buf;
}

/* The 1-based line and column (in UTF-8 characters) of off in t. */
static void position(const struct tmpl *t, size_t off, size_t *ret_line,
		     size_t *ret_col)
{
	size_t i, line = 1, col = 1;

	for (i = 0; i < off && i < t->len; i++) {
		if (t->text[i] == '\n')
			line++, col = 1;
		else if (((unsigned char)t->text[i] & 0xc0) != 0x80)
			col++;
	}
	if (col > t->shift)
		col -= t->shift;
	*ret_line = line;
	*ret_col = col;
}

/* Say what went wrong at r->t, r->off; returns code. */
static int fail(struct render *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct render *r, int code, const char *fmt, ...)
{
	size_t line, col;
	char b[64];
	va_list ap;

	if (!r->d)
		return code;
	va_start(ap, fmt);
	vsnprintf(r->d->msg, sizeof(r->d->msg), fmt, ap);
	va_end(ap);
	position(r->t, r->off, &line, &col);
	if (r->t->partial)
		err_where(r->d, "%zu:%zu in partial '%s'", line, col,
			  shown(b, r->t->partial, strlen(r->t->partial)));
	else
		err_where(r->d, "%zu:%zu", line, col);
	return code;
}

static struct node *add_node(struct tmpl *t, enum node_kind kind, size_t off)
{
	struct node *nd;

	if (t->n == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 16;
		t->nodes = xrealloc(t->nodes, t->alloc * sizeof(*t->nodes));
	}
	nd = &t->nodes[t->n++];
	memset(nd, 0, sizeof(*nd));
	nd->kind = kind;
	nd->off = off;
	return nd;
}

static void add_text(struct tmpl *t, size_t off, size_t len)
{
	if (len)
		add_node(t, NODE_TEXT, off)->len = len;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Find the closing delimiter ctag at or after from, preceded by the
 * character pre when pre is not 0 ("}" for {{{x}}}, "=" for {{=a b=}}).
 * Sets *ret_end to where the tag's content ends.
 */
static int find_close(const struct parser *p, size_t from, char pre,
		      size_t *ret_end)
{
	const char *s = p->t->text;
	size_t at = from, len = p->t->len;
	const char *hit;

	while (at < len) {
		hit = memmem(s + at, len - at, p->ctag, p->clen);
		if (!hit)
			return 0;
		at = (size_t)(hit - s);
		if (!pre) {
			*ret_end = at;
			return 1;
		}
		if (at > from && s[at - 1] == pre) {
			*ret_end = at - 1;
			return 1;
		}
		at++;
	}
	return 0;
}

/*
 * Is the tag at [at, end) alone on its line? Then *ret_ws is where the
 * line's leading blanks start and *ret_next is past its line ending.
 */
static int standalone(const struct parser *p, size_t pos, size_t at,
		      size_t end, size_t *ret_ws, size_t *ret_next)
{
	const char *s = p->t->text;
	size_t len = p->t->len, ws = at;

	while (ws > pos && is_blank(s[ws - 1]))
		ws--;
	if (ws > 0 && s[ws - 1] != '\n')
		return 0;
	while (end < len && is_blank(s[end]))
		end++;
	if (end < len && s[end] == '\n')
		end++;
	else if (end + 1 < len && s[end] == '\r' && s[end + 1] == '\n')
		end += 2;
	else if (end < len)
		return 0;
	*ret_ws = ws;
	*ret_next = end;
	return 1;
}

/* {{=<% %>=}}: the content [from, to) names the new delimiters. */
static int set_delimiters(struct parser *p, size_t from, size_t to)
{
	const char *s = p->t->text;
	size_t a, a_end, b, b_end, rest;

	for (a = from; a < to && is_space(s[a]); a++)
		;
	for (a_end = a; a_end < to && !is_space(s[a_end]); a_end++)
		;
	for (b = a_end; b < to && is_space(s[b]); b++)
		;
	for (b_end = b; b_end < to && !is_space(s[b_end]); b_end++)
		;
	for (rest = b_end; rest < to && is_space(s[rest]); rest++)
		;
	if (a == a_end || b == b_end || rest < to ||
	    memchr(s + a, '=', a_end - a) || memchr(s + b, '=', b_end - b) ||
	    memchr(s + a, '\0', b_end - a))
		return -1;
	p->otag = s + a;
	p->olen = a_end - a;
	p->ctag = s + b;
	p->clen = b_end - b;
	return 0;
}

/* A dotted name needs a non-empty part on each side of every '.'. */
static int good_name(const char *s, size_t n)
{
	size_t i;

	if (n == 1 && s[0] == '.')
		return 1;
	if (s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 1; i < n; i++)
		if (s[i] == '.' && s[i - 1] == '.')
			return 0;
	return 1;
}

static int section_end(struct parser *p, size_t name, size_t name_len)
{
	const char *s = p->t->text;
	struct node *open;
	size_t line, col;
	char b1[64], b2[64];

	if (!p->nopen)
		return fail(p->r, -ERR_JSON, "section end '%s' without an "
			    "open section", shown(b1, s + name, name_len));
	open = &p->t->nodes[p->open[p->nopen - 1]];
	if (open->name_len != name_len ||
	    memcmp(s + open->name, s + name, name_len)) {
		position(p->t, open->off, &line, &col);
		return fail(p->r, -ERR_JSON, "section end '%s' does not match "
			    "section '%s' opened at %zu:%zu",
			    shown(b1, s + name, name_len),
			    shown(b2, s + open->name, open->name_len),
			    line, col);
	}
	open->end = p->t->n;
	p->nopen--;
	return 0;
}

static int section_start(struct parser *p, struct node *nd)
{
	if (p->nopen >= p->r->max_depth)
		return fail(p->r, -ERR_TOO_LARGE, "sections nested deeper "
			    "than %zu", p->r->max_depth);
	if (p->nopen == p->open_alloc) {
		p->open_alloc = p->open_alloc ? 2 * p->open_alloc : 8;
		p->open = xrealloc(p->open, p->open_alloc * sizeof(*p->open));
	}
	p->open[p->nopen++] = (size_t)(nd - p->t->nodes);
	return 0;
}

/* The tag whose opening delimiter is at `at`; text before it from pos. */
static int parse_tag(struct parser *p, size_t pos, size_t at, size_t *ret_pos)
{
	const char *s = p->t->text;
	size_t len = p->t->len, q = at + p->olen, end, tag_end, ws, next;
	size_t name, name_len;
	char sigil = 0, b[64], b2[64];
	struct node *nd;

	p->r->t = p->t;
	p->r->off = at;
	if (q < len && s[q] && strchr(tag_sigils, s[q]))
		sigil = s[q++];
	else if (q < len && (s[q] == '$' || s[q] == '<'))
		return fail(p->r, -ERR_JSON, "template inheritance ('%.*s%c') "
			    "is not supported", (int)p->olen, p->otag, s[q]);
	if (!find_close(p, q, sigil == '{' ? '}' : sigil == '=' ? '=' : 0,
			&end))
		return fail(p->r, -ERR_JSON, "unclosed tag: no '%s%s' after "
			    "'%s'",
			    sigil == '{' ? "}" : sigil == '=' ? "=" : "",
			    shown(b, p->ctag, p->clen),
			    shown(b2, p->otag, p->olen));
	tag_end = end + (sigil == '{' || sigil == '=') + p->clen;
	if (sigil && strchr(standalone_sigils, sigil) &&
	    standalone(p, pos, at, tag_end, &ws, &next)) {
		add_text(p->t, pos, ws - pos);
		*ret_pos = next;
	} else {
		add_text(p->t, pos, at - pos);
		ws = at;
		*ret_pos = tag_end;
	}
	if (sigil == '!')
		return 0;
	if (sigil == '=') {
		if (set_delimiters(p, q, end) < 0)
			return fail(p->r, -ERR_JSON, "bad delimiters: want two "
				    "strings without spaces or '=', like "
				    "{{=<%% %%>=}}");
		return 0;
	}
	for (name = q; name < end && is_space(s[name]); name++)
		;
	name_len = end - name;
	while (name_len && is_space(s[name + name_len - 1]))
		name_len--;
	if (!name_len)
		return fail(p->r, -ERR_JSON, "empty tag");
	if (memchr(s + name, '\0', name_len))
		return fail(p->r, -ERR_JSON, "NUL byte in a tag");
	if (sigil != '>' && !good_name(s + name, name_len))
		return fail(p->r, -ERR_JSON, "bad name '%s'",
			    shown(b, s + name, name_len));
	if (sigil == '/')
		return section_end(p, name, name_len);
	nd = add_node(p->t, sigil == '#' ? NODE_SECTION :
		      sigil == '^' ? NODE_INVERTED :
		      sigil == '>' ? NODE_PARTIAL :
		      sigil ? NODE_RAW : NODE_VAR, at);
	nd->name = name;
	nd->name_len = name_len;
	if (sigil == '>') {
		nd->indent = ws;
		nd->indent_len = at - ws;
	}
	if (sigil == '#' || sigil == '^')
		return section_start(p, nd);
	return 0;
}

/* Parse t->text into t->nodes. */
static int parse(struct render *r, struct tmpl *t)
{
	struct parser p = { r, t, "{{", "}}", 2, 2, NULL, 0, 0 };
	const char *hit;
	size_t pos = 0;
	char b[64];
	int ret = 0;

	for (;;) {
		hit = pos < t->len ? memmem(t->text + pos, t->len - pos,
					    p.otag, p.olen) : NULL;
		if (!hit) {
			add_text(t, pos, t->len - pos);
			break;
		}
		ret = parse_tag(&p, pos, (size_t)(hit - t->text), &pos);
		if (ret < 0)
			goto out;
	}
	if (p.nopen) {
		struct node *nd = &t->nodes[p.open[p.nopen - 1]];

		r->t = t;
		r->off = nd->off;
		ret = fail(r, -ERR_JSON, "unclosed section '%s'",
			   shown(b, t->text + nd->name, nd->name_len));
	}
out:
	free(p.open);
	return ret;
}

/*
 * Resolve a (dotted) name against the context stack; NULL when missing.
 * Each context tried hashes the name again, which counts as steps.
 */
static json_t *lookup(struct render *r, const char *name, size_t n)
{
	const char *dot = memchr(name, '.', n), *part;
	size_t k = dot ? (size_t)(dot - name) : n, i;
	json_t *v = NULL;

	if (n == 1 && name[0] == '.')
		return r->nstack ? r->stack[r->nstack - 1] : NULL;
	for (i = r->nstack; i-- > 0 && !v;) {
		r->steps += k / 16;
		if (json_is_object(r->stack[i]))
			v = json_object_getn(r->stack[i], name, k);
	}
	r->steps += (n - k) / 16;
	while (v && dot) {
		part = dot + 1;
		dot = memchr(part, '.', n - (size_t)(part - name));
		k = dot ? (size_t)(dot - part) : n - (size_t)(part - name);
		v = json_is_object(v) ? json_object_getn(v, part, k) : NULL;
	}
	return v;
}

static int falsy(const json_t *v)
{
	return !v || json_is_null(v) || json_is_false(v) ||
	       (json_is_array(v) && !json_array_size(v)) ||
	       (json_is_string(v) && !json_string_length(v));
}

/* Add s to out as it would be interpolated; may fail only on out->max. */
static int add_escaped(struct sbuf *out, enum mustache_escape e,
		       const char *s, size_t n, int number);

static int emit(struct render *r, const char *s, size_t n)
{
	size_t used = r->out->len - r->start;
	int ret;

	if (n > r->max_output - used)
		return fail(r, -ERR_TOO_LARGE, "output larger than %zu bytes",
			    r->max_output);
	ret = sbuf_add(r->out, s, n);
	if (ret < 0)
		return fail(r, ret, "output larger than its buffer takes "
			    "(%zu bytes)", r->out->max);
	return 0;
}

static int interpolate(struct render *r, const struct tmpl *t,
		       const struct node *nd)
{
	json_t *v = lookup(r, t->text + nd->name, nd->name_len);
	const char *s = "";
	char num[64], *dump = NULL;
	size_t n = 0;
	int number = 0, ret;

	if (json_is_string(v)) {
		s = json_string_value(v);
		n = json_string_length(v);
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld",
			 (long long)json_integer_value(v));
		s = num, number = 1;
	} else if (json_is_real(v)) {
		num_shortest(json_real_value(v), num);
		s = num, number = 1;
	} else if (json_is_boolean(v)) {
		s = json_is_true(v) ? "true" : "false";
	} else if (json_is_object(v) || json_is_array(v)) {
		dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
				  JSON_PRESERVE_ORDER |
				  JSON_REAL_PRECISION(15));
		s = dump ? dump : "";
	}
	if (!json_is_string(v))
		n = strlen(s);
	if (nd->kind == NODE_RAW || r->escape == MUSTACHE_ESCAPE_NONE) {
		ret = emit(r, s, n);
	} else {
		sbuf_reset(&r->scratch);
		ret = add_escaped(&r->scratch, r->escape, s, n, number);
		if (ret < 0)
			ret = fail(r, -ERR_TOO_LARGE, "output larger than %zu "
				   "bytes", r->max_output);
		else
			ret = emit(r, r->scratch.buf, r->scratch.len);
	}
	free(dump);
	return ret;
}

static int render(struct render *r, const struct tmpl *t, size_t from,
		  size_t to, size_t depth);

/* Render t's nodes [from, to) one level deeper, with v pushed if not NULL. */
static int nest(struct render *r, const struct tmpl *t, size_t from,
		size_t to, size_t depth, json_t *v)
{
	int ret;

	if (depth >= r->max_depth) {
		r->t = t;
		r->off = t->nodes[from - 1].off;
		return fail(r, -ERR_TOO_LARGE, "sections and partials nested "
			    "deeper than %zu", r->max_depth);
	}
	if (!v)
		return render(r, t, from, to, depth + 1);
	if (r->nstack == r->stack_alloc) {
		r->stack_alloc = r->stack_alloc ? 2 * r->stack_alloc : 16;
		r->stack = xrealloc(r->stack,
				    r->stack_alloc * sizeof(*r->stack));
	}
	r->stack[r->nstack++] = v;
	ret = render(r, t, from, to, depth + 1);
	r->nstack--;
	return ret;
}

static int section(struct render *r, const struct tmpl *t, size_t i,
		   size_t depth)
{
	const struct node *nd = &t->nodes[i];
	json_t *v = lookup(r, t->text + nd->name, nd->name_len);
	size_t k;
	int ret = 0;

	if (nd->kind == NODE_INVERTED)
		return falsy(v) ? nest(r, t, i + 1, nd->end, depth, NULL) : 0;
	if (falsy(v))
		return 0;
	if (!json_is_array(v))
		return nest(r, t, i + 1, nd->end, depth, v);
	for (k = 0; k < json_array_size(v) && ret == 0; k++)
		ret = nest(r, t, i + 1, nd->end, depth, json_array_get(v, k));
	return ret;
}

/* Copy s into out with ind at the start of every line. */
static int indent_lines(struct sbuf *out, const char *s, size_t n,
			const char *ind, size_t ind_len)
{
	const char *nl;
	size_t i = 0, j;

	while (i < n) {
		nl = memchr(s + i, '\n', n - i);
		j = nl ? (size_t)(nl - s) + 1 : n;
		if (sbuf_add(out, ind, ind_len) < 0 ||
		    sbuf_add(out, s + i, j - i) < 0)
			return -ERR_TOO_LARGE;
		i = j;
	}
	return 0;
}

/* Ask the callback for partial `name`; the text goes into pt->text. */
static int fetch_partial(struct render *r, struct partial *pt)
{
	struct err_detail d = { "", "" };
	struct sbuf raw;
	size_t budget = r->max_output - r->partial_bytes;
	char b[64];
	int ret = -ERR_NOT_FOUND;

	sbuf_init(&raw, budget);
	sbuf_init(&pt->text, budget);
	if (!budget)
		ret = -ERR_TOO_LARGE;
	else if (r->partial)
		ret = r->partial(r->ctx, pt->name, &raw, &d);
	if (ret > 0)
		ret = 0;
	shown(b, pt->name, strlen(pt->name));
	if (ret == -ERR_NOT_FOUND)
		fail(r, ret, "unknown partial '%s'%s%s", b,
		     d.msg[0] ? ": " : "", d.msg);
	else if (ret == -ERR_TOO_LARGE)
		fail(r, ret, "partials larger than %zu bytes together",
		     r->max_output);
	else if (ret < 0)
		fail(r, ret, "cannot load partial '%s': %s", b,
		     d.msg[0] ? d.msg : err_str(ret));
	if (ret == 0 && pt->indent_len) {
		ret = indent_lines(&pt->text, raw.buf, raw.len, pt->indent,
				   pt->indent_len);
		if (ret < 0)
			fail(r, ret, "partials larger than %zu bytes together",
			     r->max_output);
		sbuf_release(&raw);
	} else if (ret == 0) {
		pt->text = raw;
	} else {
		sbuf_release(&raw);
	}
	if (ret == 0)
		r->partial_bytes += pt->text.len;
	return ret;
}

/* The parsed partial for nd's name and indentation, loading it once. */
static int load_partial(struct render *r, const struct tmpl *t,
			const struct node *nd, struct partial **ret_pt)
{
	const char *name = t->text + nd->name, *ind = t->text + nd->indent;
	struct partial *pt;
	size_t i;
	int ret;

	for (i = 0; i < r->npartials; i++) {
		pt = r->partials[i];
		if (strlen(pt->name) == nd->name_len &&
		    !memcmp(pt->name, name, nd->name_len) &&
		    pt->indent_len == nd->indent_len &&
		    !memcmp(pt->indent, ind, nd->indent_len)) {
			*ret_pt = pt;
			return 0;
		}
	}
	pt = xcalloc(1, sizeof(*pt));
	pt->name = xstrndup(name, nd->name_len);
	pt->indent = xstrndup(ind, nd->indent_len);
	pt->indent_len = nd->indent_len;
	sbuf_init(&pt->text, 0);
	r->partials = xrealloc(r->partials,
			       (r->npartials + 1) * sizeof(*r->partials));
	r->partials[r->npartials++] = pt;
	ret = fetch_partial(r, pt);
	if (ret < 0)
		return ret;
	pt->t.text = pt->text.buf;
	pt->t.len = pt->text.len;
	pt->t.partial = pt->name;
	pt->t.shift = pt->indent_len;
	ret = parse(r, &pt->t);
	if (ret == 0)
		*ret_pt = pt;
	return ret;
}

static int include(struct render *r, const struct tmpl *t,
		   const struct node *nd, size_t depth)
{
	struct partial *pt = NULL;
	int ret;

	if (depth >= r->max_depth)
		return fail(r, -ERR_TOO_LARGE, "sections and partials nested "
			    "deeper than %zu (does a partial include itself?)",
			    r->max_depth);
	ret = load_partial(r, t, nd, &pt);
	if (ret < 0)
		return ret;
	return render(r, &pt->t, 0, pt->t.n, depth + 1);
}

static int render(struct render *r, const struct tmpl *t, size_t from,
		  size_t to, size_t depth)
{
	const struct node *nd;
	size_t i = from;
	int ret = 0;

	while (i < to && ret == 0) {
		nd = &t->nodes[i];
		r->t = t;
		r->off = nd->off;
		if (++r->steps > r->max_steps)
			return fail(r, -ERR_TOO_LARGE, "the template takes "
				    "more than %zu steps", r->max_steps);
		switch (nd->kind) {
		case NODE_TEXT:
			ret = emit(r, t->text + nd->off, nd->len);
			break;
		case NODE_VAR:
		case NODE_RAW:
			ret = interpolate(r, t, nd);
			break;
		case NODE_SECTION:
		case NODE_INVERTED:
			ret = section(r, t, i, depth);
			i = nd->end;
			continue;
		case NODE_PARTIAL:
			ret = include(r, t, nd, depth);
			break;
		}
		i++;
	}
	return ret;
}

int mustache_render(const char *tmpl, size_t len, json_t *data,
		    const struct mustache_options *o, struct sbuf *out,
		    struct err_detail *d)
{
	static const struct mustache_options defaults = MUSTACHE_OPTIONS_INIT;
	struct tmpl top = { tmpl, len, NULL, 0, NULL, 0, 0 };
	struct render r;
	size_t i;
	int ret;

	if (!o)
		o = &defaults;
	memset(&r, 0, sizeof(r));
	r.escape = o->escape;
	r.partial = o->partial;
	r.ctx = o->ctx;
	r.max_depth = o->max_depth ? o->max_depth : MUSTACHE_MAX_DEPTH;
	r.max_output = o->max_output ? o->max_output : MUSTACHE_MAX_OUTPUT;
	r.max_steps = o->max_steps ? o->max_steps : MUSTACHE_MAX_STEPS;
	r.out = out;
	r.start = out->len;
	sbuf_init(&r.scratch, r.max_output);
	r.t = &top;
	r.d = d;
	if (data) {
		r.stack = xmalloc(16 * sizeof(*r.stack));
		r.stack_alloc = 16;
		r.stack[r.nstack++] = data;
	}
	ret = parse(&r, &top);
	if (ret == 0)
		ret = render(&r, &top, 0, top.n, 0);
	if (ret < 0) {
		out->len = r.start;	/* leave out as it was */
		if (out->alloc)
			out->buf[out->len] = '\0';
	}
	for (i = 0; i < r.npartials; i++) {
		free(r.partials[i]->name);
		free(r.partials[i]->indent);
		sbuf_release(&r.partials[i]->text);
		free(r.partials[i]->t.nodes);
		free(r.partials[i]);
	}
	free(r.partials);
	free(r.stack);
	free(top.nodes);
	sbuf_release(&r.scratch);
	return ret;
}

static int add_html(struct sbuf *out, const char *s, size_t n)
{
	const char *rep;
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		default: continue;
		}
		if (sbuf_add(out, s + run, i - run) < 0 ||
		    sbuf_adds(out, rep) < 0)
			return -ERR_TOO_LARGE;
		run = i + 1;
	}
	return sbuf_add(out, s + run, n - run);
}

/* The length of the UTF-8 character at s (0 if malformed), its code point. */
static size_t utf8_char(const unsigned char *s, size_t n, unsigned *ret_cp)
{
	unsigned cp;
	size_t len, i;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	*ret_cp = cp;
	return len;
}

/* What one ASCII character becomes in a table cell. */
static const char *md_ascii(char c)
{
	switch (c) {
	case '\n': case '\r': case '\t': return " ";
	case '|': return "\\|";
	case '\\': return "\\\\";
	case '`': return "\\`";
	case '*': return "\\*";
	case '_': return "\\_";
	case '[': return "\\[";
	case ']': return "\\]";
	case '~': return "\\~";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '&': return "&amp;";
	}
	return (unsigned char)c < 0x20 || c == 0x7f ? "" : NULL;
}

static int add_markdown(struct sbuf *out, const char *s, size_t n, int number)
{
	const unsigned char *u = (const unsigned char *)s;
	int lead = !number;	/* nothing visible written yet */
	const char *rep;
	unsigned cp;
	size_t i = 0, k;

	while (i < n) {
		k = utf8_char(u + i, n - i, &cp);
		if (k == 1) {
			rep = md_ascii(s[i]);
			if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
				k = 2;
		} else if (!k) {
			rep = "\xef\xbf\xbd", k = 1;
		} else if (cp <= 0x9f) {
			rep = "";	/* C1 control */
		} else if (cp == 0x2028 || cp == 0x2029) {
			rep = " ";	/* line and paragraph separators */
		} else {
			rep = NULL;
		}
		if (lead && (rep ? *rep && *rep != ' ' : s[i] != ' ')) {
			lead = 0;
			if (s[i] && strchr("=+-@", s[i]) &&
			    sbuf_addch(out, '\'') < 0)
				return -ERR_TOO_LARGE;
		}
		if (rep ? sbuf_adds(out, rep) < 0 : sbuf_add(out, s + i, k) < 0)
			return -ERR_TOO_LARGE;
		i += k;
	}
	return 0;
}

static int add_escaped(struct sbuf *out, enum mustache_escape e,
		       const char *s, size_t n, int number)
{
	if (e == MUSTACHE_ESCAPE_HTML)
		return add_html(out, s, n);
	if (e == MUSTACHE_ESCAPE_MARKDOWN)
		return add_markdown(out, s, n, number);
	return sbuf_add(out, s, n);
}

int mustache_escape_markdown(struct sbuf *out, const char *s)
{
	size_t len = out->len;
	int ret = add_markdown(out, s, strlen(s), 0);

	if (ret < 0) {
		out->len = len;
		if (out->alloc)
			out->buf[len] = '\0';
	}
	return ret;
}
