#include "cli/commands.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/output.h"

/* What the credentials read from the environment: shown set or unset. */
static const char *const secret_env[] = {
	"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
	"AZURE_FEDERATED_TOKEN_FILE", "AZURE_ACCESS_TOKEN",
	"AZURE_AUTHORITY_HOST", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", NULL
};

static void add_row(json_t *rows, const char *section, const char *key,
		    const char *value, const char *origin)
{
	json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s}", "section",
					      section, "key", key, "value",
					      value, "origin", origin));
}

/*
 * Every key with its effective value and where it came from (the file
 * and line, or the default), then the environment the credentials read,
 * as (set) or (unset): the values of secrets are never printed.
 */
static int show(struct app *app, int fmt)
{
	json_t *rows = json_array(), *cols;
	const char *section, *key;
	const char *const *e;
	char *value, origin[1100];
	size_t i;
	int line, r;

	for (i = 0; config_describe(&app->cfg, i, &section, &key, &value,
				    &line); i++) {
		if (line)
			snprintf(origin, sizeof(origin), "%s:%d",
				 app->cfg.path, line);
		else
			snprintf(origin, sizeof(origin), "default");
		add_row(rows, section, key, value, origin);
		free(value);
	}
	for (e = secret_env; *e; e++) {
		const char *v = getenv(*e);

		add_row(rows, "environment", *e, v && *v ? "(set)" : "(unset)",
			"environment");
	}
	cols = json_pack("[s,s,s,s]", "section", "key", "value", "origin");
	r = out_print(app->out, fmt, cols, rows);
	json_decref(cols);
	json_decref(rows);
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}

int cmd_config(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *self = command_find("config");
	int c, fmt = OUT_TABLE;

	if (argc < 2 || strcmp(argv[1], "show"))
		return cmd_usage_error(app, self);
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		if (c != 'f')
			return cmd_usage_error(app, self);
		fmt = parse_format(app, optarg);
		if (fmt < 0)
			return EXIT_USAGE;
	}
	if (optind != argc)
		return cmd_usage_error(app, self);
	return show(app, fmt);
}
