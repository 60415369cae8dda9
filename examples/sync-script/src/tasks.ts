// The handlers. The blocking OmniQ runs in a worker thread and imports this module there
// (functions cannot cross threads); each named export is a task of that name.
import type { TaskContext } from "@omniq/core";

export function invoiceTotal(lines: Array<{ qty: number; price: number }>): number {
  return lines.reduce((sum, l) => sum + l.qty * l.price, 0);
}

export function slugify(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

export function flaky(name: string, ctx: TaskContext): string {
  if (ctx.attempt < 2) throw new Error(`${name}: service unavailable`);
  return `${name} answered on attempt ${ctx.attempt}`;
}
