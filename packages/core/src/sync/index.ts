export { type BlockingClass, blockingClass } from "./blocking-class.js";
export { type BlockingHandle, type BlockingOptions, createBlocking } from "./create-blocking.js";
export type { BlockingSpec } from "./protocol.js";
