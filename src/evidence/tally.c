#include "evidence/tally.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "store/evidence.h"
#include "util/xalloc.h"

/* The statuses of a check, as the summary's messages name them; a status
 * that is none of them is counted as the sixth. */
static const char *const statuses[] = {
	"ok", "alarm", "exempt", "skip", "error", "(other)"
};
#define NSTATUS 6
#define ST_OK 0
#define ST_SKIP 3
#define ST_ERROR 4

/* What the summary keeps of a finding, in this order (finding_cols). */
static const char *const kept[] = {
	"rule", "resource_id", "severity", "exemption", "status", "first_seen"
};
#define NKEPT 6
#define K_STATUS 4
#define K_FIRST_SEEN 5

/* The group of a run's findings in hash encoding 2. */
#define FINDINGS_GROUP 5

/* One check as its findings give it. */
struct check_tally {
	sqlite3_int64 id;
	uint64_t n[NSTATUS];	/* findings by status */
	uint64_t sum;		/* the digest */
	int timed;		/* it has an ok, skip or error finding */
	struct chain_value at;	/* the earliest first_seen of those (owned) */
};

/* A skip or error finding of the current check: the digest of what comes
 * before its first_seen, and that value, held until the check's time is
 * known (see settle()). */
struct pending;

struct finding_tally {
	EVP_MAC *mac;		/* libcrypto's SipHash-2-4 */
	EVP_MAC_CTX *ctx;	/* keyed, 8-byte output */
	struct enc {		/* a finding's values, encoded */
		unsigned char *p;
		size_t len, cap;
	} enc;
	size_t cols[NKEPT];	/* kept[] in the findings group */
	struct check_tally *v;	/* in run id order */
	size_t n, alloc;
	struct pending *p;
	size_t np, palloc;
};

/* ---- the digest ---------------------------------------------------------- */

/* Room for n more bytes at the end of e (no cap: a value of any length
 * is hashed whole). */
static inline unsigned char *room(struct enc *e, size_t n)
{
	if (e->cap - e->len < n) {
		e->cap = 2 * (e->len + n);
		e->p = xrealloc(e->p, e->cap);
	}
	return e->p + e->len;
}

/* m's 8 bytes, least significant first. */
static inline void put_word(struct enc *e, uint64_t m)
{
	unsigned char *w = room(e, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(w, &m, 8);	/* one store, not eight */
#else
	size_t i;

	for (i = 0; i < 8; i++)
		w[i] = (unsigned char)(m >> (8 * i));
#endif
	e->len += 8;
}

/*
 * A value appended to e, so that a row's values are one unambiguous
 * string: its type and length in one word (the type in the top byte),
 * then an integer's or a real's 8 bytes, or a text's or blob's bytes
 * padded with zeros to a whole word.
 */
static void put_value(struct enc *e, const struct chain_value *v)
{
	size_t pad = (8 - v->n % 8) % 8;
	uint64_t m;

	switch (v->type) {
	case CHAIN_NULL:
		put_word(e, (uint64_t)'N' << 56);
		return;
	case CHAIN_INT:
		put_word(e, (uint64_t)'I' << 56);
		put_word(e, (uint64_t)v->i);
		return;
	case CHAIN_REAL:
		memcpy(&m, &v->r, sizeof(m));
		put_word(e, (uint64_t)'R' << 56);
		put_word(e, m);
		return;
	case CHAIN_TEXT:
	case CHAIN_BLOB:
		break;
	}
	put_word(e, (uint64_t)(v->type == CHAIN_TEXT ? 'T' : 'B') << 56 |
		 ((uint64_t)v->n & 0x00ffffffffffffffULL));
	room(e, v->n + pad);
	if (v->n)
		memcpy(e->p + e->len, v->p, v->n);
	memset(e->p + e->len + v->n, 0, pad);
	e->len += v->n + pad;
}

/* The keyed digest of t->enc (SipHash-2-4, libcrypto's EVP_MAC: a
 * re-init keeps the key). */
static uint64_t digest(struct finding_tally *t)
{
	unsigned char out[8];
	size_t n = 0, i;
	uint64_t h = 0;

	if (!EVP_MAC_init(t->ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(t->ctx, t->enc.p, t->enc.len) ||
	    !EVP_MAC_final(t->ctx, out, &n, sizeof(out)) || n != sizeof(out))
		return 0;	/* (cannot fail once keyed; a 0 still sums) */
	for (i = 0; i < 8; i++)
		h |= (uint64_t)out[i] << (8 * i);
	return h;
}

/* SQLite's order of values (min()): NULL, numbers, text, blobs. */
static int value_cmp(const struct chain_value *a, const struct chain_value *b)
{
	static const int rank[] = { 0, 1, 1, 2, 3 };
	double x, y;
	size_t n;
	int c;

	if (rank[a->type] != rank[b->type])
		return rank[a->type] < rank[b->type] ? -1 : 1;
	if (a->type == CHAIN_NULL)
		return 0;
	if (rank[a->type] == 1) {
		x = a->type == CHAIN_INT ? (double)a->i : a->r;
		y = b->type == CHAIN_INT ? (double)b->i : b->r;
		return x < y ? -1 : x > y;
	}
	n = a->n < b->n ? a->n : b->n;
	c = n ? memcmp(a->p, b->p, n) : 0;
	return c ? c : a->n < b->n ? -1 : a->n > b->n;
}

static void value_copy(struct chain_value *to, const struct chain_value *v)
{
	free(to->p);
	*to = *v;
	if (v->type == CHAIN_TEXT || v->type == CHAIN_BLOB) {
		to->p = xmalloc(v->n + 1);
		if (v->n)
			memcpy(to->p, v->p, v->n);
		to->p[v->n] = '\0';
	} else
		to->p = NULL;
}

static int status_index(const struct chain_value *v)
{
	int k;

	for (k = 0; v->type == CHAIN_TEXT && k < NSTATUS - 1; k++)
		if (v->n == strlen(statuses[k]) && !memcmp(v->p, statuses[k],
							    v->n))
			return k;
	return NSTATUS - 1;
}

struct pending {
	char *head;		/* the encoded values before first_seen */
	size_t len;
	struct chain_value fs;	/* owned */
};

/* ---- the findings' side ------------------------------------------------- */

struct finding_tally *finding_tally_new(void)
{
	struct finding_tally *t = xcalloc(1, sizeof(*t));
	const struct chain_group_def *g;
	unsigned char key[16];
	OSSL_PARAM params[2];
	size_t i, j, size = 8;

	/* A key nobody knows before the tally: an edit cannot be made to
	 * give the same sum. */
	if (RAND_bytes(key, sizeof(key)) != 1) {
		free(t);
		return NULL;
	}
	t->mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	t->ctx = t->mac ? EVP_MAC_CTX_new(t->mac) : NULL;
	params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size);
	params[1] = OSSL_PARAM_construct_end();
	if (!t->ctx || !EVP_MAC_init(t->ctx, key, sizeof(key), params)) {
		finding_tally_free(t);
		return NULL;
	}
	chain_groups(2, &g);
	for (i = 0; i < NKEPT; i++)
		for (j = 0; j < g[FINDINGS_GROUP].ncols; j++)
			if (!strcmp(g[FINDINGS_GROUP].columns[j], kept[i]))
				t->cols[i] = j;
	return t;
}

void finding_tally_free(struct finding_tally *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i].at.p);
	for (i = 0; i < t->np; i++) {
		free(t->p[i].head);
		free(t->p[i].fs.p);
	}
	free(t->v);
	free(t->p);
	EVP_MAC_CTX_free(t->ctx);
	EVP_MAC_free(t->mac);
	free(t->enc.p);
	free(t);
}

/*
 * The skip and error findings of the newest check, now that its time is
 * known: a first_seen that is the check's time is kept as NULL.
 */
static void settle(struct finding_tally *t)
{
	static const struct chain_value null;
	struct check_tally *c = t->n ? &t->v[t->n - 1] : NULL;
	size_t i;

	for (i = 0; i < t->np; i++) {
		struct pending *p = &t->p[i];
		int same = c->at.type != CHAIN_NULL &&
			   p->fs.type == c->at.type &&
			   !value_cmp(&p->fs, &c->at);

		t->enc.len = 0;
		if (p->len)
			memcpy(room(&t->enc, p->len), p->head, p->len);
		t->enc.len = p->len;
		put_value(&t->enc, same ? &null : &p->fs);
		c->sum += digest(t);
		free(p->head);
		free(p->fs.p);
	}
	t->np = 0;
}

static struct check_tally *check_of(struct finding_tally *t,
				    sqlite3_int64 run_id)
{
	struct check_tally *c;

	if (t->n && t->v[t->n - 1].id == run_id)
		return &t->v[t->n - 1];
	settle(t);
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 64;
		t->v = xrealloc(t->v, t->alloc * sizeof(*t->v));
	}
	c = &t->v[t->n++];
	memset(c, 0, sizeof(*c));
	c->id = run_id;
	return c;
}

int finding_tally_row(void *ctx, sqlite3_int64 run_id, int version,
		      size_t g, const struct chain_value *row)
{
	static const struct chain_value null;
	struct finding_tally *t = ctx;
	const struct chain_value *fs = &row[t->cols[K_FIRST_SEEN]];
	struct check_tally *c;
	size_t i;
	int k;

	if (version != 2 || g != FINDINGS_GROUP)
		return 0;
	c = check_of(t, run_id);
	k = status_index(&row[t->cols[K_STATUS]]);
	c->n[k]++;
	if (k == ST_OK || k == ST_SKIP || k == ST_ERROR) {
		if (fs->type != CHAIN_NULL && (c->at.type == CHAIN_NULL ||
					       value_cmp(fs, &c->at) < 0))
			value_copy(&c->at, fs);
		c->timed = 1;
	}
	t->enc.len = 0;
	for (i = 0; i < K_FIRST_SEEN; i++)
		put_value(&t->enc, &row[t->cols[i]]);
	if (k == ST_SKIP || k == ST_ERROR) {	/* settled with the check */
		if (t->np == t->palloc) {
			t->palloc = t->palloc ? 2 * t->palloc : 256;
			t->p = xrealloc(t->p, t->palloc * sizeof(*t->p));
		}
		t->p[t->np].len = t->enc.len;
		t->p[t->np].head = xmalloc(t->enc.len ? t->enc.len : 1);
		memcpy(t->p[t->np].head, t->enc.p, t->enc.len);
		memset(&t->p[t->np].fs, 0, sizeof(t->p[t->np].fs));
		value_copy(&t->p[t->np++].fs, fs);
		return 0;
	}
	put_value(&t->enc, k == ST_OK ? &null : fs);
	c->sum += digest(t);
	return 0;
}

/* ---- the summary's side ------------------------------------------------- */

/* The first difference found (the lowest check id wins). */
struct first {
	sqlite3_int64 check;	/* 0: none yet */
	char *why;
	size_t why_len;
};

static void differs(struct first *f, sqlite3_int64 check, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));

static void differs(struct first *f, sqlite3_int64 check, const char *fmt,
		    ...)
{
	va_list ap;

	if (check < 1)
		check = -1;
	if (f->check && (check == -1 || (f->check != -1 && f->check <= check)))
		return;
	f->check = check;
	va_start(ap, fmt);
	vsnprintf(f->why, f->why_len, fmt, ap);
	va_end(ap);
}

static int read_checks(struct store *s, sqlite3_int64 **ret, size_t *ret_n,
		       struct err_detail *d)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 *v = NULL;
	size_t n = 0, alloc = 0;
	int r, rc;

	r = store_prepare(s, "SELECT id FROM runs WHERE source = 'check' "
			  "ORDER BY id", &st, d);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			v = xrealloc(v, alloc * sizeof(*v));
		}
		v[n++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE)
		r = store_sql_error(s, "cannot read the checks", d);
	sqlite3_finalize(st);
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The position of check id among ids (ascending), or -1. */
static long find_check(const sqlite3_int64 *ids, size_t n, sqlite3_int64 id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ids[lo] == id ? (long)lo : -1;
}

/*
 * Each check's numbers as finding_runs gives them, as differences at the
 * first check of each row and after its last (summed in check order).
 */
struct by_check {
	uint64_t (*n)[NSTATUS];
	uint64_t *sum;
};

static int read_runs(struct finding_tally *t, struct store *s,
		     const sqlite3_int64 *ids, size_t nids,
		     struct by_check *b, struct first *f,
		     struct err_detail *d)
{
	static const char sql[] =
		"SELECT rule, resource_id, severity, exemption, status, "
		"first_seen, per_check, first_check, last_check "
		"FROM finding_runs";
	struct chain_value v;
	sqlite3_stmt *st = NULL;
	int r, rc, i, k = NSTATUS - 1;

	r = store_prepare(s, sql, &st, d);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 first = sqlite3_column_int64(st, 7);
		sqlite3_int64 last = sqlite3_column_int64(st, 8);
		uint64_t per = (uint64_t)sqlite3_column_int64(st, 6), h;
		long a = find_check(ids, nids, first);
		long z = find_check(ids, nids, last);

		if (a < 0 || z < a) {
			differs(f, first, "a row of the summary (finding_runs) "
				"spans checks %lld to %lld, which are not "
				"checks in that order", (long long)first,
				(long long)last);
			continue;
		}
		t->enc.len = 0;
		for (i = 0; i < NKEPT && r == 0; i++) {
			r = chain_view_column(&v, st, i, 2);
			put_value(&t->enc, &v);
			if (i == K_STATUS)
				k = status_index(&v);
		}
		if (r < 0) {
			err_set(d, "cannot read the findings summary: %s",
				err_str(r));
			break;
		}
		h = digest(t);
		b->n[a][k] += per;
		b->n[z + 1][k] -= per;
		b->sum[a] += per * h;
		b->sum[z + 1] -= per * h;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_sql_error(s, "cannot read the findings summary", d);
	sqlite3_finalize(st);
	return r;
}

/* finding_checks against each check's time. */
static int read_times(struct finding_tally *t, struct store *s,
		      struct first *f, struct err_detail *d)
{
	static const char why[] = "check %lld's time (finding_checks) is not "
		"the first_seen of its findings that are not open";
	sqlite3_stmt *st = NULL;
	struct chain_value v;
	size_t j = 0;
	int r, rc;

	r = store_prepare(s, "SELECT check_run, checked_at FROM finding_checks "
			  "ORDER BY check_run", &st, d);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 id = sqlite3_column_int64(st, 0);

		for (; j < t->n && t->v[j].id < id; j++)
			if (t->v[j].timed)
				differs(f, t->v[j].id, why,
					(long long)t->v[j].id);
		r = chain_view_column(&v, st, 1, 2);
		if (r < 0) {
			err_set(d, "cannot read the findings summary: %s",
				err_str(r));
			break;
		}
		if (j == t->n || t->v[j].id != id || !t->v[j].timed ||
		    value_cmp(&v, &t->v[j].at) || v.type != t->v[j].at.type)
			differs(f, id, why, (long long)id);
		if (j < t->n && t->v[j].id == id)
			j++;
	}
	for (; r == 0 && rc == SQLITE_DONE && j < t->n; j++)
		if (t->v[j].timed)
			differs(f, t->v[j].id, why, (long long)t->v[j].id);
	if (r == 0 && rc != SQLITE_DONE)
		r = store_sql_error(s, "cannot read the findings summary", d);
	sqlite3_finalize(st);
	return r;
}

/* Each check's numbers against the findings', in check order. */
static void compare_checks(const struct finding_tally *t,
			   const sqlite3_int64 *ids, size_t nids,
			   const struct by_check *b, struct first *f)
{
	static const struct check_tally none;
	uint64_t n[NSTATUS] = { 0 }, sum = 0;
	size_t i, j = 0;
	int k;

	for (i = 0; i < nids && !(f->check > 0 && f->check <= ids[i]); i++) {
		const struct check_tally *c = &none;

		for (k = 0; k < NSTATUS; k++)
			n[k] += b->n[i][k];
		sum += b->sum[i];
		while (j < t->n && t->v[j].id < ids[i])
			j++;
		if (j < t->n && t->v[j].id == ids[i])
			c = &t->v[j];
		for (k = 0; k < NSTATUS && c->n[k] == n[k]; k++)
			;
		if (k < NSTATUS) {
			differs(f, ids[i], "check %lld holds %lld %s results, "
				"the summary (finding_runs) %lld",
				(long long)ids[i], (long long)c->n[k],
				statuses[k], (long long)n[k]);
			break;
		}
		if (c->sum != sum) {
			differs(f, ids[i], "check %lld: the summary "
				"(finding_runs) gives the same counts, but not "
				"the rules, resources, severities, exemptions "
				"or first seen of its findings",
				(long long)ids[i]);
			break;
		}
	}
}

int finding_tally_compare(struct finding_tally *t, struct store *s,
			  sqlite3_int64 *ret_check, char *why, size_t why_len,
			  struct err_detail *d)
{
	struct first f = { 0, why, why_len };
	struct by_check b = { NULL, NULL };
	sqlite3_int64 *ids = NULL;
	size_t nids = 0;
	int r;

	settle(t);
	r = read_checks(s, &ids, &nids, d);
	if (r < 0)
		return r;
	b.n = xcalloc(nids + 1, sizeof(*b.n));
	b.sum = xcalloc(nids + 1, sizeof(*b.sum));
	r = read_runs(t, s, ids, nids, &b, &f, d);
	if (r == 0)
		r = read_times(t, s, &f, d);
	if (r == 0)
		compare_checks(t, ids, nids, &b, &f);
	if (r == 0)
		*ret_check = f.check;
	free(ids);
	free(b.n);
	free(b.sum);
	return r;
}
