// Runs a blocking FileQueue (the worker-thread twin, from the BUILT package) on the cloud
// target given as argv[2] = JSON { url, storageOptions }, and prints what it saw as JSON.
// A child process, because the blocking call parks its thread with Atomics.wait and the test
// servers for S3 and GCS answer from the test runner's own event loop.
import { FileQueue } from "../dist/index.js";

const { url, storageOptions } = JSON.parse(process.argv[2]);
const queue = new FileQueue({ url, storageOptions });
try {
  const task = queue.enqueue({ name: "blocking.check", args: [1] });
  const stored = queue.get(task.id);
  const claimed = queue.dequeue({ queues: ["default"], workerId: "child", leaseMs: 10_000 });
  process.stdout.write(
    JSON.stringify({
      enqueued: task.id,
      stored: stored?.status,
      claimed: claimed?.id,
      status: claimed?.status,
    }),
  );
} finally {
  queue.close();
}
