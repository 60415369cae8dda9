import { BackendError, MissingPackageError } from "@omniq/core";

/** Imports an SDK module; the default is `() => import(packageName)`. */
export type SdkLoader = () => Promise<unknown>;

function isModuleNotFound(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") return true;
  // Runners that transform modules (vite/vitest) report a failed bare import without a code.
  return /Cannot find (package|module)|Failed to (load|resolve)( url)?|Could not resolve/i.test(
    error.message,
  );
}

/**
 * Loads an optional SDK lazily. The package is imported from `@omniq/file`'s own location, which
 * sees the application's install of a peer dependency.
 *
 * @throws MissingPackageError naming the package when it is not installed.
 * @throws BackendError when it is installed but fails to load.
 */
export async function loadSdk<T>(
  packageName: string,
  label: string,
  loader: SdkLoader | undefined,
  check: (mod: Record<string, unknown>) => boolean,
): Promise<T> {
  let mod: unknown;
  try {
    mod = await (loader ?? (() => import(packageName)))();
  } catch (error) {
    if (isModuleNotFound(error)) {
      throw new MissingPackageError(
        packageName,
        `${label}: needs the package ${packageName}, which is not installed; ` +
          `install it with: npm install ${packageName}`,
        { cause: error },
      );
    }
    throw new BackendError(`${label}: ${packageName} is installed but failed to load`, {
      cause: error,
    });
  }
  const record = (mod ?? {}) as Record<string, unknown>;
  // A CommonJS build seen through ESM interop may put the exports on `default`.
  const candidates = [record, record.default as Record<string, unknown> | undefined];
  for (const candidate of candidates) {
    if (candidate && typeof candidate === "object" && check(candidate)) return candidate as T;
  }
  throw new BackendError(
    `${label}: ${packageName} loaded but does not export what OmniQ uses; ` +
      `check the installed version against @omniq/file's peerDependencies`,
  );
}
