#pragma once
#include "azure/transport.h"

/*
 * A transport that answers from a directory of recorded responses:
 *
 *   DIR/manifest.json  {"format": "amlfs-audit-replay/1",
 *                       "entries": [{"method", "url", "status",
 *                                    "headers": {...}, "body": "bodies/x.json"}]}
 *
 * Requests match an entry by method and exact URL. A request with no
 * recording fails with -ERR_NOT_FOUND naming the URL. Body files are read
 * when requested, so a damaged one fails only the request that needs it.
 * On success *ret is a new transport; free it with transport_free().
 */
int replay_open(const char *dir, struct transport **ret, struct err_detail *d);

/* The replay format's identifier, also written by --record. */
#define REPLAY_FORMAT "amlfs-audit-replay/1"
