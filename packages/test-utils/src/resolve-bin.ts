import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** Absolute path of `bin` entry `binName` of an installed package. */
export function resolvePackageBin(pkg: string, binName: string): string {
  const pkgJsonPath = require.resolve(`${pkg}/package.json`);
  const pkgJson = require(pkgJsonPath) as { bin?: string | Record<string, string> };
  const bin = typeof pkgJson.bin === "string" ? pkgJson.bin : pkgJson.bin?.[binName];
  if (!bin) throw new Error(`${pkg} has no bin entry "${binName}"`);
  return join(dirname(pkgJsonPath), bin);
}
