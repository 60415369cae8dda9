import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { BackendError, MissingPackageError } from "../errors.js";

function isNotFound(error: unknown, packageName: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") {
    // Test runners that transform modules (vite) report a failed bare import without a code.
    return (
      /Cannot find (package|module)|Failed to (load|resolve)/i.test(error.message) &&
      error.message.includes(packageName)
    );
  }
  return error.message.includes(`'${packageName}'`) || error.message.includes(`"${packageName}"`);
}

/** Directories to resolve an optional package from, besides core's own location. */
function searchDirs(cwd: string): string[] {
  const dirs = [cwd];
  const main = process.argv[1];
  if (main) dirs.push(dirname(main));
  return [...new Set(dirs)];
}

/**
 * Imports an optional package lazily. Tries core's own location first, then the
 * application's (`cwd`, then the main script's directory), since strict installers
 * (pnpm) do not let core see packages it does not depend on.
 *
 * @throws MissingPackageError when the package is installed nowhere visible.
 * @throws BackendError when it is installed but fails to load (e.g. a missing native build).
 */
export async function loadPackage(
  packageName: string,
  cwd: string,
  purpose: string,
): Promise<Record<string, unknown>> {
  let firstError: unknown;
  try {
    return (await import(packageName)) as Record<string, unknown>;
  } catch (error) {
    if (!isNotFound(error, packageName)) {
      throw new BackendError(`config: ${packageName} is installed but failed to load`, {
        cause: error,
      });
    }
    firstError = error;
  }
  for (const dir of searchDirs(cwd)) {
    let resolved: string;
    try {
      resolved = createRequire(join(dir, "__omniq_resolve__.js")).resolve(packageName);
    } catch (error) {
      if (isNotFound(error, packageName)) continue;
      // Found, but its entry point is missing (e.g. a workspace package not built yet).
      throw new BackendError(`config: ${packageName} is installed but cannot be loaded`, {
        cause: error,
      });
    }
    try {
      return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
    } catch (error) {
      throw new BackendError(`config: ${packageName} is installed but failed to load`, {
        cause: error,
      });
    }
  }
  throw new MissingPackageError(
    packageName,
    `config: ${purpose} needs the package ${packageName}, which is not installed; ` +
      `install it with: npm install ${packageName}`,
    { cause: firstError },
  );
}
