import type { TaskResult } from "@omniq/core";

/**
 * A compact live status line: redrawn in place on a terminal, one plain line per finished
 * task otherwise (CI logs, pipes).
 */
export class Progress {
  readonly #tty = process.stdout.isTTY === true;
  readonly #total: number;
  #ok = 0;
  #failed = 0;

  constructor(total: number) {
    this.#total = total;
  }

  /** Reports `result` when it arrives and passes it on. */
  async track<R>(label: string, result: Promise<TaskResult<R>>): Promise<TaskResult<R>> {
    const r = await result;
    if (r.status === "success") this.#ok++;
    else this.#failed++;
    const outcome =
      r.status === "success"
        ? `ok (${JSON.stringify(r.value)})`
        : `failed: ${r.error?.kind ?? r.error?.name}`;
    const line = `[${this.#ok + this.#failed}/${this.#total}] ${this.#ok} ok, ${this.#failed} failed | ${label} ${outcome} after ${r.attempts} attempt(s)`;
    if (this.#tty) process.stdout.write(`\r\x1b[K${line}`);
    else console.log(line);
    return r;
  }

  end(): void {
    if (this.#tty) process.stdout.write("\n");
  }
}
