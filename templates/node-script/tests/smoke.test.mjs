// Smoke test: the entry script runs with the example config. Run: npm test
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const SKILL_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

test("the entry script runs with the example config", () => {
  const out = execFileSync(process.execPath, [
    join(SKILL_DIR, "scripts", "index.mjs"),
    "--config",
    join(SKILL_DIR, "config.example.json"),
  ]);
  assert.equal(JSON.parse(out.toString()).skill, "{{ name }}");
});
