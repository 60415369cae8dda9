import { afterEach, describe, expect, it } from "vitest";
import { AsyncMemoryQueue, type ListOptions } from "../src/index.js";

const queues: AsyncMemoryQueue[] = [];
afterEach(async () => {
  for (const q of queues.splice(0)) await q.close();
});
function make(): AsyncMemoryQueue {
  const q = new AsyncMemoryQueue();
  queues.push(q);
  return q;
}

describe("queue filters reject unknown keys", () => {
  it("list/count: `status` (a JS caller's typo) names the key and suggests `statuses`", async () => {
    const q = make();
    await q.enqueue({ name: "n" });
    const typo = { status: "success" } as unknown as ListOptions;
    await expect(q.list(typo)).rejects.toMatchObject({
      name: "ValidationError",
      field: "status",
      message: expect.stringMatching(/unknown option "status"; did you mean "statuses"\?/),
    });
    await expect(q.count(typo)).rejects.toMatchObject({ name: "ValidationError", field: "status" });
  });

  it("statuses must be an array of known statuses", async () => {
    const q = make();
    await expect(q.count({ statuses: ["sucess"] } as unknown as ListOptions)).rejects.toMatchObject(
      {
        field: "statuses[0]",
        message: expect.stringMatching(/did you mean "success"\?/),
      },
    );
    await expect(q.list({ statuses: "success" } as unknown as ListOptions)).rejects.toMatchObject({
      field: "statuses",
      message: expect.stringMatching(/use statuses: \["success"\]/),
    });
    await expect(q.count(null as unknown as ListOptions)).rejects.toMatchObject({
      name: "ValidationError",
    });
  });

  it("purge: unknown keys and bad values are errors; nothing is deleted", async () => {
    const q = make();
    const t = await q.enqueue({ name: "n" });
    await q.dequeue({ workerId: "w" });
    await q.complete(t.id, "w");
    await expect(q.purge({ status: ["success"] } as never)).rejects.toMatchObject({
      field: "status",
      message: expect.stringMatching(/did you mean "statuses"/),
    });
    await expect(q.purge({ before: new Date() } as never)).rejects.toMatchObject({
      field: "before",
    });
    await expect(q.purge({ finishedBefore: "yesterday" } as never)).rejects.toMatchObject({
      field: "finishedBefore",
    });
    expect(await q.count()).toBe(1);
    expect(await q.purge({ statuses: ["success"] })).toBe(1);
  });

  it("known keys, keys set to undefined, and list's paging keys in count are accepted", async () => {
    const q = make();
    await q.enqueue({ name: "n" });
    const options = {
      queue: "default",
      statuses: ["pending" as const],
      limit: 5,
      cursor: undefined,
    };
    expect((await q.list(options)).items).toHaveLength(1);
    expect(await q.count(options)).toBe(1);
    expect(await q.count({ name: "n", status: undefined } as ListOptions)).toBe(1);
  });
});
