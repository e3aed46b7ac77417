"""Layers (../shared/STYLE.md): no include reaches up a layer, no two
folders include each other (directly or round a cycle), and nothing
outside src/cli/ and src/main.c includes a cli/ header."""
import os
import re
import sys
import unittest

ROOT = os.environ.get("SOURCE_ROOT",
                      os.path.join(os.path.dirname(__file__), "..", ".."))
SRC = os.path.join(ROOT, "src")

# Bottom to top; folders on one line share a layer.
LAYERS = [["util", "config"], ["azure"], ["store"],
          ["collect", "costs", "evidence"], ["policy", "report"], ["cli"]]
LEVEL = {f: i for i, fs in enumerate(LAYERS) for f in fs}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"', re.M)


def edges():
    """(from folder, to folder, file) for every quoted include of src/."""
    for d in sorted(os.listdir(SRC)):
        full = os.path.join(SRC, d)
        if not os.path.isdir(full):
            continue
        for name in sorted(os.listdir(full)):
            if not name.endswith((".c", ".h")):
                continue
            with open(os.path.join(full, name), encoding="utf-8") as f:
                for m in INCLUDE.finditer(f.read()):
                    if m.group(1) != d:
                        yield d, m.group(1), "src/%s/%s" % (d, name)


class Layers(unittest.TestCase):
    def test_every_folder_has_a_layer(self):
        for d in os.listdir(SRC):
            if os.path.isdir(os.path.join(SRC, d)):
                self.assertIn(d, LEVEL, "src/%s has no layer in this test "
                              "and STYLE.md" % d)

    def test_no_include_reaches_up(self):
        up = ["%s includes %s/" % (f, b) for a, b, f in edges()
              if LEVEL.get(b, 99) > LEVEL.get(a, 99)]
        self.assertEqual(up, [])

    def test_no_cycle_between_folders(self):
        graph = {}
        for a, b, _ in edges():
            graph.setdefault(a, set()).add(b)

        def reach(start):
            seen, todo = set(), [start]
            while todo:
                for n in graph.get(todo.pop(), ()):
                    if n not in seen:
                        seen.add(n)
                        todo.append(n)
            return seen

        cycles = sorted(a for a in graph if a in reach(a))
        self.assertEqual(cycles, [], "folders on an include cycle")

    def test_only_cli_includes_cli(self):
        bad = [f for a, b, f in edges() if b == "cli" and a != "cli"]
        self.assertEqual(bad, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
