"""Real readers for what the reports write, for the suite.

recalc_xlsx(path, tmpdir) opens a workbook in LibreOffice headless (soffice,
from Debian's libreoffice-calc-nogui) with a private user profile told to
recalculate every formula on load, saves it back as xlsx and returns the
values LibreOffice computed, read with openpyxl:
    {sheet name: [[cell value, ...], ...]}   rows and columns from A1.
A workbook's cached values are never trusted: LibreOffice's default for
OOXML is "never recalculate" (it would echo the cached values back), so the
profile sets org.openoffice.Office.Calc/Formula/Load OOXMLRecalcMode to 0
("always"). tests/cli/test_readers.py proves it with a wrong cached value.

gfm_tables(markdown) parses GitHub Flavoured Markdown with the real
cmark-gfm (`cmark-gfm --unsafe -e table`) and returns every table, in
order, as a list of rows (the header row first) of cell texts. A cell's
text is its text content with tags removed and entities decoded; <br>
counts as "\\n". --unsafe lets raw HTML through as tags, so HTML a writer
failed to escape disappears from the text instead of reading as if escaped.
"""
import html.parser
import os
import shutil
import subprocess
import tempfile

import openpyxl

SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"
CMARK_GFM = shutil.which("cmark-gfm") or "/usr/bin/cmark-gfm"

# Generous: a cold LibreOffice start on a loaded 2-core machine takes
# seconds, not minutes. A hang is reported, never waited on forever.
SOFFICE_TIMEOUT = 180
CMARK_TIMEOUT = 30

# 0 always recalculate, 1 never (LibreOffice's default), 2 ask.
RECALC_ALWAYS, RECALC_NEVER = 0, 1

_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>%d</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>%d</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="ShowTipOfTheDay" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


class ReaderError(Exception):
    """A reader failed: the message names the program, the file and what
    the program said on stderr."""


def _profile(tmpdir, mode):
    """A fresh LibreOffice user installation under tmpdir; returns its URL."""
    root = tempfile.mkdtemp(prefix="lo-profile-", dir=tmpdir)
    user = os.path.join(root, "user")
    os.makedirs(user)
    with open(os.path.join(user, "registrymodifications.xcu"), "w",
              encoding="utf-8") as f:
        f.write(_PROFILE % (mode, mode))
    return "file://" + os.path.abspath(root)


def soffice_convert(path, tmpdir, to, mode=RECALC_ALWAYS):
    """Converts path with LibreOffice headless (filter spec `to`, e.g.
    'xlsx:Calc MS Excel 2007 XML' or 'pdf') into a new directory under
    tmpdir; returns the converted file's path. Raises ReaderError with
    LibreOffice's output when it fails, times out or writes nothing."""
    if not os.path.isfile(path):
        raise ReaderError("soffice: no such file '%s'" % path)
    out = tempfile.mkdtemp(prefix="lo-out-", dir=tmpdir)
    argv = [SOFFICE, "-env:UserInstallation=" + _profile(tmpdir, mode),
            "--headless", "--norestore", "--nolockcheck", "--nodefault",
            "--convert-to", to, "--outdir", out, os.path.abspath(path)]
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env["HOME"] = tmpdir  # nothing written outside the test's directory
    try:
        proc = subprocess.run(argv, capture_output=True, text=True,
                              timeout=SOFFICE_TIMEOUT, env=env,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise ReaderError("soffice: converting '%s' timed out after %d s; "
                          "stderr: %s" % (path, SOFFICE_TIMEOUT,
                                          _text(e.stderr))) from None
    except OSError as e:
        raise ReaderError("soffice: cannot run '%s': %s" % (SOFFICE, e)) \
            from None
    ext = to.split(":", 1)[0]
    base = os.path.splitext(os.path.basename(path))[0] + "." + ext
    result = os.path.join(out, base)
    if proc.returncode != 0 or not os.path.isfile(result):
        raise ReaderError("soffice: converting '%s' to %s failed (exit %d); "
                          "stdout: %s; stderr: %s"
                          % (path, ext, proc.returncode, proc.stdout.strip(),
                             proc.stderr.strip()))
    return result


def recalc_xlsx(path, tmpdir, mode=RECALC_ALWAYS):
    """{sheet: rows of cell values} of path as recalculated by LibreOffice.
    mode=RECALC_NEVER exists for the test proving recalculation happens."""
    saved = soffice_convert(path, tmpdir, "xlsx:Calc MS Excel 2007 XML", mode)
    wb = openpyxl.load_workbook(saved, data_only=True)
    try:
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)]
                for ws in wb.worksheets}
    finally:
        wb.close()


def _text(b):
    if b is None:
        return ""
    if isinstance(b, bytes):
        return b.decode("utf-8", "replace").strip()
    return b.strip()


class _Tables(html.parser.HTMLParser):
    """Collects <table> rows of <th>/<td> texts from cmark-gfm's HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables = []
        self.row = None
        self.cell = None
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.depth += 1
            if self.depth > 1:
                raise ReaderError("cmark-gfm: a table inside a table")
            self.tables.append([])
        elif tag == "tr" and self.depth:
            self.row = []
            self.tables[-1].append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag):
        if tag == "table":
            self.depth -= 1
        elif tag == "tr":
            self.row = None
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def gfm_html(markdown_text):
    """HTML from the real cmark-gfm with the table extension."""
    try:
        proc = subprocess.run([CMARK_GFM, "--unsafe", "-e", "table"],
                              input=markdown_text.encode("utf-8"),
                              capture_output=True, timeout=CMARK_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ReaderError("cmark-gfm: timed out after %d s" % CMARK_TIMEOUT) \
            from None
    except OSError as e:
        raise ReaderError("cmark-gfm: cannot run '%s': %s" % (CMARK_GFM, e)) \
            from None
    if proc.returncode != 0:
        raise ReaderError("cmark-gfm: exit %d; stderr: %s"
                          % (proc.returncode, _text(proc.stderr)))
    return proc.stdout.decode("utf-8")


def gfm_tables(markdown_text):
    """Every table of markdown_text as cmark-gfm sees it: a list of tables,
    each a list of rows (header first), each a list of cell texts."""
    p = _Tables()
    p.feed(gfm_html(markdown_text))
    p.close()
    return p.tables
