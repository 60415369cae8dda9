import type { Logger } from "@omniq/core";
import { layout } from "../layout.js";
import { type StorageTarget, utf8 } from "../targets/storage-target.js";

const decoder = new TextDecoder("utf-8", { fatal: true });

/** JSON as UTF-8 bytes. */
export const toBytes = (value: unknown): Uint8Array => utf8(JSON.stringify(value));

export interface Versioned<T> {
  value: T;
  version: string;
}

/** Called when a file could not be parsed: it has been moved to `corrupt/<key>`. */
export type CorruptHandler = (info: { key: string; reason: string; movedTo: string }) => void;

/**
 * JSON objects on a target. A file that is not valid JSON, or not the shape `check`
 * expects, is reported (with its key) and set aside under `corrupt/`, and reads as absent:
 * one bad file never stops a worker.
 */
export class JsonStore {
  constructor(
    readonly target: StorageTarget,
    private readonly report: CorruptHandler,
  ) {}

  async get<T>(key: string, check: (v: unknown) => T): Promise<Versioned<T> | null> {
    if (this.target.readText) {
      // The text fast path (memory): no bytes to decode.
      let got: { text: string; version: string } | null;
      try {
        got = await this.target.readText(key);
      } catch (err) {
        if (!(err instanceof TypeError)) throw err;
        // Not valid UTF-8: the byte path below reports it and sets it aside.
        got = null;
        const obj = await this.target.read(key);
        if (obj) return this.parse(key, obj.data, obj.version, check);
      }
      if (!got) return null;
      try {
        return { value: check(JSON.parse(got.text)), version: got.version };
      } catch {
        const obj = await this.target.read(key);
        if (!obj) return null;
        return this.parse(key, obj.data, obj.version, check);
      }
    }
    const obj = await this.target.read(key);
    if (!obj) return null;
    return this.parse(key, obj.data, obj.version, check);
  }

  /** Parses bytes read from `key`; sets the file aside and returns `null` when corrupt. */
  async parse<T>(
    key: string,
    data: Uint8Array,
    version: string,
    check: (v: unknown) => T,
  ): Promise<Versioned<T> | null> {
    try {
      return { value: check(JSON.parse(decoder.decode(data))), version };
    } catch {
      // A torn read (a store that acknowledged a write before it was fully visible) must not
      // cost a valid file: read once more before setting anything aside.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const again = await this.target.read(key);
      if (!again) return null;
      try {
        return { value: check(JSON.parse(decoder.decode(again.data))), version: again.version };
      } catch (err) {
        await this.setAside(key, again.data, again.version, (err as Error).message ?? String(err));
        return null;
      }
    }
  }

  /** Moves a corrupt file to `corrupt/<key>` (unless it changed meanwhile) and reports it. */
  async setAside(key: string, data: Uint8Array, version: string, reason: string): Promise<void> {
    const movedTo = layout.corrupt(key);
    try {
      await this.target.write(movedTo, data);
      await this.target.delete(key, version);
    } catch {
      // Reporting matters more than moving: a file we cannot move is still skipped.
    }
    this.report({ key, reason, movedTo });
  }
}

/** The default report: the logger at `warn`, or a process warning when there is no logger. */
export function corruptReporter(component: string, logger?: Logger): CorruptHandler {
  return ({ key, reason, movedTo }) => {
    const msg = `${component}: corrupt file ${key} set aside as ${movedTo}: ${reason.slice(0, 200)}`;
    if (logger) logger.warn({ key, movedTo }, msg);
    else process.emitWarning(msg, { code: "OMNIQ_CORRUPT_FILE" });
  };
}
