/* The INI configuration: defaults, every key, errors with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/ini.h"
#include "util/fs.h"

static char *write_temp(const char *text)
{
	char tmpl[] = "/tmp/amlfs-config-XXXXXX";
	int fd = mkstemp(tmpl);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return strdup(tmpl);
}

static int load(const char *text, struct config *c, struct err_detail *d)
{
	char *path = write_temp(text);
	int r;

	config_init(c);
	r = config_load(c, path, d);
	unlink(path);
	free(path);
	return r;
}

static void sample_config_loads(void **state)
{
	const char *root = getenv("SOURCE_ROOT");
	struct config c;
	struct err_detail d;
	char *path;

	(void)state;
	assert_non_null(root);
	path = fs_join(root, "samples/amlfs-audit.conf");
	config_init(&c);
	assert_int_equal(config_load(&c, path, &d), 0);
	assert_int_equal(c.subscriptions.n, 2);
	assert_string_equal(c.cloud, "AzureCloud");
	assert_string_equal(c.api_version, "2025-07-01");
	assert_int_equal(c.max_pages, 1000);
	config_release(&c);
	free(path);
}

static void lists_are_split_and_trimmed(void **state)
{
	struct config c;
	struct err_detail d;

	(void)state;
	assert_int_equal(load("[scope]\nresource_groups =  a , b,,c \n", &c, &d), 0);
	assert_int_equal(c.resource_groups.n, 3);
	assert_string_equal(c.resource_groups.v[1], "b");
	assert_string_equal(c.resource_groups.v[2], "c");
	config_release(&c);
}

static void unknown_key_names_file_and_line(void **state)
{
	struct config c;
	struct err_detail d;

	(void)state;
	assert_int_equal(load("# comment\n[azure]\ncloud = AzureCloud\n"
			      "colud = x\n", &c, &d), -ERR_CONFIG);
	assert_non_null(strstr(d.where, ":4"));
	assert_non_null(strstr(d.msg, "unknown key 'colud' in [azure]"));
	config_release(&c);
}

static void bad_values_are_refused(void **state)
{
	static const char *const cases[][2] = {
		{ "[azure]\ncloud = AzureMoon\n", "'cloud'" },
		{ "[azure]\nauth = password\n", "'auth'" },
		{ "[azure]\nresource_manager = ftp://x\n", "'resource_manager'" },
		{ "[scope]\nsubscriptions = not-a-guid\n", "not a GUID" },
		{ "[collect]\nmax_pages = 0\n", "'max_pages'" },
		{ "[scope]\nresource_groups = rg-a, x' or 1\n",
		  "not a resource group name" },
		{ "[collect]\nmetrics = sometimes\n", "'metrics'" },
		{ "[scope]\ndiscovery = guess\n", "'discovery'" },
		{ "[collect]\nmax_response_mib = 12abc\n", "'max_response_mib'" },
		{ "[nope]\nx = 1\n", "unknown section [nope]" },
		{ "[azure]\njust text\n", "syntax error" },
	};
	struct config c;
	struct err_detail d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(load(cases[i][0], &c, &d), -ERR_CONFIG);
		if (!strstr(d.msg, cases[i][1]))
			fail_msg("case %zu: '%s' lacks '%s'", i, d.msg, cases[i][1]);
		assert_non_null(strstr(d.where, ":2"));
		config_release(&c);
	}
}

/* Found by tests/fuzz/fuzz_config.c (regressions/config). */
static void no_value_lost_to_libinih(void **state)
{
	struct config c;
	struct err_detail d;

	(void)state;
	/* libinih ignores text after ']': the key would vanish. */
	assert_int_equal(load("\n[chargeback] variance_pct = 5\n", &c, &d),
			 -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "text after ']'"));
	assert_non_null(strstr(d.where, ":2"));
	config_release(&c);
	/* Also after white space libinih skips (a vertical tab). */
	assert_int_equal(load("\v[scope] x\n", &c, &d), -ERR_CONFIG);
	config_release(&c);
	/* A comment after ']' is fine. */
	assert_int_equal(load("[scope] ; the scope\n", &c, &d), 0);
	config_release(&c);
	/* A comment on a continuation line is cut as on the key line. */
	assert_int_equal(load("[chargeback]\nallocate_by = CostCenter ; a\n"
			      "  Program ; b\n", &c, &d), 0);
	assert_int_equal(c.allocate_by.n, 2);
	assert_string_equal(c.allocate_by.v[0], "CostCenter");
	assert_string_equal(c.allocate_by.v[1], "Program");
	config_release(&c);
	/* Text only: a control character or a bad byte is refused. */
	assert_int_equal(load("[chargeback]\nallocate_by = a,\n  \r\002b\n",
			      &c, &d), -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "control character (0x0d)"));
	assert_non_null(strstr(d.where, ":3"));
	config_release(&c);
	assert_int_equal(load("[chargeback]\nallocate_by = caf\xe9\n", &c, &d),
			 -ERR_CONFIG);
	assert_non_null(strstr(d.msg, "not valid UTF-8"));
	config_release(&c);
	assert_int_equal(load("[chargeback]\r\nallocate_by = caf\xc3\xa9\r\n",
			      &c, &d), 0);
	config_release(&c);
}

/* Every section line is listed, empty and repeated ones too; an indented
 * line after a key continues its value even when it starts with '['. */
static void sections_are_listed_with_their_lines(void **state)
{
	static const char text[] =
		"[a]\nk = 1\n  [not a section]\n[ b  c ]\n\n[a] ; again\n"
		"x = 2\n";
	struct ini_file f = INI_FILE_INIT;
	struct err_detail d;

	(void)state;
	assert_int_equal(ini_read_text("t.ini", text, strlen(text), &f, &d), 0);
	assert_int_equal(f.n_sections, 3);
	assert_string_equal(f.sections[0].name, "a");
	assert_int_equal(f.sections[0].line, 1);
	assert_string_equal(f.sections[1].name, " b  c ");
	assert_int_equal(f.sections[1].line, 4);
	assert_string_equal(f.sections[2].name, "a");
	assert_int_equal(f.sections[2].line, 6);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[0].value, "1\n[not a section]");
	assert_string_equal(f.v[1].section, "a");
	assert_string_equal(f.v[1].key, "x");
	ini_file_release(&f);
}

static void missing_file_is_an_errno(void **state)
{
	struct config c;
	struct err_detail d;

	(void)state;
	config_init(&c);
	assert_int_equal(config_load(&c, "/nonexistent/x.conf", &d), -ENOENT);
	assert_string_equal(d.where, "/nonexistent/x.conf");
	config_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sample_config_loads),
		cmocka_unit_test(lists_are_split_and_trimmed),
		cmocka_unit_test(unknown_key_names_file_and_line),
		cmocka_unit_test(bad_values_are_refused),
		cmocka_unit_test(no_value_lost_to_libinih),
		cmocka_unit_test(sections_are_listed_with_their_lines),
		cmocka_unit_test(missing_file_is_an_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
