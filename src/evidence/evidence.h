#pragma once
#include <sqlite3.h>

#include "azure/transport.h"
#include "store/db.h"
#include "util/hash.h"

/* One stored response, as the collector hands it over. */
struct evidence_item {
	sqlite3_int64 run_id;
	int seq;		/* order within the run, from 1 */
	const char *kind;	/* KIND_* of collect/project.h */
	const char *subject;
	const char *method;
	const char *url;	/* redacted before storing */
	long status;
	const char *request_id;
	const char *fetched_at;
	const void *body;
	size_t body_len;
};

/*
 * Store one response: its body once per distinct SHA-256 in `bodies`, its
 * metadata in `evidence`. On success *ret_id is the evidence row id and
 * ret_sha (when not NULL) the body's hash.
 */
int evidence_add(struct store *s, const struct evidence_item *e,
		 sqlite3_int64 *ret_id, char ret_sha[SHA256_HEX_LEN + 1],
		 struct err_detail *d);

/*
 * Copy url with the values of secret-bearing query parameters (sig,
 * signature, code, client_secret, access_token, token, key, password,
 * secret) and any user:password@ replaced by REDACTED. Caller frees.
 */
char *url_redact(const char *url);

/*
 * The run's hash: SHA-256 over a fixed header, the run's metadata, each
 * evidence row in seq order (with its body hash), each run error, and
 * prev_hash. Written to out as hex.
 */
int chain_run_hash(struct store *s, sqlite3_int64 run_id,
		   char out[SHA256_HEX_LEN + 1], struct err_detail *d);

/*
 * Close a run: set finished_at, status and error_summary, link it to the
 * newest earlier run and store its hash. Call inside the run's
 * transaction.
 */
int chain_seal_run(struct store *s, sqlite3_int64 run_id, const char *status,
		   const char *error_summary, struct err_detail *d);
