import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

function tryConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Polls until `host:port` accepts TCP connections, or throws after `timeoutMs`. */
export async function waitForPort(host: string, port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await tryConnect(host, port))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${host}:${port}`);
    await sleep(50);
  }
}
