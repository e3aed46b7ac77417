#include "evidence/sign.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util/fs.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

/* The largest key file read. */
#define KEY_MAX_FILE (64 << 10)

struct sign_key {
	EVP_PKEY *pkey;
};

/* Read a key file into out, checking what the file is; 0 or negative. */
static int read_key_file(const char *path, int private, struct sbuf *out,
			 struct err_detail *d)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[4096];
	struct stat st;
	ssize_t n;
	int r = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		err_set(d, "cannot read key '%s': %s", path, err_str(r));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(d, "key '%s' is not a regular file", path);
		r = -ERR_CONFIG;
	} else if (private && (st.st_mode & 077)) {
		err_set(d, "signing key '%s' is open to group or others (mode "
			"%04o); it must be readable by its owner only (chmod "
			"600)", path, (unsigned)(st.st_mode & 07777));
		r = -ERR_CONFIG;
	}
	while (r == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			err_set(d, "cannot read key '%s': %s", path, err_str(r));
		} else if (sbuf_add(out, buf, (size_t)n) < 0) {
			err_set(d, "key '%s' is larger than %d bytes", path,
				KEY_MAX_FILE);
			r = -ERR_CONFIG;
		}
	}
out:
	OPENSSL_cleanse(buf, sizeof(buf));	/* private key bytes */
	if (fd >= 0)
		close(fd);
	return r;
}

static int load_key(const char *path, int private, struct sign_key **ret,
		    struct err_detail *d)
{
	struct sbuf text;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	int r;

	sbuf_init(&text, KEY_MAX_FILE);
	if (private)
		sbuf_set_secret(&text);
	r = read_key_file(path, private, &text, d);
	if (r < 0)
		goto out;
	bio = BIO_new_mem_buf(text.buf, (int)text.len);
	if (bio)
		pkey = private ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) :
				 PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!pkey) {
		err_set(d, "'%s' is not a PEM %s key", path,
			private ? "private" : "public");
		r = -ERR_CONFIG;
	} else if (EVP_PKEY_id(pkey) != EVP_PKEY_ED25519) {
		err_set(d, "key '%s' is not an Ed25519 key", path);
		r = -ERR_CONFIG;
	} else {
		*ret = xmalloc(sizeof(**ret));
		(*ret)->pkey = pkey;
		pkey = NULL;
	}
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	sbuf_release(&text);
	return r;
}

int sign_load_private(const char *path, struct sign_key **ret,
		      struct err_detail *d)
{
	return load_key(path, 1, ret, d);
}

int sign_load_public(const char *path, struct sign_key **ret,
		     struct err_detail *d)
{
	return load_key(path, 0, ret, d);
}

void sign_key_free(struct sign_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

int sign_key_id(const struct sign_key *k, char out[SHA256_HEX_LEN + 1])
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k->pkey, &der), r;

	if (n <= 0)
		return -ERR_CRYPTO;
	r = sha256_hex(der, (size_t)n, out);
	OPENSSL_free(der);
	return r;
}

int sign_data(const struct sign_key *k, const void *data, size_t len,
	      unsigned char sig[SIGN_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t n = SIGN_LEN;
	int ok;

	ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, k->pkey) == 1 &&
	     EVP_DigestSign(md, sig, &n, data, len) == 1 && n == SIGN_LEN;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -ERR_CRYPTO;
}

int sign_check(const struct sign_key *k, const void *data, size_t len,
	       const void *sig, size_t siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	ok = md && siglen == SIGN_LEN &&
	     EVP_DigestVerifyInit(md, NULL, NULL, NULL, k->pkey) == 1 &&
	     EVP_DigestVerify(md, sig, siglen, data, len) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -ERR_VERIFY;
}

/* Write text to a new file at path (O_EXCL) with mode; 0 or -errno. */
static int write_new(const char *path, const char *text, size_t len,
		     mode_t mode, struct err_detail *d)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		      O_NOFOLLOW, mode);
	size_t done = 0;
	ssize_t n;
	int r = 0;

	if (fd < 0) {
		r = -errno;
		err_set(d, "cannot create '%s': %s", path, err_str(r));
		return r;
	}
	if (fchmod(fd, mode) < 0)
		r = -errno;
	while (r == 0 && done < len) {
		n = write(fd, text + done, len - done);
		if (n < 0 && errno != EINTR)
			r = -errno;
		else if (n > 0)
			done += (size_t)n;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		err_set(d, "cannot write '%s': %s", path, err_str(r));
		unlink(path);
	}
	return r;
}

/* PEM of pkey's private (private) or public half into out. */
static int pem_of(EVP_PKEY *pkey, int private, struct sbuf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int ok;

	ok = bio && (private ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL,
							0, NULL, NULL) :
			       PEM_write_bio_PUBKEY(bio, pkey)) == 1;
	if (ok) {
		n = BIO_get_mem_data(bio, &p);
		sbuf_add(out, p, (size_t)n);
		if (private)
			OPENSSL_cleanse(p, (size_t)n);
	}
	BIO_free(bio);
	return ok ? 0 : -ERR_CRYPTO;
}

int sign_keygen(const char *prefix, struct err_detail *d)
{
	struct sbuf pub_path = SBUF_INIT, priv = SBUF_INIT, pub = SBUF_INIT;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *pkey = NULL;
	int r;

	sbuf_set_secret(&priv);
	sbuf_addf(&pub_path, "%s.pub", prefix);
	if (fs_exists(prefix) || fs_exists(pub_path.buf)) {
		err_set(d, "'%s' exists: a key is never overwritten",
			fs_exists(prefix) ? prefix : pub_path.buf);
		r = -EEXIST;
		goto out;
	}
	if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_keygen(ctx, &pkey) != 1 || pem_of(pkey, 1, &priv) < 0 ||
	    pem_of(pkey, 0, &pub) < 0) {
		err_set(d, "cannot make an Ed25519 key");
		r = -ERR_CRYPTO;
		goto out;
	}
	r = write_new(prefix, priv.buf, priv.len, 0600, d);
	if (r == 0) {
		r = write_new(pub_path.buf, pub.buf, pub.len, 0644, d);
		if (r < 0)
			unlink(prefix);
	}
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	sbuf_release(&priv);
	sbuf_release(&pub);
	sbuf_release(&pub_path);
	return r;
}
