#pragma once
#include <stddef.h>

/* The longest number text num_parse_decimal() takes. */
#define NUM_MAX_TEXT 40

/*
 * Strict readers of numbers and text from outside (exports, answers).
 *
 * num_parse_decimal: a finite decimal as written in a cost export:
 * optional '-', 1 to 15 integer digits, optionally '.' and digits, at
 * most 18 digits in all, optionally an exponent e or E, sign, one or two
 * digits (|exponent| <= 20); nothing else: no spaces, no '+' in front, no
 * hex, no inf or nan, at most 40 characters. 0, or -EINVAL.
 */
int num_parse_decimal(const char *s, double *ret);

/*
 * Money as exact integer micro-units (millionths of the currency unit):
 * the text num_parse_decimal() accepts, read digit by digit (never through
 * a double) and rounded half to even past the sixth decimal, as exports
 * print costs with up to 16 decimals. A row's error is at most half a
 * micro-unit, unbiased. |value| must stay within INT64_MAX micro-units
 * (about 9.2 * 10^12 currency units; SQLite's sum() of such integers is
 * exact and fails rather than wraps past that). 0, -EINVAL (not such a
 * decimal) or -ERANGE.
 */
int num_parse_micros(const char *s, long long *ret);

/*
 * The same from a double (a JSON answer's number): its shortest decimal
 * text, read as above. Exact for every number a 15-digit decimal gave.
 */
int num_micros_of_double(double v, long long *ret);

/* Is s (n bytes) well-formed UTF-8, with no NUL, surrogate or overlong form? */
int utf8_valid(const char *s, size_t n);

/* A currency code: exactly three ASCII capital letters. */
int currency_code_ok(const char *s);

/*
 * Seconds from outside (a header, a token response, a JWT claim), checked
 * before any arithmetic: a finite whole number from 0 to NUM_MAX_SECONDS
 * (the end of year 9999). 0 with *ret set, or -EINVAL.
 */
#define NUM_MAX_SECONDS 253402300799LL

int num_seconds(double v, long long *ret);
int num_seconds_int(long long v, long long *ret);

/*
 * The shortest digits that read back as v, in fixed notation when the
 * exponent is from -6 to 20 as JavaScript does (100.0 is "100", 1.21 is
 * "1.21", 1e21 is "1e+21"), never depending on the locale; into buf of
 * 64 bytes. NaN and the infinities are written as JSON would not:
 * "NaN", "Infinity", "-Infinity". Used by every writer of numbers
 * (Mustache, CSV, the report JSON).
 */
void num_shortest(double v, char buf[64]);
