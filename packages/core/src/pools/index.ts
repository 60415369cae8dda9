export { WorkerCrashedError, type WorkerCrashDetails } from "./worker-crashed-error.js";
export type { PoolExecutorOptions, PoolStats } from "./pool-executor.js";
export type { PoolTaskContext } from "./pool-runtime.js";
export { ThreadPoolExecutor, type ThreadPoolExecutorOptions } from "./thread-pool-executor.js";
export { ProcessPoolExecutor, type ProcessPoolExecutorOptions } from "./process-pool-executor.js";
