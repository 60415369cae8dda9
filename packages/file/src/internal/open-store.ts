import { openTarget, type FileTargetOptions, type TargetHandle } from "../target-options.js";
import { corruptReporter, JsonStore } from "./json-store.js";
import { acquireState, releaseState, type StoreState } from "./store-state.js";

/** An opened target with its JSON layer and shared state; `release()` undoes `openShared()`. */
export interface SharedStore {
  handle: TargetHandle;
  json: JsonStore;
  state: StoreState;
  release(): Promise<void>;
}

export async function openShared(
  options: FileTargetOptions,
  component: string,
): Promise<SharedStore> {
  const handle = await openTarget(options);
  const state = acquireState(handle.target.id);
  let released = false;
  return {
    handle,
    json: new JsonStore(handle.target, corruptReporter(component, options.logger)),
    state,
    async release() {
      if (released) return;
      released = true;
      releaseState(handle.target.id, state);
      if (handle.owned) await handle.target.close();
    },
  };
}
