import { litequeStorage } from "./liteque-storage.js";
import { omniqStorage } from "./omniq-storage.js";
import { plainjobStorage } from "./plainjob-storage.js";
import { rawFloor } from "./raw-floor.js";
import type { StorageImpl } from "./storage-impl.js";

/** Every storage-level implementation, floor first. */
export const STORAGE_IMPLS: readonly StorageImpl[] = [
  rawFloor,
  omniqStorage,
  plainjobStorage,
  litequeStorage,
];

export function storageImpl(key: string): StorageImpl {
  const impl = STORAGE_IMPLS.find((i) => i.key === key);
  if (!impl) throw new Error(`bench: no storage implementation ${JSON.stringify(key)}`);
  return impl;
}
