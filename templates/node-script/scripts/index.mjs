#!/usr/bin/env node
// Entry script of the skill: reads a JSON config and prints a JSON result on standard output.
// {{ display_name }}, {{ year }}. Replace run() with the skill's real work.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const SKILL_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

export function loadConfig(path) {
  let data;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`cannot read config ${path}: ${err.message}`);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new Error(`${path} must hold a JSON object`);
  }
  return data;
}

// Do the work of the skill. This example only echoes a setting.
export function run(config, dryRun) {
  return { skill: "{{ name }}", greeting: config.greeting ?? "hello", dry_run: dryRun };
}

function main() {
  const { values } = parseArgs({
    options: {
      config: { type: "string", default: join(SKILL_DIR, "config.example.json") },
      "dry-run": { type: "boolean", default: false },
    },
  });
  const dryRun = values["dry-run"] || process.env.DRY_RUN === "1";
  try {
    process.stdout.write(JSON.stringify(run(loadConfig(values.config), dryRun), null, 2) + "\n");
  } catch (err) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main();
}
