#pragma once
#include "azure/transport.h"

/*
 * A transport that answers from a directory of recorded responses:
 *
 *   DIR/manifest.json  {"format": "amlfs-audit-replay/1",
 *                       "entries": [{"method", "url", "request_body"?,
 *                                    "status", "headers": {...},
 *                                    "body": "bodies/x.json"}]}
 *
 * A request matches an entry by method, exact URL and, when the entry has
 * one, exact request body (POST queries page by body). One with no
 * recording finishes with err -ERR_NOT_FOUND naming the URL. Body files are
 * read when requested, so a damaged one fails only the request that needs
 * it. Answers come back in the order requests were started.
 */
int replay_open(const char *dir, size_t max_body, struct transport **ret,
		struct err_detail *d);

/*
 * The manifest's recorded_at ("" when absent): a replay collects as if it
 * were then, so time-dependent requests (metrics) match the recording.
 * t must come from replay_open().
 */
const char *replay_recorded_at(struct transport *t);

/* The replay format's identifier, also written by --record. */
#define REPLAY_FORMAT "amlfs-audit-replay/1"
