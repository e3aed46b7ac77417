#include "azure/transport.h"

#include <stdlib.h>

void http_response_init(struct http_response *r, size_t max_body)
{
	r->status = 0;
	sbuf_init(&r->body, max_body);
	r->request_id = NULL;
	r->retry_after = NULL;
	r->origin = NULL;
}

void http_response_release(struct http_response *r)
{
	sbuf_release(&r->body);
	free(r->request_id);
	free(r->retry_after);
	free(r->origin);
	r->request_id = r->retry_after = r->origin = NULL;
	r->status = 0;
}
