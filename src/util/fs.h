#pragma once
#include <stddef.h>

#include "util/err.h"
#include "util/sbuf.h"

/*
 * Read the whole file at path into out (appending). Fails with -errno, or
 * ERR_TOO_LARGE when out has a max and the file passes it.
 */
int fs_read_file(const char *path, struct sbuf *out);

/*
 * 1 when code (a negative errno) says a path someone gave is wrong rather
 * than that the system failed: no such file (ENOENT), a part of it not a
 * directory (ENOTDIR), a directory where a file is wanted (EISDIR), or no
 * permission (EACCES, EPERM). Callers turn it
 * into a usage or configuration error (exit 2), naming the path.
 */
int fs_path_refused(int code);

/*
 * A path that is kept as JSON text (a run's scope) must be UTF-8: when it
 * is not, d says so (-ERR_CONFIG) with the path as its place, each byte
 * past ASCII shown as '?' (said as text, never raw bytes); else 0.
 */
int fs_name_text(const char *path, const char *what, struct err_detail *d);

/* Join dir and name with one '/' into a new string the caller frees. */
char *fs_join(const char *dir, const char *name);

/* mkdir -p; returns 0 or -errno. */
int fs_mkdirs(const char *path, int mode);

/* Does path exist as a directory? */
int fs_is_dir(const char *path);
int fs_exists(const char *path);

/*
 * fsync the file or directory at path (opened read-only). 0 or -errno.
 * With fs_sync_parent(), what makes a rename durable: the new file's
 * data and entries first, then the directory that holds its new name.
 */
int fs_sync_path(const char *path);

/* fsync the directory that holds path ("." when path has no '/'). */
int fs_sync_parent(const char *path);
