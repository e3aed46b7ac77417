#include "util/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* n as width decimal digits at p (n fits them). */
static void put_digits(char *p, long long n, int width)
{
	while (width--) {
		p[width] = (char)('0' + n % 10);
		n /= 10;
	}
}

/* "YYYY-MM-DDThh:mm:ssZ" of y (0 to 9999), m, d and sec into the day. */
static void put_iso(char out[21], long long y, long long m, long long d,
		    long long sec)
{
	memcpy(out, "0000-00-00T00:00:00Z", 21);
	put_digits(out, y, 4);
	put_digits(out + 5, m, 2);
	put_digits(out + 8, d, 2);
	put_digits(out + 11, sec / 3600, 2);
	put_digits(out + 14, sec / 60 % 60, 2);
	put_digits(out + 17, sec % 60, 2);
}

/*
 * From 1970 to 9999 by arithmetic (Howard Hinnant's civil_from_days): the
 * chain check writes every stored response's time with it, where
 * gmtime_r() and strftime() cost more than the rest of a row's reading.
 * Before 1970 through gmtime_r(), the year with four digits; a time that
 * cannot be written in 20 characters (after 9999, before year 0: a
 * token's expiry can say anything) is the nearest one that can.
 */
void time_iso(time_t t, char out[21])
{
	long long days = (long long)t / 86400, sec = (long long)t % 86400;
	long long z = days + 719468, era = z / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	long long m = mp < 10 ? mp + 3 : mp - 9;
	struct tm tm;

	if ((long long)t > 253402300799LL)
		memcpy(out, "9999-12-31T23:59:59Z", 21);
	else if (t >= 0)
		put_iso(out, yoe + era * 400 + (m <= 2), m,
			doy - (153 * mp + 2) / 5 + 1, sec);
	else if (!gmtime_r(&t, &tm) || tm.tm_year < -1900)
		memcpy(out, "0000-01-01T00:00:00Z", 21);
	else
		put_iso(out, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
}

long long time_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void time_now_iso(char out[21])
{
	const char *fake = getenv("AMLFS_AUDIT_NOW");
	time_t t;

	/* Tests pin the clock; only an ISO date-time is accepted. */
	if (fake && time_parse_iso(fake, &t) == 0) {
		time_iso(t, out);
		return;
	}
	time_iso(time(NULL), out);
}

static int digits(const char *s, int n, int *ret)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

static int days_in(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				    30, 31 };

	return days[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) ||
					 y % 400 == 0));
}

/* A real calendar day, years 1970 to 9999. */
static int day_ok(int y, int m, int d)
{
	return y >= 1970 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 &&
	       d <= days_in(y, m);
}

/* "hh:mm[:ss[.frac]]" at s; *ret_end past it. */
static int clock_part(const char *s, int *h, int *mi, int *sec,
		      const char **ret_end)
{
	const char *p = s;

	*sec = 0;
	if (digits(p, 2, h) || p[2] != ':' || digits(p + 3, 2, mi))
		return -EINVAL;
	p += 5;
	if (*p == ':') {
		if (digits(p + 1, 2, sec))
			return -EINVAL;
		p += 3;
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
	}
	if (*h > 23 || *mi > 59 || *sec > 60)
		return -EINVAL;
	*ret_end = p;
	return 0;
}

/* "+hh:mm" or "-hh:mm" at p as seconds east of UTC; *ret_end past it. */
static int zone_part(const char *p, int *ret_off, const char **ret_end)
{
	int oh, om;

	if ((*p != '+' && *p != '-') || digits(p + 1, 2, &oh) || p[3] != ':' ||
	    digits(p + 4, 2, &om) || oh > 23 || om > 59)
		return -EINVAL;
	*ret_off = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
	*ret_end = p + 6;
	return 0;
}

/* A checked calendar time (UTC, less off seconds) as time_t. */
static time_t utc(int y, int mo, int d, int h, int mi, int sec, int off)
{
	struct tm tm = { 0 };

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return timegm(&tm) - off;
}

int time_parse_iso(const char *s, time_t *ret)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
	const char *p;

	if (!s || strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    !day_ok(y, mo, d))
		return -EINVAL;
	p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (clock_part(p + 1, &h, &mi, &sec, &p) < 0)
			return -EINVAL;
		if (*p == 'Z')
			p++;
		else if ((*p == '+' || *p == '-') && zone_part(p, &off, &p) < 0)
			return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	*ret = utc(y, mo, d, h, mi, sec, off);
	return 0;
}

int time_parse_day(const char *s, char out[11])
{
	int y = 0, m = 0, d = 0;
	char tmp[48];
	time_t t;

	if (!s)
		return -EINVAL;
	if (strlen(s) >= 10 && s[2] == '/' && s[5] == '/') {
		int h, mi, sec;
		const char *p = s + 10;

		if (digits(s, 2, &m) || digits(s + 3, 2, &d) ||
		    digits(s + 6, 4, &y))
			return -EINVAL;
		/* EA exports may carry a midnight time after the date. */
		if (*p == ' ' && clock_part(p + 1, &h, &mi, &sec, &p) < 0)
			return -EINVAL;
		if (*p)
			return -EINVAL;
	} else if (time_parse_iso(s, &t) == 0) {
		digits(s, 4, &y);
		digits(s + 5, 2, &m);
		digits(s + 8, 2, &d);
	} else {
		return -EINVAL;
	}
	if (!day_ok(y, m, d))
		return -EINVAL;
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y, m, d);
	memcpy(out, tmp, 11);
	return 0;
}

int time_parse_us(const char *s, time_t *ret)
{
	int mo, dd, y, h, mi, sec, off = 0;
	const char *p = s;

	if (!s || strlen(s) < 19 || digits(p, 2, &mo) || p[2] != '/' ||
	    digits(p + 3, 2, &dd) || p[5] != '/' || digits(p + 6, 4, &y) ||
	    p[10] != ' ' || !day_ok(y, mo, dd) ||
	    clock_part(p + 11, &h, &mi, &sec, &p) < 0 || *p != ' ')
		return -EINVAL;
	p++;
	if (h < 1 || h > 12 || (p[0] != 'A' && p[0] != 'P' && p[0] != 'a' &&
				p[0] != 'p') || (p[1] != 'M' && p[1] != 'm'))
		return -EINVAL;
	h = h % 12 + (p[0] == 'P' || p[0] == 'p' ? 12 : 0);
	p += 2;
	while (*p == ' ')
		p++;
	if ((*p == '+' || *p == '-') && zone_part(p, &off, &p) < 0)
		return -EINVAL;
	if (*p)
		return -EINVAL;
	*ret = utc(y, mo, dd, h, mi, sec, off);
	return 0;
}

int time_month_range(const char *month, char from[11], char to[11])
{
	int y, m, last;

	if (!month || (strlen(month) != 7 && strlen(month) != 10) ||
	    digits(month, 4, &y) || month[4] != '-' || digits(month + 5, 2, &m) ||
	    m < 1 || m > 12 || y < 1970)
		return -EINVAL;
	last = days_in(y, m);
	memcpy(from, month, 7);
	memcpy(from + 7, "-01", 4);
	memcpy(to, month, 7);
	to[7] = '-';
	to[8] = (char)('0' + last / 10);
	to[9] = (char)('0' + last % 10);
	to[10] = '\0';
	return 0;
}

void time_month_before(time_t t, int back, char out[8])
{
	struct tm tm;
	int y, m;

	gmtime_r(&t, &tm);
	m = tm.tm_mon - back % 12;
	y = tm.tm_year + 1900 - back / 12;
	if (m < 0) {
		m += 12;
		y--;
	}
	/* Years 1970 to 9999: four digits, written by hand for the compiler. */
	out[0] = (char)('0' + y / 1000 % 10);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + (m + 1) / 10);
	out[6] = (char)('0' + (m + 1) % 10);
	out[7] = '\0';
}
