import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "./app.js";
import { selfCheck } from "./self-check.js";

if (process.env.OMNIQ_EXAMPLE_CI !== "1") {
  // Serve until Ctrl-C; the database stays in ./omniq-web.db.
  const app = await createApp(process.env.OMNIQ_DB ?? "omniq-web.db");
  const url = await app.listen({ host: "127.0.0.1", port: Number(process.env.PORT ?? 3000) });
  console.log(`\nreports API on ${url}
  curl -i -X POST ${url}/reports -H 'content-type: application/json' -d '{"kind":"sales","days":30}'
  curl ${url}/reports/<id>\n`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void app.close());
} else {
  // CI: serve on a free port, call the API like a client would, check the answers, exit.
  const dir = mkdtempSync(join(tmpdir(), "omniq-web-"));
  const app = await createApp(join(dir, "omniq.db"));
  try {
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    await selfCheck(url);
    console.log("web-app: self-check passed");
  } catch (err) {
    console.error("web-app FAILED:", err instanceof Error ? err.message : err);
    process.exitCode = 1;
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
