/*
 * The replay driver: without -Dfuzz=true each harness is linked with this
 * main(), which feeds LLVMFuzzerTestOneInput() every regular file of the
 * directories given (in name order, so a failure is reproducible) and
 * says how many it ran. A broken property aborts (FUZZ_ASSERT), a
 * sanitizer report fails the test through the sanitizer's exit code.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int replay_file(const char *path)
{
	struct stat sb;
	FILE *f;
	char *buf;
	size_t n;

	if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
		return 0;
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: cannot open '%s': %s\n", path,
			strerror(errno));
		return -1;
	}
	/* An exact-size copy, so ASan sees a read past the input. */
	buf = malloc(sb.st_size ? (size_t)sb.st_size : 1);
	n = fread(buf, 1, (size_t)sb.st_size, f);
	fclose(f);
	if (n != (size_t)sb.st_size) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		free(buf);
		return -1;
	}
	fprintf(stderr, "replay: %s\n", path);
	LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
	free(buf);
	return 1;
}

int main(int argc, char **argv)
{
	int i, k, n, total = 0;

	for (i = 1; i < argc; i++) {
		struct dirent **names;

		n = scandir(argv[i], &names, NULL, by_name);
		if (n < 0) {
			/* A harness may have no regression inputs yet. */
			if (errno == ENOENT)
				continue;
			fprintf(stderr, "replay: cannot read '%s': %s\n",
				argv[i], strerror(errno));
			return 2;
		}
		for (k = 0; k < n; k++) {
			char path[4096];
			int r = 0;

			if (names[k]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i],
					 names[k]->d_name);
				r = replay_file(path);
			}
			free(names[k]);
			if (r < 0)
				return 2;
			total += r;
		}
		free(names);
	}
	printf("replayed %d inputs\n", total);
	return total ? 0 : 2;
}
