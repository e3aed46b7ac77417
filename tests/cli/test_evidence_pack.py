"""Evidence packs: export, verify with the tool and by hand (sha256sum,
openssl, the README's own Python), signatures, tampering of every kind,
hostile packs, head anchoring (verify --expect-head, [evidence] head_log)."""
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import tarfile
import textwrap

from harness import CliTest, main, OK, FINDINGS, USAGE, SAMPLES

POLICY = os.path.join(SAMPLES, "policy.ini")


def sha(data):
    return hashlib.sha256(data).hexdigest()


class PackBase(CliTest):
    """A history of one collection and its check (made once), and
    helpers."""
    history = None

    def setUp(self):
        super().setUp()
        if PackBase.history is None:
            self.expect(OK, "collect", "--replay", self.copy_replay())
            self.expect(FINDINGS, "check", "--policy", POLICY)
            with open(self.db, "rb") as f:
                PackBase.history = f.read()
        else:
            with open(self.db, "wb") as f:
                f.write(PackBase.history)
        self.head = self.scalar("SELECT run_hash FROM runs WHERE id = 2")

    def conf(self, **keys):
        path = os.path.join(self.tmp, "evidence.conf")
        with open(path, "w") as f:
            f.write("[evidence]\n")
            for k, v in keys.items():
                f.write("%s = %s\n" % (k, v))
        return path

    def export(self, out="pack", config=None):
        path = os.path.join(self.tmp, out)
        kw = {"config": config} if config else {}
        self.expect(OK, "evidence", "export", "--run", "1", "--check", "2",
                    "--out", path, **kw)
        return path

    def verify(self, pack, code, *args):
        return self.expect(code, "evidence", "verify", pack, *args, db=False)

    def broken(self, pack, *words):
        r = self.verify(pack, FINDINGS)
        for w in words:
            self.assertIn(w, r.out)
        return r

    def keygen(self, name="signer"):
        prefix = os.path.join(self.tmp, name)
        self.expect(OK, "evidence", "keygen", "--out", prefix, db=False)
        return prefix

    def manifest(self, pack):
        with open(os.path.join(pack, "manifest.json"), "rb") as f:
            return f.read()

    def rewrite_manifest(self, pack, edit):
        """Edit the manifest and make SHA256SUMS agree (a forger's pack)."""
        m = json.loads(self.manifest(pack))
        edit(m)
        data = (json.dumps(m, indent=1) + "\n").encode()
        with open(os.path.join(pack, "manifest.json"), "wb") as f:
            f.write(data)
        lines = ["%s  manifest.json" % sha(data)]
        lines += ["%s  %s" % (f["sha256"], f["path"]) for f in m["files"]]
        with open(os.path.join(pack, "SHA256SUMS"), "w") as f:
            f.write("\n".join(lines) + "\n")



class Pack(PackBase):
    # -- a good pack ---------------------------------------------------

    def test_good_pack_verifies_with_the_tool_and_by_hand(self):
        pack = self.export()
        r = self.verify(pack, OK)
        self.assertIn("intact", r.out)
        self.assertIn("run 2: %s" % self.head, r.out)
        self.assertIn("signature: none", r.out)
        sums = subprocess.run(["sha256sum", "--strict", "-c", "SHA256SUMS"],
                              cwd=pack, capture_output=True, text=True)
        self.assertEqual(sums.returncode, 0, sums.stderr)
        m = json.loads(self.manifest(pack))
        self.assertEqual(len(sums.stdout.splitlines()), len(m["files"]) + 1)
        # Every response, with its request, status, request id and time.
        ev = m["runs"][0]["evidence"]
        self.assertEqual(len(ev), self.scalar(
            "SELECT count(*) FROM evidence_log WHERE run_id = 1"))
        row = self.sql("SELECT url, method, status, request_id, fetched_at, "
                       "sha256 FROM evidence_log WHERE run_id = 1 AND seq = 1")[0]
        self.assertEqual((ev[0]["url"], ev[0]["method"], ev[0]["status"],
                          ev[0]["request_id"], ev[0]["fetched_at"],
                          ev[0]["sha256"]), row)
        with open(os.path.join(pack, ev[0]["file"]), "rb") as f:
            self.assertEqual(sha(f.read()), row[5])
        self.assertEqual(m["runs"][0]["run"]["prev_hash"], None)
        self.assertEqual(m["runs"][1]["run"]["prev_hash"],
                         m["runs"][0]["run_hash"])
        self.assertEqual(len(m["runs"][1]["findings"]), self.scalar(
            "SELECT count(*) FROM findings WHERE check_run = 2"))
        # The compliance Markdown is the report engine's, as 'report' writes it.
        rep = os.path.join(self.tmp, "report")
        r = self.expect(OK, "report", "compliance", "--run", "1", "--format",
                        "md", "--out", rep)
        with open(r.out.strip(), "rb") as a, \
                open(os.path.join(pack, "compliance.md"), "rb") as b:
            self.assertEqual(b.read(), a.read())
        # The README's recipe for the run hash, run as written.
        with open(os.path.join(pack, "README.md")) as f:
            code = re.search(r"```python\n(.*?)```", f.read(), re.S).group(1)
        out = subprocess.run(["python3", "-c", textwrap.dedent(code)],
                             cwd=pack, capture_output=True, text=True)
        self.assertEqual(out.stdout, "1 ok\n2 ok\n", out.stderr)

    def test_export_is_reproducible_and_refuses_an_existing_out(self):
        a = self.export("a")
        b = self.export("b")
        self.assertEqual(self.manifest(a), self.manifest(b))
        t1 = self.export("a.tar.gz")
        t2 = self.export("b.tar.gz")
        with open(t1, "rb") as f1, open(t2, "rb") as f2:
            self.assertEqual(f1.read(), f2.read())
        r = self.expect(USAGE, "evidence", "export", "--run", "1", "--out", a)
        self.assertIn("exists", r.err)
        self.expect(USAGE, "evidence", "export", "--run", "1", "--out", t1)
        self.expect(USAGE, "evidence", "export", "--run", "99", "--out",
                    os.path.join(self.tmp, "c"))
        r = self.expect(USAGE, "evidence", "export", "--run", "2", "--check",
                        "1", "--out", os.path.join(self.tmp, "c"))
        self.assertIn("not a check of run 2", r.err)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "c")))

    # -- tampering ---------------------------------------------------------

    def test_one_byte_changed_in_a_response(self):
        pack = self.export()
        name = json.loads(self.manifest(pack))["runs"][0]["evidence"][4]["file"]
        path = os.path.join(pack, name)
        with open(path, "r+b") as f:
            b = f.read(1)
            f.seek(0)
            f.write(bytes([b[0] ^ 1]))
        self.broken(pack, name + ": changed")

    def test_one_byte_changed_in_the_manifest(self):
        pack = self.export()
        data = bytearray(self.manifest(pack))
        i = data.index(b'"status": 200')
        data[i + 11] = ord("1")
        with open(os.path.join(pack, "manifest.json"), "wb") as f:
            f.write(data)
        self.broken(pack, "SHA256SUMS: line 1")

    def test_one_byte_changed_in_sha256sums(self):
        pack = self.export()
        path = os.path.join(pack, "SHA256SUMS")
        with open(path, "rb") as f:
            data = bytearray(f.read())
        data[200] = ord("0") if data[200] != ord("0") else ord("1")
        with open(path, "wb") as f:
            f.write(data)
        self.broken(pack, "SHA256SUMS: line 3")

    def test_a_file_added_and_a_file_removed(self):
        pack = self.export()
        with open(os.path.join(pack, "responses", "extra.json"), "w") as f:
            f.write("{}")
        self.broken(pack, "responses/extra.json: added")
        os.unlink(os.path.join(pack, "responses", "extra.json"))
        self.verify(pack, OK)
        os.unlink(os.path.join(pack, "compliance.md"))
        self.broken(pack, "compliance.md: missing")

    def test_a_consistent_forgery_fails_the_run_hash(self):
        # The manifest and SHA256SUMS agree, but a covered value changed.
        pack = self.export()

        def edit(m):
            m["runs"][0]["evidence"][2]["status"] = 404
        self.rewrite_manifest(pack, edit)
        self.broken(pack, "run 1: the values it lists hash to")

    # -- runs that do not belong together ----------------------------------

    def pack_of_3_and_4(self):
        """A second collection (run 3) and its check (4), exported."""
        self.expect(OK, "collect", "--replay", self.copy_replay())
        self.expect(FINDINGS, "check", "--policy", POLICY)
        path = os.path.join(self.tmp, "pack34")
        self.expect(OK, "evidence", "export", "--run", "3", "--check", "4",
                    "--out", path)
        return path

    def forge(self, base, runs):
        """base with its runs replaced by runs ([(pack, index)]), each
        with its responses, the manifest and SHA256SUMS agreeing: every
        run hash still holds (an unsigned forgery)."""
        def edit(m):
            files = [f for f in m["files"]
                     if not f["path"].startswith("responses/")]
            shutil.rmtree(os.path.join(base, "responses"))
            m["runs"] = []
            for src, i in runs:
                sm = json.loads(self.manifest(src))
                run = sm["runs"][i]
                m["runs"].append(run)
                names = {e["file"] for e in run["evidence"]}
                for f in sm["files"]:
                    if f["path"] in names:
                        files.append(f)
                        dst = os.path.join(base, f["path"])
                        os.makedirs(os.path.dirname(dst), exist_ok=True)
                        shutil.copy(os.path.join(src, f["path"]), dst)
            m["files"] = files
            m["run"] = m["runs"][0]["id"]
            m["check"] = m["runs"][1]["id"] if len(m["runs"]) > 1 else None
        self.rewrite_manifest(base, edit)
        return base

    def test_a_check_of_another_run_is_refused(self):
        # Run 1 with check 4, which judged run 3: each run hash holds, and
        # both are the history's runs, but the findings are about run 3.
        other = self.pack_of_3_and_4()
        good = self.export("good")
        pack = self.forge(self.export(), [(good, 0), (other, 1)])
        r = self.broken(pack, "check 4 judged run 3, not run 1",
                        "run 4 holds %d findings about run 3, not about "
                        "run 1" % self.scalar("SELECT count(*) FROM findings "
                                              "WHERE check_run = 4"))
        self.assertNotIn("hash to", r.out)
        r = self.expect(FINDINGS, "verify", "--pack", pack)
        self.assertIn("check 4 judged run 3, not run 1", r.out)
        # The forgery is sound otherwise: the pack it was made from again.
        self.verify(self.forge(self.export("again"), [(good, 0), (good, 1)]),
                    OK)

    def test_runs_swapped_are_refused_and_one_run_is_any_link(self):
        good = self.export("good")
        pack = self.forge(self.export(), [(good, 1), (good, 0)])
        r = self.broken(pack, "run 2 is not a collection run (its source is "
                        "'check'", "run 1 is not a check run (its source is "
                        "'replay'); a pack's second run is a check of its "
                        "first, run 2")
        self.assertNotIn("hash to", r.out)
        self.expect(FINDINGS, "verify", "--pack", pack)
        # A pack of one run is of any link of the chain, as 8c297fc wrote
        # them (review finding: those verified BROKEN): a check alone names
        # the run it judged, which is not in the pack.
        pack = self.forge(self.export("alone"), [(good, 1)])
        self.verify(pack, OK)
        self.expect(OK, "verify", "--pack", pack)
        self.expect(OK, "evidence", "export", "--run", "2", "--out",
                    os.path.join(self.tmp, "c"))
        self.verify(os.path.join(self.tmp, "c"), OK)

    # -- signatures ----------------------------------------------------------

    def test_signed_pack_checks_with_openssl_and_the_tool(self):
        key = self.keygen()
        conf = self.conf(signing_key=key)
        pack = self.export("signed", config=conf)
        r = self.verify(pack, OK)
        self.assertIn("signature: NOT CHECKED", r.out)
        r = self.verify(pack, OK, "--public-key", key + ".pub")
        self.assertIn("signature: verified", r.out)
        ossl = subprocess.run(
            ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", key + ".pub",
             "-rawin", "-in", "manifest.json", "-sigfile",
             "manifest.json.sig"], cwd=pack, capture_output=True, text=True)
        self.assertEqual(ossl.returncode, 0, ossl.stderr)
        self.assertIn("Signature Verified Successfully", ossl.stdout)
        der = subprocess.run(["openssl", "pkey", "-pubin", "-in", key + ".pub",
                              "-outform", "DER"], capture_output=True).stdout
        self.assertEqual(json.loads(self.manifest(pack))["signer_key_sha256"],
                         sha(der))
        # A wrong key.
        other = self.keygen("other")
        r = self.verify(pack, FINDINGS, "--public-key", other + ".pub")
        self.assertIn("manifest.json.sig: signed by key", r.out)
        # A forged manifest re-hashed into SHA256SUMS: the signature fails.
        self.rewrite_manifest(pack, lambda m: m.update(tool_version="x"))
        r = self.verify(pack, FINDINGS, "--public-key", key + ".pub")
        self.assertIn("does not verify", r.out)
        # A removed signature shows without a key.
        os.unlink(os.path.join(pack, "manifest.json.sig"))
        self.broken(pack, "manifest.json.sig: missing")
        # An unsigned pack with a key given.
        plain = self.export("plain")
        r = self.verify(plain, FINDINGS, "--public-key", key + ".pub")
        self.assertIn("not signed", r.out)

    def test_keygen_is_private_and_never_overwrites(self):
        key = self.keygen()
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        with open(key, "rb") as f:
            before = f.read()
        r = self.expect(USAGE, "evidence", "keygen", "--out", key, db=False)
        self.assertIn("never overwritten", r.err)
        os.rename(key, key + ".moved")
        r = self.expect(USAGE, "evidence", "keygen", "--out", key, db=False)
        self.assertIn(key + ".pub", r.err)
        self.assertFalse(os.path.exists(key))
        with open(key + ".moved", "rb") as f:
            self.assertEqual(f.read(), before)

    def test_a_signing_key_open_to_others_or_not_ed25519_is_refused(self):
        key = self.keygen()
        os.chmod(key, 0o640)
        out = os.path.join(self.tmp, "p")
        r = self.expect(USAGE, "evidence", "export", "--run", "1", "--out",
                        out, config=self.conf(signing_key=key))
        self.assertIn(key, r.err)
        self.assertIn("0640", r.err)
        ec = os.path.join(self.tmp, "ec.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-out", ec], check=True,
                       capture_output=True)
        os.chmod(ec, 0o600)
        r = self.expect(USAGE, "evidence", "export", "--run", "1", "--out",
                        out, config=self.conf(signing_key=ec))
        self.assertIn("not an Ed25519 key", r.err)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "p")))

    # -- .tar.gz -----------------------------------------------------------

    def retar(self, src, dst, change=None, extra=None):
        """Copy a pack archive, changing a member's bytes or adding one."""
        with tarfile.open(src) as tin, tarfile.open(dst, "w:gz") as tout:
            for m in tin.getmembers():
                data = tin.extractfile(m).read() if m.isfile() else None
                if change and m.name.endswith(change):
                    data = bytes([data[0] ^ 1]) + data[1:]
                tout.addfile(m, io.BytesIO(data) if data is not None else None)
            for m, data in extra or []:
                tout.addfile(m, io.BytesIO(data) if data is not None else None)

    def test_tar_gz_pack(self):
        pack = self.export("pack.tar.gz")
        r = self.verify(pack, OK)
        self.assertIn("run 2: %s" % self.head, r.out)
        with tarfile.open(pack) as t:
            names = t.getnames()
            self.assertTrue(all(n.split("/")[0] == "evidence-pack-run1"
                                for n in names))
            self.assertTrue(all(m.mtime == 0 and m.uid == 0
                                for m in t.getmembers()))
            t.extractall(self.tmp)
        sums = subprocess.run(["sha256sum", "-c", "SHA256SUMS"],
                              cwd=os.path.join(self.tmp, "evidence-pack-run1"),
                              capture_output=True)
        self.assertEqual(sums.returncode, 0)
        bad = os.path.join(self.tmp, "bad.tar.gz")
        self.retar(pack, bad, change="compliance.md")
        self.broken(bad, "compliance.md: changed")
        link = tarfile.TarInfo("evidence-pack-run1/responses/link.json")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        self.retar(pack, bad + "2", extra=[(link, None)])
        self.broken(bad + "2", "link or special file")
        up = tarfile.TarInfo("evidence-pack-run1/../x")
        up.size = 1
        self.retar(pack, bad + "3", extra=[(up, b"x")])
        self.broken(bad + "3", "is not a name under one directory")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x")))
        with open(bad + "4", "wb") as f:
            with open(pack, "rb") as g:
                f.write(g.read()[:-100])
        self.broken(bad + "4", "damaged")

    def test_bytes_after_a_tar_gz_pack(self):
        pack = self.export("pack.tar.gz")
        with open(pack, "rb") as f:
            data = f.read()

        def write(name, b):
            path = os.path.join(self.tmp, name)
            with open(path, "wb") as f:
                f.write(b)
            return path
        after = "bytes after the gzip data, from byte %d" % len(data)
        self.broken(write("a", data + b"garbage"), after)
        self.broken(write("b", data + data), after)
        self.broken(write("c", data + gzip.compress(b"\0" * 512, mtime=0)),
                    after)
        # The gzip trailer (CRC-32, length) is checked too.
        crc = bytearray(data)
        crc[-6] ^= 1
        self.broken(write("d", bytes(crc)), "incorrect data check")
        # Inside the gzip member, after the tar's end: only its zeros.
        tar = gzip.decompress(data)
        self.broken(write("e", gzip.compress(tar + b"x", mtime=0)),
                    "data after the end of the archive")
        self.verify(write("f", gzip.compress(tar + b"\0" * 1024, mtime=0)),
                    OK)
        self.broken(write("g", data[:-3]), "ends early")

    # -- hostile packs -------------------------------------------------------

    def test_a_manifest_naming_a_path_outside_is_refused(self):
        pack = self.export()
        outside = os.path.join(self.tmp, "secret.txt")
        with open(outside, "w") as f:
            f.write("secret")

        def edit(m):
            m["files"].append({"path": "../secret.txt",
                               "sha256": sha(b"secret"), "size": 6})
        self.rewrite_manifest(pack, edit)
        r = self.broken(pack, "is not a file a pack may hold")
        self.assertNotIn("secret.txt: missing", r.out)

    def test_hostile_manifest_fields_are_refused_not_printed(self):
        # Reviewer's attacks: a signer "name" carrying terminal escapes
        # beside a fake signature, an evidence file with escapes in it, and
        # a hash encoding that wraps to 2 when cut to an int.
        pack = self.export()
        with open(os.path.join(pack, "manifest.json.sig"), "wb") as f:
            f.write(b"\0" * 64)

        def edit(m):
            m["signer_key_sha256"] = "x\x1b[1A\x1b[2K\rsignature: verified"
            m["runs"][0]["evidence"][0]["file"] = "\x1b[31mRED"
            m["runs"][0]["hash_encoding"] = 4294967298
        self.rewrite_manifest(pack, edit)
        r = self.broken(pack, "signer_key_sha256 is not a SHA-256",
                        "$.runs[0] is not a run")
        self.assertNotIn("\x1b", r.out + r.err)

    def test_a_second_manifest_in_a_tar_is_a_problem_not_read(self):
        pack = self.export("pack.tar.gz")
        again = tarfile.TarInfo("evidence-pack-run1/manifest.json")
        again.size = 2
        bad = os.path.join(self.tmp, "twice.tar.gz")
        self.retar(pack, bad, extra=[(again, b"{}")])
        self.broken(bad, "manifest.json: more than once in the pack")

    def test_a_huge_manifest_is_bounded(self):
        pack = self.export()
        with open(os.path.join(pack, "manifest.json"), "r+b") as f:
            f.truncate(200 << 20)      # sparse: nothing is written
        self.broken(pack, "manifest.json: 209715200 bytes, more than")

    def test_odd_names_and_links_in_a_directory_pack(self):
        pack = self.export()
        os.symlink("/etc/passwd", os.path.join(pack, "passwd"))
        with open(os.path.join(pack, "bad\nname"), "w") as f:
            f.write("x")
        r = self.broken(pack, "passwd: a symbolic link", "'bad?name'")

    def test_not_a_pack(self):
        junk = os.path.join(self.tmp, "junk.tar.gz")
        with open(junk, "wb") as f:
            f.write(b"not gzip at all")
        self.broken(junk, "not a .tar.gz")
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        self.broken(empty, "manifest.json: missing")
        self.expect(3, "evidence", "verify", os.path.join(self.tmp, "nope"),
                    db=False)
        self.expect(USAGE, "evidence", "verify", db=False)


class Durable(PackBase):
    """A pack survives a power cut whole or not at all: every file and
    directory is synced before the pack is renamed into place, and the
    directory holding it after (seen with strace, the calls themselves)."""

    def traced_export(self, name):
        outdir = os.path.join(os.path.realpath(self.tmp), "packs")
        os.mkdir(outdir)
        log = os.path.join(self.tmp, "strace.log")
        out = os.path.join(outdir, name)
        # LeakSanitizer cannot run under ptrace; every other export test
        # of the sanitizer build still checks for leaks.
        asan = os.environ.get("ASAN_OPTIONS", "")
        self.expect(OK, "evidence", "export", "--run", "1", "--check", "2",
                    "--out", out, wrap=[
                        "strace", "-f", "-qq", "-y", "-o", log, "-e",
                        "trace=fsync,fdatasync,syncfs,openat,rename,"
                        "renameat,renameat2"],
                    env={"ASAN_OPTIONS": asan + (":" if asan else "") +
                         "detect_leaks=0"})
        calls = []
        with open(log) as f:
            for line in f:
                m = re.search(r"\b(fsync|fdatasync|syncfs)\(\d+<(.*)>\) += 0$",
                              line)
                if m:
                    calls.append(("sync" if m.group(1) != "syncfs" else
                                  "syncfs", m.group(2)))
                m = re.search(r"\bopenat\(\S+, \"([^\"]*)\", ([^,)]*)", line)
                if m and m.group(1).startswith(outdir):
                    calls.append(("open", m.group(1), m.group(2)))
                m = re.search(r"\brename(?:at2?)?\((?:\S+, )?\"([^\"]*)\", "
                              r"(?:\S+, )?\"([^\"]*)\"", line)
                if m:
                    calls.append(("rename", m.group(1), m.group(2)))
        renames = [i for i, c in enumerate(calls)
                   if c[0] == "rename" and c[2] == out]
        self.assertEqual(len(renames), 1, calls)
        at = renames[0]
        tmp = calls[at][1]
        before = {c[1] for c in calls[:at] if c[0] == "sync"}
        after = {c[1] for c in calls[at + 1:] if c[0] == "sync"}
        self.assertIn(outdir, after)
        self.calls = calls[:at]
        return out, tmp, before

    def test_directory_pack_is_synced_then_renamed(self):
        """Every file is written under the temporary directory, which was
        opened before the first of them; one syncfs(2) on it (which
        reports the write-back errors of the file system since it was
        opened) commits them all before the rename, not a fsync a file."""
        out, tmp, before = self.traced_export("pack")
        files = [c[1] for c in self.calls if c[0] == "open" and
                 "O_CREAT" in c[2]]
        self.assertGreater(len(files), 5)
        self.assertTrue(all(f.startswith(tmp + "/") for f in files), files)
        opened = [i for i, c in enumerate(self.calls) if c[0] == "open" and
                  c[1] == tmp and "O_DIRECTORY" in c[2]]
        first_file = min(i for i, c in enumerate(self.calls)
                         if c[0] == "open" and "O_CREAT" in c[2])
        synced = [i for i, c in enumerate(self.calls)
                  if c[0] == "syncfs" and c[1] == tmp]
        self.assertEqual(len(opened), 1, self.calls)
        self.assertLess(opened[0], first_file)
        self.assertEqual(len(synced), 1, self.calls)
        self.assertGreater(synced[0], max(i for i, c in enumerate(self.calls)
                                          if c[0] == "open"))
        self.assertEqual(before, set())    # no file synced one by one
        self.verify(out, OK)

    def test_tar_gz_pack_is_synced_then_renamed(self):
        out, tmp, before = self.traced_export("pack.tar.gz")
        self.assertIn(tmp, before)
        self.verify(out, OK)


if __name__ == "__main__":
    main()
