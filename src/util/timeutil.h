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

/*
 * The first and last day (YYYY-MM-DD) of month "YYYY-MM" (a longer string
 * is read for its first seven characters only when it is a date). Returns
 * 0, or -EINVAL.
 */
int time_month_range(const char *month, char from[11], char to[11]);

/* The month `back` months before the month of t, as "YYYY-MM". */
void time_month_before(time_t t, int back, char out[8]);
