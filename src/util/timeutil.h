#pragma once
#include <stddef.h>
#include <time.h>

/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ" into out (21 bytes). */
void time_now_iso(char out[21]);
/* Format t as above. */
void time_iso(time_t t, char out[21]);
/*
 * Parse "YYYY-MM-DDTHH:MM[:SS[.frac]][Z|+hh:mm]" (or a plain date) as UTC.
 * Returns 0 and sets *ret, or -EINVAL.
 */
int time_parse_iso(const char *s, time_t *ret);
