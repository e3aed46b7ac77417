#pragma once

/*
 * Copy url with the values of secret-bearing query parameters (sig,
 * signature, code, client_secret, access_token, token, key, password,
 * secret) and any user:password@ replaced by REDACTED. Caller frees.
 */
char *url_redact(const char *url);
