#include "util/fs.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/num.h"
#include "util/xalloc.h"

int fs_read_file(const char *path, struct sbuf *out)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		r = sbuf_add(out, buf, (size_t)n);
		if (r < 0)
			break;
	}
	close(fd);
	return r;
}

int fs_path_refused(int code)
{
	return code == -ENOENT || code == -ENOTDIR || code == -EISDIR ||
	       code == -EACCES || code == -EPERM;
}

int fs_name_text(const char *path, const char *what, struct err_detail *d)
{
	char *shown, *p;

	if (utf8_valid(path, strlen(path)))
		return 0;
	shown = xstrdup(path);
	for (p = shown; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	err_set(d, "%s's name is not UTF-8 text: rename it (the name is "
		"kept in the evidence)", what);
	err_where(d, "%s (non-ASCII bytes shown as ?)", shown);
	free(shown);
	return -ERR_CONFIG;
}

char *fs_join(const char *dir, const char *name)
{
	struct sbuf sb = SBUF_INIT;
	size_t n = strlen(dir);

	sbuf_adds(&sb, dir);
	if (n && dir[n - 1] != '/')
		sbuf_addch(&sb, '/');
	sbuf_adds(&sb, name);
	return sbuf_detach(&sb, NULL);
}

int fs_mkdirs(const char *path, int mode)
{
	char *p, *s;
	int r = 0;

	if (!*path)
		return -ENOENT;
	p = xstrdup(path);
	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
				r = -errno;
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	if (!r && !fs_is_dir(path))
		r = -ENOTDIR;
	return r;
}

int fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fs_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int fs_sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

int fs_sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int r;

	if (!slash)
		return fs_sync_path(".");
	dir = xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
	r = fs_sync_path(dir);
	free(dir);
	return r;
}
