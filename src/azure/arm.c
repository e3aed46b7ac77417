#include "azure/arm.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/sbuf.h"
#include "util/xalloc.h"

struct arm_client {
	char *base;
	char *api_version;
};

struct arm_client *arm_client_new(const char *base, const char *api_version)
{
	struct arm_client *c = xcalloc(1, sizeof(*c));
	size_t n = strlen(base);

	while (n && base[n - 1] == '/')
		n--;
	c->base = xstrndup(base, n);
	c->api_version = xstrdup(api_version);
	return c;
}

void arm_client_free(struct arm_client *c)
{
	if (!c)
		return;
	free(c->base);
	free(c->api_version);
	free(c);
}

char *arm_url(struct arm_client *c, const char *path, const char *version)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_addf(&sb, "%s%s%s%capi-version=%s", c->base,
		  path[0] == '/' ? "" : "/", path,
		  strchr(path, '?') ? '&' : '?',
		  version ? version : c->api_version);
	return sbuf_detach(&sb, NULL);
}

void arm_pager_init(struct arm_pager *p, const char *first, long max_pages)
{
	p->url = xstrdup(first);
	p->seen = NULL;
	p->pages = 0;
	p->max_pages = max_pages;
}

void arm_pager_release(struct arm_pager *p)
{
	long i;

	for (i = 0; i < p->pages; i++)
		free(p->seen[i]);
	free(p->seen);
	free(p->url);
	memset(p, 0, sizeof(*p));
}

int arm_pager_advance(struct arm_pager *p, json_t *page, struct err_detail *d)
{
	json_t *nl = json_object_get(page, "nextLink");
	const char *next;
	long i;

	if (!nl)
		nl = json_object_get(json_object_get(page, "properties"),
				     "nextLink");
	next = json_string_value(nl);
	p->seen = xrealloc(p->seen, (size_t)(p->pages + 1) * sizeof(*p->seen));
	p->seen[p->pages++] = p->url;
	p->url = NULL;
	if (!next || !*next)
		return 0;
	for (i = 0; i < p->pages; i++) {
		if (!strcmp(p->seen[i], next)) {
			err_set(d, "nextLink repeats an earlier page: %s", next);
			return -ERR_PAGING;
		}
	}
	if (p->pages >= p->max_pages) {
		err_set(d, "list has more than %ld pages (collect.max_pages)",
			p->max_pages);
		return -ERR_PAGING;
	}
	p->url = xstrdup(next);
	return 1;
}

void arm_error_parse(const struct sbuf *body, char **ret_code, char **ret_msg)
{
	json_t *j = json_loadb(body->buf, body->len, 0, NULL);
	json_t *e = json_object_get(j, "error");

	/* Monitor and older APIs may answer {"code","message"} unwrapped. */
	if (!json_is_object(e))
		e = j;

	*ret_code = xstrdup_or_null(json_string_value(json_object_get(e, "code")));
	*ret_msg = xstrdup_or_null(
		json_string_value(json_object_get(e, "message")));
	json_decref(j);
}

char *lower_dup(const char *s)
{
	char *d = xstrdup(s), *p;

	for (p = d; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return d;
}

int arm_id_parse(const char *id, char **ret_sub, char **ret_rg)
{
	static const char p1[] = "/subscriptions/", p2[] = "/resourcegroups/";
	const char *sub, *se, *rg, *re;

	if (!id || strncasecmp(id, p1, sizeof(p1) - 1))
		return -ERR_JSON;
	sub = id + sizeof(p1) - 1;
	se = strchr(sub, '/');
	if (!se || se == sub || strncasecmp(se, p2, sizeof(p2) - 1))
		return -ERR_JSON;
	rg = se + sizeof(p2) - 1;
	re = strchr(rg, '/');
	if (!re || re == rg)
		return -ERR_JSON;
	*ret_sub = xstrndup(sub, (size_t)(se - sub));
	*ret_rg = xstrndup(rg, (size_t)(re - rg));
	return 0;
}
