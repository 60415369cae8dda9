/**
 * The conformance suites every backend runs (vitest), and the cross-process claim race.
 *
 * @example
 * ```ts
 * import { queueConformance, resultStorageConformance } from "@omniq/core/testing";
 * queueConformance({ name: "memory", create: () => new AsyncMemoryQueue() });
 * resultStorageConformance({ name: "memory", create: () => new AsyncMemoryResultStorage() });
 * ```
 */
export {
  type BlockingQueueConformanceOptions,
  type BlockingTaskQueue,
  blockingQueueConformance,
  type QueueConformanceOptions,
  type QueueUnderTest,
  queueConformance,
} from "./queue-conformance.js";
export {
  type BlockingResultStorage,
  type BlockingResultStorageConformanceOptions,
  blockingResultStorageConformance,
  type ResultStorageConformanceOptions,
  type ResultStorageUnderTest,
  resultStorageConformance,
} from "./result-conformance.js";
export {
  type BlockingEventStorage,
  type BlockingEventStorageConformanceOptions,
  blockingEventStorageConformance,
  type EventStorageConformanceOptions,
  type EventStorageUnderTest,
  eventStorageConformance,
} from "./event-conformance.js";
export {
  type ClaimRaceOptions,
  type ClaimRaceResult,
  type RaceFactoryModule,
  runClaimRace,
} from "./claim-race.js";
export {
  type AsyncOrBlocking,
  type Awaitable,
  caught,
  collectPages,
  expectError,
} from "./conformance-kit.js";
