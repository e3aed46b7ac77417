"""demo: a fresh history from the bundled samples, and its outputs."""
import csv
import json
import os

from harness import CliTest, main, OK


class Demo(CliTest):
    def test_demo_writes_outputs_and_can_run_again(self):
        out = os.path.join(self.tmp, "demo")
        for _ in range(2):
            r = self.expect(OK, "demo", "--out", out, db=False, config=None)
            self.assertIn("Verified", r.out)
            self.assertIn("amlfs-render-feature-film", r.out)
        for name in ("inventory.json", "inventory.csv", "history.db",
                     "costs-2026-10.json", "costs-2026-10.csv",
                     "findings.json", "findings.md",
                     "chargeback-2026-10.xlsx", "chargeback-2026-10.md",
                     "chargeback-2026-10.csv", "chargeback-2026-10.json",
                     "compliance-run1.xlsx", "compliance-run1.md"):
            self.assertTrue(os.path.exists(os.path.join(out, name)), name)
        # The chargeback reconciles to the bill in each currency.
        with open(os.path.join(out, "chargeback-2026-10.md"), encoding="utf-8") as f:
            md = f.read()
        self.assertIn("**USD**: billed 84,119.62, allocated 84,119.62, "
                      "difference 0.00", md)
        self.assertIn("**EUR**: billed 43,146.95, allocated 43,146.95, "
                      "difference 0.00", md)
        # The check: its summary, and its findings kept with the run.
        self.assertRegex(r.out, r"check \d+ of run 1: 24 rule\(s\)")
        with open(os.path.join(out, "findings.json"), encoding="utf-8") as f:
            findings = [json.loads(l) for l in f]
        self.assertIn("drift", {x["rule"] for x in findings})
        self.assertIn("exempt", {x["status"] for x in findings})
        # The compliance report of the run: the check's findings.
        with open(os.path.join(out, "compliance-run1.md"), encoding="utf-8") as f:
            md = f.read()
        self.assertIn("# Compliance report: run1", md)
        self.assertIn("| llm-scratch-tags | required-tags |", md)
        self.assertFalse([n for n in os.listdir(out) if ".tmp." in n])
        with open(os.path.join(out, "inventory.json"), encoding="utf-8") as f:
            self.assertEqual(len(json.load(f)), 8)
        with open(os.path.join(out, "inventory.csv"), encoding="utf-8", newline="") as f:
            self.assertEqual(len(list(csv.DictReader(f))), 8)
        with open(os.path.join(out, "costs-2026-10.json"), encoding="utf-8") as f:
            costs = {c["name"]: c for c in json.load(f)}
        self.assertEqual(costs["amlfs-genomics-prod"]["actual_cost"], 22107.457536)
        self.assertEqual(costs["amlfs-genomics-prod"]["amortized_cost"], 17685.966028)
        self.assertIsNotNone(costs["amlfs-genomics-prod"]["estimated_cost"])
        self.assertIn("ea-actual-2026-10.csv:103: malformed row", r.err)
        # A fresh history each time: one collection, not two; each cost
        # export imported, and the prices, are links of the chain too.
        self.db = os.path.join(out, "history.db")
        self.assertEqual(self.scalar("SELECT count(*) FROM runs WHERE "
                                     "source = 'replay'"), 1)
        self.assertEqual(self.scalar("SELECT count(*) FROM runs WHERE "
                                     "source = 'import'"),
                         self.scalar("SELECT count(*) FROM cost_sources") + 1)
        self.expect(OK, "verify")


if __name__ == "__main__":
    main()
