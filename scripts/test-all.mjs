// Runs every test project once (vitest), then every example, and prints one closing
// line "tests: N passed, N failed" that CI reads. Exit code is non-zero on any failure.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "omniq-test-"));
const report = join(dir, "vitest.json");
const vitest = spawnSync(
  "pnpm",
  [
    "exec",
    "vitest",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  { stdio: "inherit" },
);
let passed = 0;
let failed = 0;
try {
  const json = JSON.parse(readFileSync(report, "utf8"));
  passed = json.numPassedTests;
  failed = json.numFailedTests + (json.numRuntimeErrorTests ?? 0);
  if (json.numTotalTests === 0) failed += 1;
} catch (err) {
  console.error(`could not read the vitest report: ${err.message}`);
  failed += 1;
}
if (vitest.status !== 0 && failed === 0) failed = 1;

const examples = spawnSync(
  "pnpm",
  ["-r", "--workspace-concurrency=1", "--filter", "./examples/**", "run", "start"],
  {
    stdio: "inherit",
    env: { ...process.env, OMNIQ_EXAMPLE_CI: "1" },
  },
);
if (examples.status === 0) passed += 1;
else {
  console.error("examples: at least one example failed");
  failed += 1;
}
rmSync(dir, { recursive: true, force: true });
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
