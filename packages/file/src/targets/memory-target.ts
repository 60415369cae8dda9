import { ClosedError, ValidationError } from "@omniq/core";
import { assertValidKey, assertValidPrefix } from "./keys.js";
import { MemoryIndex } from "./memory-index.js";
import type {
  ListOptions,
  ListPage,
  StorageTarget,
  StoredObject,
  TargetCapabilities,
} from "./storage-target.js";

/**
 * One stored object: bytes written through `write*`, or text written through `write*Text`
 * (kept as the string: strings are immutable, so nobody can change it through a reference).
 * Exactly one of `data` and `text` is set; the other form is made on read.
 */
interface MemoryObject {
  data: Uint8Array | null;
  text: string | null;
  version: string;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

interface MemoryStore {
  objects: Map<string, MemoryObject>;
  /** The keys in order, by directory. */
  index: MemoryIndex;
}

/** Named stores shared by every MemoryTarget of this process (`memory://name`). */
const named = new Map<string, MemoryStore>();
let versionCounter = 0;
let anonymous = 0;

function newStore(): MemoryStore {
  const objects = new Map<string, MemoryObject>();
  return { objects, index: new MemoryIndex((k) => objects.has(k)) };
}

export interface MemoryTargetOptions {
  /**
   * A process-wide store name: every MemoryTarget with the same name sees the same objects
   * (what `memory://name` gives). Without a name the store is private to this target.
   */
  name?: string;
}

let indexOfTarget: (target: MemoryTarget) => MemoryIndex;

/** The key index of a target's store (for tests: not exported from the package). */
export function memoryIndexOf(target: MemoryTarget): MemoryIndex {
  return indexOfTarget(target);
}

/**
 * A storage target in this process's memory (a Map with an ordered key index). Conditional
 * writes are atomic within the process (JavaScript runs one operation at a time), not across
 * processes or worker threads: `capabilities.crossProcess` is `false`.
 *
 * @example
 * ```ts
 * const a = new MemoryTarget({ name: "jobs" });
 * const b = new MemoryTarget({ name: "jobs" }); // same objects as `a`
 * MemoryTarget.drop("jobs");                     // forget the named store
 * ```
 */
export class MemoryTarget implements StorageTarget {
  readonly kind = "memory" as const;
  readonly id: string;
  readonly capabilities: TargetCapabilities = {
    crossProcess: false,
    orderedList: true,
    batchDelete: true,
  };
  readonly #store: MemoryStore;
  #closed = false;

  static {
    indexOfTarget = (target) => target.#store.index;
  }

  constructor(options: MemoryTargetOptions = {}) {
    if (options.name !== undefined) {
      if (typeof options.name !== "string" || !/^[A-Za-z0-9_.-]{1,200}$/.test(options.name)) {
        throw new ValidationError(
          "name",
          `memory target: name ${JSON.stringify(options.name)}: expected 1-200 characters of A-Z a-z 0-9 _ . -`,
        );
      }
      let store = named.get(options.name);
      if (!store) {
        store = newStore();
        named.set(options.name, store);
      }
      this.#store = store;
      this.id = `memory:${options.name}`;
    } else {
      this.#store = newStore();
      this.id = `memory:#${++anonymous}`;
    }
  }

  /** Forgets the named store (targets still open on it keep their objects). */
  static drop(name: string): boolean {
    return named.delete(name);
  }

  #open(): MemoryStore {
    if (this.#closed) throw new ClosedError(`memory target ${this.id}: used after close()`);
    return this.#store;
  }

  #put(store: MemoryStore, key: string, data: Uint8Array | null, text: string | null): string {
    const version = String(++versionCounter);
    const objects = store.objects;
    if (!objects.has(key)) store.index.added(key);
    // Bytes are copied (`new Uint8Array`, not `slice`: on a Buffer that is a view of the same
    // memory), so the caller cannot change what is stored through its array.
    objects.set(key, { data: data === null ? null : new Uint8Array(data), text, version });
    return version;
  }

  async read(key: string): Promise<StoredObject | null> {
    const obj = this.#open().objects.get(assertValidKey(key));
    if (!obj) return null;
    // A fresh array either way: a caller that changes it changes only its copy.
    const data = obj.data === null ? Buffer.from(obj.text!, "utf8") : new Uint8Array(obj.data);
    return { data, version: obj.version };
  }

  /**
   * The text fast path (see `StorageTarget.readText`): the stored string itself when it was
   * written as text (immutable, so no copy is needed), else its bytes decoded as UTF-8
   * (a `TypeError` when they are not valid UTF-8).
   */
  async readText(key: string): Promise<{ text: string; version: string } | null> {
    const obj = this.#open().objects.get(assertValidKey(key));
    if (!obj) return null;
    return { text: obj.text ?? decoder.decode(obj.data!), version: obj.version };
  }

  async writeText(key: string, text: string): Promise<string> {
    return this.#put(this.#open(), assertValidKey(key), null, String(text));
  }

  async writeTextIfAbsent(key: string, text: string): Promise<string | null> {
    const store = this.#open();
    if (store.objects.has(assertValidKey(key))) return null;
    return this.#put(store, key, null, String(text));
  }

  async writeTextIfVersion(key: string, text: string, version: string): Promise<string | null> {
    const store = this.#open();
    const obj = store.objects.get(assertValidKey(key));
    if (!obj || obj.version !== version) return null;
    return this.#put(store, key, null, String(text));
  }

  async write(key: string, data: Uint8Array): Promise<string> {
    return this.#put(this.#open(), assertValidKey(key), data, null);
  }

  async writeIfAbsent(key: string, data: Uint8Array): Promise<string | null> {
    const store = this.#open();
    if (store.objects.has(assertValidKey(key))) return null;
    return this.#put(store, key, data, null);
  }

  async writeIfVersion(key: string, data: Uint8Array, version: string): Promise<string | null> {
    const store = this.#open();
    const obj = store.objects.get(assertValidKey(key));
    if (!obj || obj.version !== version) return null;
    return this.#put(store, key, data, null);
  }

  async delete(key: string, version?: string): Promise<boolean> {
    const store = this.#open();
    const obj = store.objects.get(assertValidKey(key));
    if (!obj || (version !== undefined && obj.version !== version)) return false;
    store.objects.delete(key);
    store.index.removed(key);
    return true;
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    const store = this.#open();
    for (const key of keys) {
      if (store.objects.delete(assertValidKey(key))) store.index.removed(key);
    }
  }

  async list(options: ListOptions): Promise<ListPage> {
    const store = this.#open();
    const prefix = assertValidPrefix(options.prefix);
    const limit = options.limit ?? 1000;
    const after = options.cursor ?? options.startAfter;
    const { keys, more } = store.index.list(prefix, after, limit);
    return {
      entries: keys.map((key) => ({ key, version: store.objects.get(key)!.version })),
      cursor: more ? keys[keys.length - 1]! : null,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
