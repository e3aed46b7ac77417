"""render: Mustache templates with JSON data, escaping, partials, errors."""
import json
import os

from harness import CliTest, main, OK, USAGE

TABLE = """| name | note |
| --- | --- |
{{#rows}}
| {{name}} | {{note}} |
{{/rows}}
"""

ROWS = [
    {"name": "a|b", "note": "line1\nline2\r\nline3"},
    {"name": "`rm -rf`", "note": "=HYPERLINK(\"http://evil\",\"x\")"},
    {"name": "<img src=x onerror=alert(1)>", "note": "R&D *bold* _it_ [l](u)"},
    {"name": "back\\slash", "note": "\tbell\x07 @admin"},
    {"name": "-credit", "note": -5},
    {"name": "cost", "note": 1.21},
]

EXPECTED = """| name | note |
| --- | --- |
| a\\|b | line1 line2 line3 |
| \\`rm -rf\\` | '=HYPERLINK("http://evil","x") |
| &lt;img src=x onerror=alert(1)&gt; | R&amp;D \\*bold\\* \\_it\\_ \\[l\\](u) |
| back\\\\slash |  bell @admin |
| '-credit | -5 |
| cost | 1.21 |
"""


class Render(CliTest):
    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def data(self, obj):
        return self.write("data.json", json.dumps(obj))

    def render(self, code, *args):
        return self.expect(code, "render", *args, db=False, config=None)

    def test_markdown_table_with_hostile_cells(self):
        t = self.write("table.md.mustache", TABLE)
        r = self.render(OK, t, self.data({"rows": ROWS}))
        self.assertEqual(r.out, EXPECTED)
        self.assertEqual(r.err, "")

    def test_escape_modes(self):
        t = self.write("page.mustache", "<p>{{s}}</p>{{{s}}}")
        d = self.data({"s": "<b>\"R&D\"</b>"})
        r = self.render(OK, t, d)
        self.assertEqual(r.out, "<p>&lt;b&gt;&quot;R&amp;D&quot;&lt;/b&gt;</p>"
                         "<b>\"R&D\"</b>")
        r = self.render(OK, "--escape", "none", t, d)
        self.assertEqual(r.out, "<p><b>\"R&D\"</b></p><b>\"R&D\"</b>")
        r = self.render(OK, "--escape", "markdown", t, d)
        self.assertEqual(r.out, "<p>&lt;b&gt;\"R&amp;D\"&lt;/b&gt;</p>"
                         "<b>\"R&D\"</b>")
        self.render(USAGE, "--escape", "latex", t, d)

    def test_partials_from_the_template_directory_and_dir(self):
        os.mkdir(os.path.join(self.tmp, "parts"))
        self.write("row.mustache", "* {{name}}\n")
        self.write("parts/row.mustache", "- {{name}}\n")
        t = self.write("list.mustache", "{{#rows}}\n  {{> row }}\n{{/rows}}")
        d = self.data({"rows": [{"name": "a"}, {"name": "b"}]})
        self.assertEqual(self.render(OK, t, d).out, "  * a\n  * b\n")
        r = self.render(OK, "--partials", os.path.join(self.tmp, "parts"), t, d)
        self.assertEqual(r.out, "  - a\n  - b\n")

    def test_missing_partial(self):
        t = self.write("t.mustache", "x\n {{>nope}}")
        r = self.render(USAGE, t, self.data({}))
        self.assertEqual(r.out, "")
        self.assertIn("amlfs-audit: cannot render '%s'" % t, r.err)
        self.assertIn("unknown partial 'nope'", r.err)
        self.assertIn(os.path.join(self.tmp, "nope.mustache"), r.err)
        self.assertIn("2:2", r.err)

    def test_partial_names_cannot_leave_the_directory(self):
        self.write("secret.mustache", "leaked")
        os.mkdir(os.path.join(self.tmp, "sub"))
        for name in ("../secret", ".hidden", "/etc/passwd"):
            t = self.write("sub/t.mustache", "{{>%s}}" % name)
            r = self.render(USAGE, t, self.data({}))
            self.assertIn("may not contain '/' or start with '.'", r.err)
            self.assertNotIn("leaked", r.out)

    def test_partial_that_includes_itself_stops(self):
        self.write("loop.mustache", "x{{>loop}}")
        t = self.write("t.mustache", "{{>loop}}")
        r = self.render(USAGE, t, self.data({}))
        self.assertIn("nested deeper than 64", r.err)
        self.assertIn("in partial 'loop'", r.err)

    def test_unclosed_tag_names_line_and_column(self):
        t = self.write("t.mustache", "line one\n  x {{name\n")
        r = self.render(USAGE, t, self.data({"name": "n"}))
        self.assertEqual(r.out, "")
        self.assertIn("unclosed tag", r.err)
        self.assertIn("at 2:5", r.err)

    def test_mismatched_section(self):
        t = self.write("t.mustache", "{{#a}}\n{{/b}}\n")
        r = self.render(USAGE, t, self.data({}))
        self.assertIn("section end 'b' does not match section 'a' opened "
                      "at 1:1", r.err)
        self.assertIn("at 2:1", r.err)

    def test_bad_json_names_the_file(self):
        t = self.write("t.mustache", "{{a}}")
        d = self.write("bad.json", '{"a": 1,\n "a": }')
        r = self.render(USAGE, t, d)
        self.assertEqual(r.out, "")
        self.assertIn("bad JSON in '%s'" % d, r.err)
        self.assertIn(d + ":2:", r.err)

    def test_missing_files(self):
        t = self.write("t.mustache", "{{a}}")
        r = self.render(3, t, os.path.join(self.tmp, "none.json"))
        self.assertIn("cannot read '%s'" % os.path.join(self.tmp, "none.json"),
                      r.err)
        r = self.render(3, os.path.join(self.tmp, "none.mustache"),
                        self.data({}))
        self.assertIn("none.mustache", r.err)

    def test_usage(self):
        r = self.render(OK, "-h")
        self.assertTrue(r.out.startswith("usage: amlfs-audit render"))
        r = self.render(USAGE, "only-one-argument")
        self.assertTrue(r.err.startswith("usage: amlfs-audit render"))
        self.assertEqual(r.out, "")
        self.render(USAGE, "--frobnicate", "a", "b")
        r = self.expect(OK, "help", "render", db=False, config=None)
        self.assertTrue(r.out.startswith("usage: amlfs-audit render"))


if __name__ == "__main__":
    main()
