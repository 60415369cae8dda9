/** Messages between {@link runClaimRace} and its child processes. */

/** Parent → child, first message: what to build and how to claim. */
export interface RaceStartMessage {
  type: "start";
  factoryModule: string;
  factoryArg: unknown;
  queue: string;
  batch: number;
  /** Stop after the queue stayed empty this long. */
  idleMs: number;
  workerId: string;
}

/** Parent → child, once every child is ready: start claiming. */
export interface RaceGoMessage {
  type: "go";
}

export type RaceChildMessage =
  | { type: "hello" }
  | { type: "ready" }
  | { type: "done"; completed: string[]; claimed: string[]; lost: string[] }
  | { type: "error"; message: string; stack?: string };

/** What a factory module must export for {@link runClaimRace}. */
export interface RaceFactoryModule {
  createQueue(arg: unknown): unknown;
}
