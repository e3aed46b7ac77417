"""The configuration: every key of the sample round-trips through
'config show', continuation lines append, a repeated key or an overlong
line is an error with file:line, and nothing is ever silently dropped."""
import os
import re
import unittest

from harness import CONF, OK, USAGE, CliTest

GUIDS = ["%08x-1111-4222-8333-%012x" % (i, i) for i in range(50)]


class Config(CliTest):
    def write(self, text, name="amlfs-audit.conf"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def show(self, path, **kw):
        r = self.expect(OK, "config", "show", "--format", "json",
                        db=False, config=path, **kw)
        return {(row["section"], row["key"]): row for row in r.json()}

    def sample_lines(self, uncomment):
        """(section, key, value, line) of each key line of the sample."""
        section, out = None, []
        with open(CONF) as f:
            for n, line in enumerate(f, 1):
                m = re.match(r"\[(\w+)\]", line)
                if m:
                    section = m.group(1)
                    continue
                m = re.match(r"(;?)(\w+) = (.*)$", line.rstrip("\n"))
                if m and (uncomment or not m.group(1)):
                    out.append((section, m.group(2), m.group(3), n))
        return out

    def test_every_key_of_the_sample_round_trips(self):
        shown = self.show(CONF)
        keys = self.sample_lines(uncomment=False)
        self.assertGreater(len(keys), 20)
        for section, key, value, line in keys:
            row = shown[(section, key)]
            self.assertEqual(row["origin"], "%s:%d" % (CONF, line), key)
            want = ", ".join(v.strip() for v in value.split(","))
            if key == "related_resources":
                want = want.lower()
            self.assertEqual(row["value"], want, key)

    def test_documented_examples_are_valid_and_round_trip(self):
        # Every commented-out example in the sample, switched on.
        with open(CONF) as f:
            text = re.sub(r"(?m)^;(\w+ = )", r"\1", f.read())
        path = self.write(text)
        shown = self.show(path)
        for section, key, value, line in self.sample_lines(uncomment=True):
            self.assertEqual(shown[(section, key)]["origin"],
                             "%s:%d" % (path, line), key)

    def test_every_key_is_shown_with_its_default(self):
        shown = self.show(os.devnull)
        self.assertEqual(shown[("collect", "max_in_flight")],
                         {"section": "collect", "key": "max_in_flight",
                          "value": "8", "origin": "default"})

    def test_a_list_continues_on_indented_lines(self):
        text = "[scope]\nsubscriptions = %s,\n  %s\n\n  %s, %s\n" % (
            GUIDS[0], GUIDS[1], GUIDS[2], GUIDS[3])
        got = self.show(self.write(text))[("scope", "subscriptions")]
        self.assertEqual(got["value"], ", ".join(GUIDS[:4]))
        self.assertTrue(got["origin"].endswith(":2"))

    def test_fifty_subscriptions_over_many_lines(self):
        lines = ["[scope]", "subscriptions ="]
        lines += ["  %s," % g for g in GUIDS]
        got = self.show(self.write("\n".join(lines) + "\n"))
        self.assertEqual(got[("scope", "subscriptions")]["value"].split(", "),
                         GUIDS)

    def test_an_overlong_line_is_an_error_not_a_cut(self):
        text = "[azure]\ncloud = AzureCloud\n[scope]\nsubscriptions = %s\n" % (
            ",".join(GUIDS))
        path = self.write(text)
        r = self.expect(USAGE, "config", "show", db=False, config=path)
        self.assertIn("%s:4" % path, r.err)
        self.assertIn("indented lines", r.err)

    def test_a_key_given_twice_names_both_lines(self):
        text = "[scope]\nsubscriptions = %s\ndiscovery = list\n" \
               "subscriptions = %s\n" % (GUIDS[0], GUIDS[1])
        path = self.write(text)
        r = self.expect(USAGE, "config", "show", db=False, config=path)
        self.assertIn("given twice, on lines 2 and 4", r.err)
        self.assertIn("%s:4" % path, r.err)

    def test_a_single_value_key_refuses_a_continuation(self):
        path = self.write("[collect]\nmetrics = batch\n  off\n")
        r = self.expect(USAGE, "config", "show", db=False, config=path)
        self.assertIn("takes one value", r.err)
        self.assertIn("%s:2" % path, r.err)

    def test_the_same_key_in_two_sections_is_fine(self):
        # Only the same section and key twice is refused.
        path = self.write("[collect]\nmetrics = off\n[costs]\nmonths = 3\n")
        shown = self.show(path)
        self.assertEqual(shown[("costs", "months")]["value"], "3")

    def test_a_config_that_is_not_a_regular_file_is_refused(self):
        for path in (self.tmp, "/dev/zero"):
            r = self.expect(USAGE, "config", "show", db=False, config=path)
            self.assertIn("not a regular file", r.err)

    def test_credentials_in_the_environment_are_never_printed(self):
        secret = "s3cr3t-value-never-shown"
        r = self.expect(OK, "config", "show", db=False, config=os.devnull,
                        env={"AZURE_CLIENT_SECRET": secret})
        self.assertNotIn(secret, r.out + r.err)
        self.assertRegex(r.out, r"AZURE_CLIENT_SECRET\s+\(set\)")

    def test_plain_http_to_another_host_is_refused_at_load(self):
        for line in ("resource_manager = http://management.example",
                     "authority_host = http://localhost:1@192.0.2.2:18082"):
            path = self.write("[azure]\n%s\n" % line)
            r = self.expect(USAGE, "config", "show", db=False, config=path)
            self.assertIn("%s:2" % path, r.err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
