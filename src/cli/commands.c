#include "cli/commands.h"

#include <string.h>

#include "config.h"

#define COLLECT_USAGE \
"usage: amlfs-audit collect [--replay DIR] [--record DIR] [--costs-only]\n" \
"                           [--refresh-costs] [--from DATE --to DATE]\n" \
"\n" \
"Snapshot every Azure Managed Lustre file system in scope into the history:\n" \
"the resource, its import, auto-export and auto-import jobs, role\n" \
"assignments, locks, diagnostic settings, the tags of its resource group and\n" \
"subscription, and its Azure Monitor metrics; and the daily actual and\n" \
"amortized cost from the Cost Management Query API ([costs] query). Every\n" \
"response is kept as evidence (SHA-256, stored once per distinct body),\n" \
"what was read and missed goes into the run's ledger, and the run is\n" \
"sealed into the hash chain.\n" \
"Read-only: it sends GETs, and POSTs only to read-only query endpoints\n" \
"(Resource Graph, batch metrics, cost queries). Live runs sign in as\n" \
"[azure] auth says (see 'amlfs-audit whoami') and refuse a token for\n" \
"another tenant.\n" \
"\n" \
"  --replay DIR   answer from recorded responses in DIR (DIR/manifest.json)\n" \
"                 instead of the network\n" \
"  --record DIR   also write every answer to DIR in the replay format\n" \
"                 (URLs with secrets stripped), to replay the run offline\n" \
"  --costs-only   ask only the cost queries\n" \
"  --refresh-costs  ask again for closed months already held\n" \
"  --from DATE, --to DATE  the cost period (YYYY-MM-DD; default: the\n" \
"                 current and previous months, [costs] months)\n" \
"  -h, --help     show this help\n" \
"\n" \
"Exit status: 0 ok, 2 usage or configuration error, 3 the run failed (nothing\n" \
"stored but a 'failed' run naming the response that broke it, or no sign-in),\n" \
"4 partial (the run stored what it could; 'amlfs-audit runs' lists what it\n" \
"missed).\n"

#define RUNS_USAGE \
"usage: amlfs-audit runs [--format table|json|csv] [--limit N]\n" \
"\n" \
"List collection runs, newest first: status, source, counts of file\n" \
"systems, requests, retries and errors, the error summary and notes. The\n" \
"JSON and CSV add the tenant and principal, what each run could not read\n" \
"(errors_detail) and its completeness ledger: per scope and list, requests,\n" \
"pages, items, retries, throttling and errors.\n" \
"\n" \
"  --format FMT   table (default), json or csv\n" \
"  --limit N      show at most N runs (default 50; 0 for all)\n" \
"  -h, --help     show this help\n"

#define INVENTORY_USAGE \
"usage: amlfs-audit inventory [--run ID] [--format table|json|csv]\n" \
"\n" \
"Print the file systems of a run (the newest run that stored a snapshot,\n" \
"ok or partial, by default). The JSON is a stable interface: an array of\n" \
"objects with id, name, subscription_id, resource_group, location, sku,\n" \
"capacity_tib, throughput_mbps, subnet_id, zones, provisioning_state,\n" \
"health, tags (keys in their original case), import_jobs, auto_export_jobs\n" \
"and auto_import_jobs, and more; capacity_used_bytes and\n" \
"capacity_total_bytes are summed over the OSTs at the newest hour when\n" \
"every OST reported, of the metrics stored up to the run shown.\n" \
"\n" \
"  --run ID       the run to show\n" \
"  --format FMT   table (default), json or csv\n" \
"  -h, --help     show this help\n"

#define VERIFY_USAGE \
"usage: amlfs-audit verify [--format text|json] [--recheck[=CHECK]]\n" \
"                          [--expect-head HASH]\n" \
"                          [--pack PACK [--public-key FILE]]\n" \
"\n" \
"Check the whole history offline: every evidence body against its SHA-256,\n" \
"every run's hash and its link to the run before it, that no run is\n" \
"missing, and that each run's typed rows are exactly what its evidence\n" \
"yields (and the findings summary what the findings give). Prints the\n" \
"newest run's hash, which can be kept elsewhere as an anchor.\n" \
"\n" \
"  --format FMT        text (default) or json\n" \
"  --recheck[=CHECK]   also evaluate every stored check (or check run CHECK)\n" \
"                      again from the rule SQL, policy and desired state it\n" \
"                      stored, over the run it judged, with the cost data\n" \
"                      as it stood then, and compare with its findings\n" \
"  --expect-head HASH  fail unless the newest run's hash is HASH (a head\n" \
"                      kept elsewhere: a rewrite of the whole chain shows)\n" \
"  --pack PACK         also verify an evidence pack (see 'evidence verify')\n" \
"                      and that its runs are this history's runs with those\n" \
"                      hashes\n" \
"  --public-key FILE   with --pack: check its signature with this key\n" \
"  -h, --help          show this help\n" \
"\n" \
"Exit status: 0 intact, 1 the first broken run is named (or the head is not\n" \
"the one expected, the pack does not hold, or a check evaluated again\n" \
"differs from its findings), 2 usage (or no check run CHECK), 3 the check\n" \
"could not run.\n"

#define MIGRATE_USAGE \
"usage: amlfs-audit migrate\n" \
"\n" \
"Bring the history to the schema of this version of amlfs-audit and say\n" \
"from which version to which. Commands that only read the history (runs,\n" \
"inventory, costs, verify) never migrate it: they refuse an older one and\n" \
"ask for this. collect, import-costs and import-prices migrate as they go.\n" \
"A history from a newer amlfs-audit is refused and left as it is.\n" \
"\n" \
"  -h, --help     show this help\n" \
"\n" \
"Exit status: 0 ok (also when there was nothing to do), 3 no history at\n" \
"the path, a newer one, or a failed step (rolled back).\n"

#define DEMO_USAGE \
"usage: amlfs-audit demo [--out DIR] [--force]\n" \
"\n" \
"Build a fresh history in DIR from the bundled recorded responses (no Azure\n" \
"account needed), import the sample cost exports and prices, write the\n" \
"chargeback of October 2026, check it\n" \
"against samples/policy.ini and samples/desired.json, verify it and write\n" \
"the outputs there. DIR must be new,\n" \
"empty, or hold only what an earlier demo wrote there, unchanged (listed\n" \
"with their SHA-256 in DIR/.amlfs-audit-demo); then the demo replaces it.\n" \
"\n" \
"  --out DIR      where to write (default: ./amlfs-audit-demo)\n" \
"  --force        write even when DIR holds other files: replace the demo's\n" \
"                 own files (history.db with its -wal and -shm,\n" \
"                 inventory.json, inventory.csv, costs-2026-10.json,\n" \
"                 costs-2026-10.csv, findings.json, findings.md,\n" \
"                 chargeback-2026-10.xlsx/.md/.csv/.json,\n" \
"                 .amlfs-audit-demo) and nothing else\n" \
"  -h, --help     show this help\n" \
"\n" \
"Exit status: 0 ok, 2 DIR holds something the demo did not write (the\n" \
"first such entry is named), 3 the demo failed.\n"

#define WHOAMI_USAGE \
"usage: amlfs-audit whoami [--format text|json]\n" \
"\n" \
"Get a Resource Manager token the way [azure] auth says and show which\n" \
"credential worked and for whom: tenant (tid), principal (oid), app id,\n" \
"audience and expiry. The token itself is never printed. With auth = auto\n" \
"the credentials are tried in the order of Azure's SDKs: client secret,\n" \
"workload identity, managed identity, Azure CLI, access token.\n" \
"\n" \
"  --format FMT   text (default) or json\n" \
"  -h, --help     show this help\n" \
"\n" \
"Exit status: 0 ok, 2 configuration error (also when the token is for\n" \
"another tenant than [azure] tenant_id), 3 no credential worked (each one\n" \
"tried is listed with its reason).\n"

#define IMPORT_COSTS_USAGE \
"usage: amlfs-audit import-costs [--type actual|amortized] FILE...\n" \
"\n" \
"Import Cost Management export files: EA or MCA cost details (actual or\n" \
"amortized) and FOCUS 1.0, plain .csv or .csv.gz. The format is found from\n" \
"the header; files are read as a stream. Only AMLFS rows and the resources\n" \
"in [costs] related_resources are kept, matched case-insensitively. For\n" \
"each resource, day and cost type the file imported last wins; older rows\n" \
"stay in the history as superseded. A file imported before (same SHA-256)\n" \
"is skipped, and rows that repeat the held ones exactly add nothing.\n" \
"Malformed rows are reported with FILE:LINE and counted; a file with\n" \
"malformed rows whose other rows would replace held ones is refused whole.\n" \
"A quoted field that stays open past 256 lines or 1 MiB (or to the end) is\n" \
"one malformed row where it opened; each AMLFS line it took is named and\n" \
"read again. A line over 16 MiB stops the file. Costs are kept exactly, in\n" \
"micro-units (cost_micros), rounded half to even past six decimals.\n" \
"\n" \
"  --type TYPE    the cost type of EA and MCA files (FOCUS holds both):\n" \
"                 actual, or amortized; default: amortized when the file\n" \
"                 name says so, else actual\n" \
"  -h, --help     show this help\n" \
"\n" \
"Exit status: 0 ok, 2 a file of no known format or one refused whole, 3\n" \
"I/O or database error, 4 some rows were malformed (the rest is imported).\n"

#define COSTS_USAGE \
"usage: amlfs-audit costs [--month YYYY-MM | --from DATE --to DATE]\n" \
"                         [--as-of DATE] [--format table|json|csv]\n" \
"\n" \
"Print the cost of each file system (and related resource) per currency:\n" \
"resource_id, name, kind, currency, actual_cost, amortized_cost,\n" \
"estimated_cost (capacity x hours x retail price, when prices are held),\n" \
"days (with cost) and sources. The JSON is a stable interface.\n" \
"\n" \
"  --month M      a calendar month (default: the newest month with cost)\n" \
"  --from, --to   an inclusive range of days, YYYY-MM-DD\n" \
"  --as-of T      the cost data as it stood then: only what was ingested\n" \
"                 by then, before later imports replaced it\n" \
"  --format FMT   table (default), json or csv\n" \
"  -h, --help     show this help\n"

#define IMPORT_PRICES_USAGE \
"usage: amlfs-audit import-prices [--fetch] [FILE...]\n" \
"\n" \
"Import AMLFS unit prices per SKU and region, with their effective date,\n" \
"from saved Azure Retail Prices API answers (FILE) or, with --fetch, from\n" \
"the API itself (no sign-in needed; [costs] prices_url). 'costs' uses them\n" \
"to estimate each file system's cost: capacity x hours x price.\n" \
"\n" \
"  --fetch        ask the Retail Prices API, following NextPageLink\n" \
"  -h, --help     show this help\n" \
"\n" \
"Exit status: 0 ok, 2 a file that is not such an answer, 3 HTTP or\n" \
"database error, 4 some prices had a unit this tool does not know.\n"

#define CHECK_USAGE \
"usage: amlfs-audit check [--run ID] [--policy FILE] [--desired FILE]\n" \
"                         [--format FMT] [--fail-on SEVERITY] [--new-only]\n" \
"\n" \
"Judge a collection run (the newest by default) by the policy rules\n" \
"(DATADIR/queries/rules/*.sql, one rule a file: add one without a rebuild)\n" \
"with the policy file's severities, parameters, overrides and exemptions.\n" \
"Every resource a rule judged gives a result: ok, alarm, exempt (an alarm\n" \
"an unexpired exemption covers), skip (not enough data, said why) or error.\n" \
"Expired exemptions and exemptions that matched nothing are findings too.\n" \
"The check is stored in the history as a link of the evidence chain (the\n" \
"policy and every rule's SQL as evidence, the findings under its hash),\n" \
"and an open finding keeps the time it was first seen across checks.\n" \
"\n" \
"  --run ID         the collection run to judge\n" \
"  --policy FILE    the policy (samples/policy.ini documents every key);\n" \
"                   default: every rule on with its defaults\n" \
"  --desired FILE   judge drift from a desired state too (rule 'drift',\n" \
"                   severity medium: each differing field as path, desired,\n" \
"                   live; 'amlfs-audit desired capture' writes a start)\n" \
"  --format FMT     text (default; what is open, worst first), json (one\n" \
"                   object per line: rule, resource_id, status, severity,\n" \
"                   reason, first_seen, exemption, ...), md, csv, or\n" \
"                   prometheus (node_exporter textfile format)\n" \
"  --fail-on SEV    exit 1 when an alarm is at or above SEV: info, low,\n" \
"                   medium, high, critical (default: the policy's fail_on,\n" \
"                   high)\n" \
"  --new-only       print only findings that were not open at the previous\n" \
"                   check (a daily mail without a daily flood)\n" \
"  -h, --help       show this help\n" \
"\n" \
"Exit status: 0 nothing at or above --fail-on, 1 something is, 2 usage or\n" \
"a bad policy or rule (FILE:LINE says where) or a --policy or --desired\n" \
"file that is missing, a directory or not readable, 3 a rule could not run or\n" \
"the database failed. A rule that could not run gives 3 even when alarms\n" \
"were raised too (the answer is incomplete).\n"

#define CONFIG_USAGE \
"usage: amlfs-audit config show [--format table|json|csv]\n" \
"\n" \
"Print the effective configuration: every key with its value and where it\n" \
"came from (FILE:LINE, or default), and which of the environment variables\n" \
"the credentials read are set. Values of secrets are never printed: the\n" \
"file holds none, and the environment is shown as (set) or (unset).\n" \
"\n" \
"  --format FMT   table (default), json or csv\n" \
"  -h, --help     show this help\n" \
"\n" \
"Exit status: 0 ok, 2 a bad configuration (FILE:LINE says where).\n"

#define DIFF_USAGE \
"usage: amlfs-audit diff [RUN_A [RUN_B]] [--format text|json]\n" \
"\n" \
"Show what changed from RUN_A to RUN_B (default: the two newest collection\n" \
"runs with a snapshot; one run: from it to the newest): file systems added\n" \
"and removed, and for each one in both runs its property changes (every\n" \
"value of the ARM resource's location, sku, zones, identity and properties:\n" \
"capacity, subnet, encryption key, maintenance window, root squash, HSM\n" \
"settings, provisioning state, health...), tag changes (keys as stored)\n" \
"and its import, auto-export and auto-import jobs added, removed or changed\n" \
"in state. A change has a kind (property, tag or job), a path\n" \
"(properties.storageCapacityTiB, tags.env, importJobs/NAME/state) and the\n" \
"values before and after (null: absent).\n" \
"\n" \
"A file system or job in one run only is added or removed only when the\n" \
"other run read the list that would hold it without an error (its\n" \
"subscription's list of file systems, the file system's job list; by the\n" \
"run's ledger and errors). Otherwise it is unread: \"not read in run N\n" \
"(its list failed)\", as a partial run leaves it; nothing is known of it\n" \
"there. The JSON is a stable interface: {from_run, to_run, added, removed,\n" \
"unread (each with not_read_in: the run), changed: [{id, name, changes:\n" \
"[{kind, path, before, after}]}]}; a job not read is a change of kind\n" \
"unread.\n" \
"\n" \
"  --format FMT   text (default) or json\n" \
"  -h, --help     show this help\n" \
"\n" \
"Exit status: 0 ok, with differences or without; 2 usage, or a run that is\n" \
"not a collection run; 3 a run without a snapshot (failed), fewer than two\n" \
"runs, or a database error.\n"

#define DESIRED_USAGE \
"usage: amlfs-audit desired capture [--run ID] [--fs NAME]...\n" \
"\n" \
"Write the desired state of the file systems of a run (the newest with a\n" \
"snapshot by default) to stdout, as a starting point to edit and keep:\n" \
"{description, filesystems: [{name, location, sku, zones, identity,\n" \
"properties, tags}]} in the shape of the ARM resource, keys sorted below\n" \
"each entry (id too when two file systems share the name). Left out as\n" \
"read-only or changing by themselves: provisioningState, health,\n" \
"clientInfo (mgsAddress, mount command, Lustre version),\n" \
"throughputProvisionedMBps, hsm.archiveStatus, rootSquashSettings.status,\n" \
"the principal and client ids of identities, systemData (who and when),\n" \
"etag, id and type. README \"Desired state\" has the format.\n" \
"\n" \
"  --run ID       the run to capture\n" \
"  --fs NAME      only this file system (case aside); repeat for more\n" \
"  -h, --help     show this help\n" \
"\n" \
"Exit status: 0 ok, 2 usage, or a run or file system that does not exist,\n" \
"3 a run without a snapshot or a database error.\n"

#define REPORT_USAGE \
"usage: amlfs-audit report NAME [--month YYYY-MM | --from DATE --to DATE |\n" \
"                               --run ID] [--as-of T] [--out DIR]\n" \
"                               [--format xlsx,md,csv,json] [--usage FILE]\n" \
"       amlfs-audit report --list\n" \
"\n" \
"Write report NAME from the history alone: its definition\n" \
"(DATADIR/reports/NAME.json) names SQL datasets under queries/, the sheets\n" \
"of a workbook, a Markdown template under templates/, the dataset written\n" \
"as CSV and those in the JSON. A report or a column is added by editing\n" \
"those files, without a rebuild (README \"Reports\" has the format). Files\n" \
"are DIR/NAME-PERIOD.xlsx, .md, .csv and .json (PERIOD: 2026-10,\n" \
"2026-10-01_2026-10-15 or run42), each written whole or not at all. The\n" \
"same history and --as-of give the same Markdown, CSV and JSON bytes and a\n" \
"workbook with the same cells. Besides the period, every query may use\n" \
":allocate_by and :variance_pct ([chargeback] in the configuration) and\n" \
":usage.\n" \
"\n" \
"report compliance (for auditors) takes --run ID (that collection run, or\n" \
"the run a check judged, and its newest check) or --month M (every\n" \
"collection run that started in the month, each with its newest check);\n" \
"without either, the newest run.\n" \
"\n" \
"  --list         list the reports: name, title, description\n" \
"  --month M      a calendar month, YYYY-MM (default: the newest month\n" \
"                 with cost)\n" \
"  --from, --to   an inclusive range of days, YYYY-MM-DD\n" \
"  --run ID       for a report about a run (default: the newest run with a\n" \
"                 snapshot)\n" \
"  --as-of T      the data as it stood at T (a date: the end of that day)\n" \
"  --out DIR      where to write (default: the current directory; made if\n" \
"                 missing)\n" \
"  --format LIST  some of xlsx, md, csv, json (default: every output the\n" \
"                 definition has)\n" \
"  --usage FILE   a JSON array of {resource_id, cost_center, bytes}: shared\n" \
"                 file systems split by bytes (the queries' :usage); or text,\n" \
"                 a line FILESYSTEM_ID PROJECT BYTES COST_CENTER (blank-\n" \
"                 separated; whole bytes; '#' comments), e.g. summed from\n" \
"                 lfs quota -p or lfs find\n" \
"  -h, --help     show this help\n" \
"\n" \
"Exit status: 0 ok, 2 usage, or a definition, template or query that is\n" \
"wrong (the file is named), 3 a database or I/O error.\n"

#define EVIDENCE_USAGE \
"usage: amlfs-audit evidence export --run ID [--check ID] --out DIR|FILE.tar.gz\n" \
"       amlfs-audit evidence verify PACK [--public-key FILE] [--format text|json]\n" \
"       amlfs-audit evidence keygen --out PREFIX\n" \
"\n" \
"Evidence packs: a run as files an auditor checks with no database, with\n" \
"this tool or with sha256sum and openssl alone (the pack's README.md says\n" \
"how).\n" \
"\n" \
"export   write the pack of run ID: every raw response as a file,\n" \
"         manifest.json (each file's SHA-256; each response's request,\n" \
"         status, x-ms-request-id and time; everything the run hash covers,\n" \
"         with the run hash and the previous run's), SHA256SUMS, the\n" \
"         compliance report's Markdown and README.md; a directory, or a\n" \
"         .tar.gz when the name ends so. With [evidence] signing_key the\n" \
"         manifest is signed (manifest.json.sig, Ed25519).\n" \
"  --run ID       the run (any link of the chain)\n" \
"  --check ID     also a check of that run: its findings and policy\n" \
"  --out PATH     must not exist (a directory may be empty)\n" \
"verify   check a pack: every file against the manifest and SHA256SUMS,\n" \
"         nothing added or missing, each run hash recomputed, and with\n" \
"         --public-key the signature (bring the signer's key from a channel\n" \
"         you trust, not from the pack). Without --public-key a signature\n" \
"         is said to be not checked.\n" \
"  --format FMT   text (default) or json\n" \
"keygen   make an Ed25519 key pair: PREFIX (private, 0600, never\n" \
"         overwritten) and PREFIX.pub\n" \
"  -h, --help     show this help\n" \
"\n" \
"Exit status: 0 ok; 1 the pack does not hold (each problem names the\n" \
"file), or the run no longer gives its hash; 2 usage, an existing --out or\n" \
"key, a bad key or run id; 3 I/O or database error.\n"

#define HELP_USAGE \
"usage: amlfs-audit help [COMMAND]\n" \
"\n" \
"Show the list of commands, or the help of one.\n"

#define VERSION_USAGE \
"usage: amlfs-audit version\n" \
"\n" \
"Print the version.\n"

const struct command commands[] = {
	{ "collect", cmd_collect, COLLECT_USAGE,
	  "snapshot file systems and jobs into the history",
	  CMD_NEED_CONFIG | CMD_NEED_DB },
	{ "runs", cmd_runs, RUNS_USAGE, "list collection runs",
	  CMD_NEED_CONFIG | CMD_NEED_DB | CMD_DB_READONLY },
	{ "inventory", cmd_inventory, INVENTORY_USAGE,
	  "print the file systems of a run",
	  CMD_NEED_CONFIG | CMD_NEED_DB | CMD_DB_READONLY },
	{ "verify", cmd_verify, VERIFY_USAGE,
	  "check evidence hashes, the run chain and the typed rows",
	  CMD_NEED_CONFIG | CMD_NEED_DB | CMD_DB_READONLY },
	{ "migrate", cmd_migrate, MIGRATE_USAGE,
	  "bring the history to this version's schema",
	  CMD_NEED_CONFIG | CMD_NEED_DB | CMD_DB_EXISTING | CMD_DB_NO_MIGRATE },
	{ "import-costs", cmd_import_costs, IMPORT_COSTS_USAGE,
	  "import Cost Management export files (EA, MCA, FOCUS)",
	  CMD_NEED_CONFIG | CMD_NEED_DB },
	{ "import-prices", cmd_import_prices, IMPORT_PRICES_USAGE,
	  "import AMLFS retail prices (saved answer or the API)",
	  CMD_NEED_CONFIG | CMD_NEED_DB },
	{ "costs", cmd_costs, COSTS_USAGE,
	  "print the cost of each file system over a period",
	  CMD_NEED_CONFIG | CMD_NEED_DB | CMD_DB_READONLY },
	{ "diff", cmd_diff, DIFF_USAGE,
	  "show what changed between two runs",
	  CMD_NEED_CONFIG | CMD_NEED_DB | CMD_DB_READONLY },
	{ "desired", cmd_desired, DESIRED_USAGE,
	  "write a run's state as a desired state to edit (capture)",
	  CMD_NEED_CONFIG | CMD_NEED_DB | CMD_DB_READONLY },
	{ "report", cmd_report, REPORT_USAGE,
	  "write a report (workbook, Markdown, CSV, JSON) from its definition",
	  CMD_NEED_CONFIG | CMD_NEED_DB | CMD_DB_READONLY },
	{ "demo", cmd_demo, DEMO_USAGE,
	  "run everything on the bundled samples", 0 },
	{ "render", cmd_render, render_usage,
	  "render a Mustache template with JSON data", 0 },
	{ "whoami", cmd_whoami, WHOAMI_USAGE,
	  "show which Azure identity the configured auth gets",
	  CMD_NEED_CONFIG },
	{ "check", cmd_check, CHECK_USAGE,
	  "judge a run by the policy rules and store the findings",
	  CMD_NEED_CONFIG | CMD_NEED_DB | CMD_DB_EXISTING },
	{ "config", cmd_config, CONFIG_USAGE,
	  "show the effective configuration and where each value came from",
	  CMD_NEED_CONFIG },
	{ "evidence", cmd_evidence, EVIDENCE_USAGE,
	  "export, verify and sign evidence packs for auditors",
	  CMD_NEED_CONFIG },
	{ "help", cmd_help, HELP_USAGE, "show help for a command", 0 },
	{ "version", cmd_version, VERSION_USAGE, "print the version", 0 },
	{ NULL, NULL, NULL, NULL, 0 }
};

const struct command *command_find(const char *name)
{
	const struct command *c;

	for (c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

void cmd_print_usage(FILE *f, const struct command *c)
{
	fputs(c->usage, f);
}

int cmd_usage_error(struct app *app, const struct command *c)
{
	cmd_print_usage(app->err, c);
	return EXIT_USAGE;
}

void print_main_usage(FILE *f)
{
	const struct command *c;

	fputs("usage: amlfs-audit [--db PATH] [--config FILE] [--datadir DIR]\n"
	      "                   [-v | -q] COMMAND [ARGS]\n"
	      "       amlfs-audit --version | --help\n"
	      "\n"
	      "Keep an auditable history of Azure Managed Lustre file systems.\n"
	      "\n"
	      "Commands:\n", f);
	for (c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fputs("\n"
	      "Global options:\n"
	      "  --db PATH       the history (else $AMLFS_AUDIT_DB, [database] path,\n"
	      "                  $XDG_STATE_HOME/amlfs-audit/history.db or\n"
	      "                  ~/.local/state/amlfs-audit/history.db)\n"
	      "  --config FILE   configuration (else $AMLFS_AUDIT_CONFIG, else\n"
	      "                  " AMLFS_SYSCONFDIR "/amlfs-audit.conf if present)\n"
	      "  --datadir DIR   queries/, reports/, templates/ (else\n"
	      "                  $AMLFS_AUDIT_DATADIR, [paths] datadir, or the\n"
	      "                  installed " AMLFS_DATADIR ")\n"
	      "  -v, --verbose   say more; -q, --quiet: say only errors\n"
	      "  --version       print the version\n"
	      "\n"
	      "Exit status: 0 ok, 1 findings or verification mismatch, 2 usage or\n"
	      "configuration error, 3 runtime failure, 4 partial collection.\n"
	      "\n"
	      "'amlfs-audit help COMMAND' or 'amlfs-audit COMMAND --help' shows a\n"
	      "command's options.\n", f);
}

int cmd_help(int argc, char **argv, struct app *app)
{
	const struct command *c;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(HELP_USAGE, app->out);
		return EXIT_OK;
	}
	if (argc < 2) {
		print_main_usage(app->out);
		return EXIT_OK;
	}
	if (argc > 2)
		return cmd_usage_error(app, command_find("help"));
	c = command_find(argv[1]);
	if (!c) {
		app_error(app, "'%s' is not a command; see 'amlfs-audit help'",
			  argv[1]);
		return EXIT_USAGE;
	}
	cmd_print_usage(app->out, c);
	return EXIT_OK;
}

int cmd_version(int argc, char **argv, struct app *app)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(VERSION_USAGE, app->out);
		return EXIT_OK;
	}
	if (argc > 1)
		return cmd_usage_error(app, command_find("version"));
	fprintf(app->out, "amlfs-audit %s\n", AMLFS_VERSION);
	return EXIT_OK;
}
