#include "azure/transport.h"

#include <stdlib.h>
#include <string.h>

void http_response_init(struct http_response *r, size_t max_body)
{
	memset(r, 0, sizeof(*r));
	sbuf_init(&r->body, max_body);
}

void http_response_release(struct http_response *r)
{
	sbuf_release(&r->body);
	free(r->request_id);
	free(r->content_type);
	free(r->origin);
	http_response_init(r, r->body.max);
}

void http_done_release(struct http_done *done)
{
	http_response_release(&done->resp);
	done->tag = NULL;
	done->err = 0;
}

int transport_send(struct transport *t, const struct http_request *req,
		   struct http_response *resp, struct err_detail *d)
{
	struct http_done done;
	int r;

	r = t->start(t, req, NULL, d);
	if (r < 0)
		return r;
	if (t->next(t, &done) != 1) {
		err_set(d, "transport lost the request");
		return -ERR_TRANSPORT;
	}
	if (done.err < 0) {
		if (d)
			*d = done.detail;
		r = done.err;
		http_done_release(&done);
		return r;
	}
	*resp = done.resp;
	return 0;
}
