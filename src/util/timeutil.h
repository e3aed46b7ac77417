#pragma once
#include <stddef.h>
#include <time.h>

/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ" into out (21 bytes). */
void time_now_iso(char out[21]);
/* Format t as above (after 9999: 9999-12-31T23:59:59Z; before year 0:
 * 0000-01-01T00:00:00Z). */
void time_iso(time_t t, char out[21]);
/* Milliseconds on the monotonic clock (for intervals and deadlines). */
long long time_monotonic_ms(void);
/*
 * The one date parser: every date this tool reads goes through here, and
 * each accepts only a real calendar day (years 1970 to 9999) with nothing
 * trailing. Each returns 0, or -EINVAL.
 *
 * time_parse_iso: "YYYY-MM-DD[(T| )hh:mm[:ss[.frac]][Z|(+|-)hh:mm]]" as UTC.
 * time_parse_day: a cost export's day: "MM/DD/YYYY[ hh:mm[:ss]]" or any
 *   form of time_parse_iso, written to out as "YYYY-MM-DD" (the date as
 *   written, whatever the offset).
 * time_parse_us: "MM/DD/YYYY hh:mm:ss AM|PM [+hh:mm]" (App Service's
 *   token expiry, api-version 2017-09-01).
 */
int time_parse_iso(const char *s, time_t *ret);
int time_parse_day(const char *s, char out[11]);
int time_parse_us(const char *s, time_t *ret);

/*
 * The first and last day (YYYY-MM-DD) of month "YYYY-MM" (a longer string
 * is read for its first seven characters only when it is a date). Returns
 * 0, or -EINVAL.
 */
int time_month_range(const char *month, char from[11], char to[11]);

/* The month `back` months before the month of t, as "YYYY-MM". */
void time_month_before(time_t t, int back, char out[8]);
