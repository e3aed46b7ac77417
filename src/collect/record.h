#pragma once
#include "azure/transport.h"

/*
 * --record DIR: every answer a collection gets, written in the replay
 * format (azure/replay.h) so the run can be replayed offline. URLs are
 * stored with secrets stripped; tokens never reach a response body.
 */
struct recorder;

/* Create DIR (and DIR/bodies); fails when DIR/manifest.json exists. */
int record_open(const char *dir, struct recorder **ret, struct err_detail *d);
/* Add one answer; req_body is the POST body or NULL. */
int record_add(struct recorder *rec, const char *method, const char *url,
	       const char *req_body, const struct http_response *resp,
	       struct err_detail *d);
/*
 * Write DIR/manifest.json (through a temporary file) and free rec. clock is
 * the time the collection ran as (its recorded_at), NULL for now.
 */
int record_close(struct recorder *rec, const char *clock,
		 struct err_detail *d);
/* Free without writing the manifest. */
void record_free(struct recorder *rec);
