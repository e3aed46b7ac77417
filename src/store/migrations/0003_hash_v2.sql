-- Hash encoding v2 (src/store/chain.c): every field typed and
-- length-prefixed. Runs sealed before this keep version 1 and verify with
-- it; new runs are written with version 2.
ALTER TABLE runs ADD COLUMN hash_version INTEGER NOT NULL DEFAULT 1;

-- Retail prices come from an import run (a link of the chain) whose
-- evidence holds the answers they were read from.
ALTER TABLE retail_prices ADD COLUMN run_id INTEGER REFERENCES runs(id);
