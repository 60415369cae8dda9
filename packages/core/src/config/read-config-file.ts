import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, resolve } from "node:path";
import { parseDocument } from "yaml";
import { fail } from "./check-values.js";

/** File names looked for in `cwd` when no file is named, in this order. */
export const CONFIG_FILE_NAMES = [
  "omniq.config.json",
  "omniq.config.yaml",
  "omniq.config.yml",
] as const;

/** The config file in `cwd`, if exactly one of {@link CONFIG_FILE_NAMES} exists. */
export function findConfigFile(cwd: string): string | undefined {
  const found = CONFIG_FILE_NAMES.filter((name) => existsSync(resolve(cwd, name)));
  if (found.length > 1) {
    fail(
      "file",
      { where: "" },
      `found ${found.join(" and ")} in ${cwd}; keep one, or name one with OMNIQ_CONFIG`,
    );
  }
  return found[0];
}

function lineColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  return `line ${line}, column ${position - before.lastIndexOf("\n")}`;
}

/**
 * Reads and parses a JSON (`.json`) or YAML (`.yaml`, `.yml`) config file. Parse errors give
 * the line and column but never quote the file, which may hold credentials.
 * `key` names the setting that chose the file (`file`, `OMNIQ_CONFIG`).
 */
export async function readConfigFile(path: string, cwd: string, key: string): Promise<unknown> {
  const ctx = { where: "" };
  const ext = extname(path).toLowerCase();
  if (ext !== ".json" && ext !== ".yaml" && ext !== ".yml") {
    fail(key, ctx, `expected a .json, .yaml or .yml file, got "${path}"`);
  }
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    fail(
      key,
      ctx,
      code === "ENOENT" ? `file "${path}" not found` : `cannot read "${path}" (${code ?? "error"})`,
    );
  }
  if (ext === ".json") {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      const m = /position (\d+)/.exec(error instanceof Error ? error.message : "");
      const at = m ? ` at ${lineColumn(text, Number(m[1]))}` : "";
      fail(key, ctx, `"${path}" is not valid JSON${at}`);
    }
  }
  const doc = parseDocument(text, { prettyErrors: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const pos = first.linePos?.[0];
    const at = pos ? ` at line ${pos.line}, column ${pos.col}` : "";
    // The message's tail quotes the offending line: keep only the reason.
    const reason = first.message.split(" at line ")[0];
    const hint =
      first.code === "BLOCK_AS_IMPLICIT_KEY"
        ? ' (quote a URL that ends in ":", e.g. "sqlite::memory:")'
        : "";
    fail(key, ctx, `"${path}" is not valid YAML${at}: ${reason}${hint}`);
  }
  return doc.toJS() as unknown;
}
