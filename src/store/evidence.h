#pragma once
#include <sqlite3.h>

#include "azure/transport.h"
#include "store/db.h"
#include "util/hash.h"
#include "util/url.h"

/*
 * A body too large to hold in memory (an import's kept lines), written in
 * pieces: hashed as they pass, held in memory up to EVIDENCE_BODY_MEM
 * bytes, past that in an unlinked temporary file (written that much at a
 * time); evidence_add() then
 * writes it into `bodies` a piece at a time (incremental blob I/O).
 */
#define EVIDENCE_BODY_MEM (64 * 1024)

struct evidence_body;

/* A new body to fill; NULL only when libcrypto fails. */
struct evidence_body *evidence_body_new(void);
/* 0, or -errno when the temporary file cannot be written (d says so). */
int evidence_body_add(struct evidence_body *b, const void *data, size_t len,
		      struct err_detail *d);
size_t evidence_body_len(const struct evidence_body *b);
void evidence_body_free(struct evidence_body *b);

/* One stored response, as the collector hands it over. */
struct evidence_item {
	sqlite3_int64 run_id;
	int seq;		/* order within the run, from 1 */
	const char *kind;	/* KIND_* of collect/project.h */
	const char *subject;
	const char *method;
	const char *url;	/* redacted before storing */
	const char *request_body; /* POST body, or NULL */
	long status;
	int projected;		/* 1 when the body's rows go into the typed tables */
	const char *request_id;	/* a lower-case GUID is stored as 16 bytes */
	long long fetched_at;	/* Unix seconds */
	const void *body;
	size_t body_len;
	/* Instead of body and body_len: a body written in pieces (borrowed;
	 * evidence_add() finishes its hash, so add it to one item only). */
	struct evidence_body *stream;
};

/* Writes evidence with statements prepared once; free before the store. */
struct evidence_writer;

struct evidence_writer *evidence_writer_new(struct store *s);
void evidence_writer_free(struct evidence_writer *w);

/*
 * Store one response: its body once per distinct SHA-256 in `bodies`, its
 * request once in `requests`, its metadata in `evidence`. On success
 * *ret_id is the evidence row id and ret_sha (when not NULL) the body's
 * hash.
 */
int evidence_add(struct evidence_writer *w, const struct evidence_item *e,
		 sqlite3_int64 *ret_id, char ret_sha[SHA256_HEX_LEN + 1],
		 struct err_detail *d);


/* The hash encoding new runs are written with (runs.hash_version). */
#define CHAIN_VERSION "2"

/*
 * The run's hash (encoding runs.hash_version: 1 or 2): SHA-256 over a fixed header, the run's metadata, each
 * evidence row in seq order (with its body hash), each run error, and
 * prev_hash. Written to out as hex.
 */
int chain_run_hash(struct store *s, sqlite3_int64 run_id,
		   char out[SHA256_HEX_LEN + 1], struct err_detail *d);

/*
 * chain_run_hash(), giving fn each row as it is hashed: group g (the
 * groups of chain_groups(version)) and its values, valid during the call
 * only. A negative return from fn stops the hashing and is returned.
 */
struct chain_value;
typedef int chain_row_fn(void *ctx, sqlite3_int64 run_id, int version,
			 size_t g, const struct chain_value *row);
int chain_run_hash_each(struct store *s, sqlite3_int64 run_id,
			char out[SHA256_HEX_LEN + 1], chain_row_fn *fn,
			void *ctx, struct err_detail *d);

/*
 * Start a link of the chain that is not a collection (an import, a
 * check): a run of `source` with scope (JSON text) and the current hash
 * encoding, status "running" until chain_seal_run(). Call inside the
 * transaction that seals it.
 */
int chain_begin_run(struct store *s, const char *source, const char *scope,
		    sqlite3_int64 *ret, struct err_detail *d);

/*
 * Close a run: set finished_at, status and error_summary, link it to the
 * newest earlier run and store its hash. Call inside the run's
 * transaction.
 */
int chain_seal_run(struct store *s, sqlite3_int64 run_id, const char *status,
		   const char *error_summary, struct err_detail *d);
