#pragma once
#include <stddef.h>

#include <sqlite3.h>

#include "config/config.h"
#include "evidence/sign.h"
#include "store/db.h"
#include "util/err.h"
#include "util/hash.h"

/*
 * Evidence packs: one run, any link of the chain (or a collection run
 * and a check of it)
 * as files an auditor checks with no database, with this tool or with
 * sha256sum and openssl alone. A pack is a directory, or the same as a
 * .tar.gz holding one directory:
 *
 *   README.md          how to check the pack by hand
 *   manifest.json      every file (path, SHA-256, size); per run its hash,
 *                      hash encoding and, under the names of the run hash's
 *                      groups, every value the run hash covers: the run's
 *                      metadata (with prev_hash), each response's request
 *                      (method, URL with secrets stripped), HTTP status,
 *                      x-ms-request-id, time and body SHA-256 (and its
 *                      "file"), errors, ledger, cost sources, findings
 *   SHA256SUMS         coreutils format: manifest.json, then every file
 *   manifest.json.sig  with a signing key: Ed25519 over manifest.json
 *   responses/runN/SEQ.json (or .txt)   each raw response, by run id and
 *                      evidence sequence number (never a name from outside)
 *   and the caller's files (compliance.md).
 *
 * A value the run hash covers is written as JSON null, an integer, a real
 * (finite, with a '.' or exponent), a string (UTF-8 text without NUL), or
 * {"type": "text"|"blob", "hex": "..."} and {"type": "real", "bits":
 * "16 hex digits"} for the rest, so the typed value is exact.
 */

#define PACK_FORMAT "amlfs-audit-evidence-pack/1"
/* The largest manifest.json a verifier reads. */
#define PACK_MAX_MANIFEST ((size_t)128 << 20)
/* The most files a pack may hold. */
#define PACK_MAX_FILES 1000000

/* A file the caller adds (borrowed): a plain name such as compliance.md. */
struct pack_file {
	const char *name;
	const void *data;
	size_t len;
};

struct pack_options {
	sqlite3_int64 run;
	sqlite3_int64 check;		/* a check run of run, or 0 */
	const struct pack_file *files;	/* extra files, or NULL */
	size_t nfiles;
	const struct sign_key *key;	/* sign the manifest, or NULL */
	const char *tool_version;
};

struct pack_summary {
	size_t files;			/* files in the pack, all of them */
	unsigned long long bytes;	/* their bytes */
	size_t nruns;
	sqlite3_int64 run[2];		/* the run, then the check */
	char hash[2][SHA256_HEX_LEN + 1];
	int is_signed;			/* the pack has manifest.json.sig */
	int sig_checked;		/* and it verified with the key given */
	char key_id[SHA256_HEX_LEN + 1];/* the signer's key (manifest), or "" */
};

/*
 * Write the pack of o->run (and o->check) to out: a directory, or a
 * .tar.gz when out ends so. out must not exist (a directory: or be
 * empty); it appears whole or not at all (written beside it, then
 * renamed). Refused before anything is written: a run that is not sealed
 * or whose stored hash its contents no longer give, a body that no longer
 * has its SHA-256 (-ERR_VERIFY), with a check a run that is not a
 * collection (live or replay) or a check that is not of the run, no such run
 * (-ERR_NOT_FOUND), an out that exists (-EEXIST). sum (may be NULL) gets
 * what was written.
 */
int pack_export(struct store *s, const struct pack_options *o,
		const char *out, struct pack_summary *sum,
		struct err_detail *d);

/*
 * Check the pack at path (a directory or a .tar.gz) with no database:
 * the manifest's form, every file against it (none changed, missing or
 * added, no symlink or special file, no unsafe name), SHA256SUMS
 * exactly as the manifest gives it, each run's hash recomputed from the
 * manifest with chain_run_encode(), that two runs belong together (the
 * first a collection run, the second a check whose scope judged the
 * first, every finding's judged_run the first), a .tar.gz read to
 * its end (one gzip member, nothing after it, only zeros after the tar's
 * end), and with key the signature (a pack without one then fails). Each problem found, naming
 * the file or the runs, is added to problems (at most 50); none means the pack holds. Returns 0 when the
 * check ran, or negative when it could not (-errno reading the pack;
 * d says why).
 */
int pack_verify(const char *path, const struct sign_key *key,
		struct strlist *problems, struct pack_summary *sum,
		struct err_detail *d);

/*
 * Remove the directory pack dir, only when it verifies (no key) as an
 * intact pack, so nothing but a pack's own files goes. -ERR_VERIFY (d:
 * the first problem) when it does not; -errno for I/O.
 */
int pack_remove(const char *dir, struct err_detail *d);
