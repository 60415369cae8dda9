/**
 * The benchmark harness: runs a case N times, keeps the median, prints aligned tables and
 * collects everything for `bench/results/*.json`.
 *
 * A case's function returns one number per run (tasks/s, ms, requests per task). Failures
 * are reported as rows with status `error`, never as zero; a peer whose server is missing
 * is reported with status `skipped` and the reason.
 */

export type Better = "higher" | "lower";
export type CaseStatus = "ok" | "skipped" | "n/a" | "error";

export interface CaseResult {
  suite: string;
  /** What was measured, e.g. "claim+complete 10k one by one". */
  group: string;
  impl: string;
  unit: string;
  better: Better;
  status: CaseStatus;
  /** Median of the runs (null unless status is ok). */
  median: number | null;
  runs: number[];
  /** The 90th percentile, for latency cases (median over runs of each run's p90). */
  p90?: number;
  /** The floor of its group (ratios are given against it). */
  floor?: boolean;
  note?: string;
}

export interface TargetResult {
  suite: string;
  target: string;
  measured: string;
  /** null: could not be evaluated (a case was skipped or failed). */
  met: boolean | null;
}

/** One number per run, plus (for latency) the run's p90. */
export type RunValue = number | { value: number; p90: number };

export interface CaseSpec {
  group: string;
  impl: string;
  unit: string;
  better: Better;
  runs: number;
  floor?: boolean;
  note?: string;
}

/** The results of one suite, in the order they were produced. */
export class Suite {
  readonly cases: CaseResult[] = [];
  readonly targets: TargetResult[] = [];
  readonly notes: string[] = [];

  constructor(readonly name: string) {}

  /** Runs `fn` `spec.runs` times (sequentially) and records the median. */
  async run(spec: CaseSpec, fn: (run: number) => Promise<RunValue>): Promise<CaseResult> {
    const values: number[] = [];
    const p90s: number[] = [];
    const label = `${this.name} · ${spec.group} · ${spec.impl}`;
    try {
      for (let i = 0; i < spec.runs; i++) {
        const v = await fn(i);
        if (typeof v === "number") values.push(v);
        else {
          values.push(v.value);
          p90s.push(v.p90);
        }
        progress(`${label}: run ${i + 1}/${spec.runs} = ${formatValue(values.at(-1)!, spec.unit)}`);
      }
    } catch (err) {
      const message = errorMessage(err);
      progress(`${label}: ERROR ${message}`);
      return this.add({ ...base(this.name, spec), status: "error", note: message });
    }
    const result: CaseResult = {
      ...base(this.name, spec),
      status: "ok",
      median: median(values),
      runs: values,
    };
    if (p90s.length > 0) result.p90 = median(p90s);
    return this.add(result);
  }

  /** Records a case that did not run (no server, no such API, not built yet). */
  skip(spec: Omit<CaseSpec, "runs">, status: "skipped" | "n/a", note: string): CaseResult {
    progress(`${this.name} · ${spec.group} · ${spec.impl}: ${status} (${note})`);
    return this.add({ ...base(this.name, { ...spec, runs: 0 }), status, note });
  }

  add(result: CaseResult): CaseResult {
    this.cases.push(result);
    return result;
  }

  find(group: string, impl: string): CaseResult | undefined {
    return this.cases.find((c) => c.group === group && c.impl.startsWith(impl));
  }

  /** Records whether a target is met; `value` null means it could not be measured. */
  target(target: string, value: number | null, ok: (v: number) => boolean, shown: string): void {
    this.targets.push({
      suite: this.name,
      target,
      measured: value === null ? "not measured" : shown,
      met: value === null || !Number.isFinite(value) ? null : ok(value),
    });
  }
}

function base(suite: string, spec: CaseSpec): CaseResult {
  const out: CaseResult = {
    suite,
    group: spec.group,
    impl: spec.impl,
    unit: spec.unit,
    better: spec.better,
    status: "ok",
    median: null,
    runs: [],
  };
  if (spec.floor) out.floor = true;
  if (spec.note) out.note = spec.note;
  return out;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank]!;
}

export function errorMessage(err: unknown): string {
  const m = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return m.split("\n")[0]!.slice(0, 160);
}

/** Progress goes to stderr so that stdout holds only the tables. */
export function progress(line: string): void {
  process.stderr.write(`  … ${line}\n`);
}

export function formatValue(v: number, unit: string): string {
  if (unit === "tasks/s") return Math.round(v).toLocaleString("en-US");
  if (unit === "ms")
    return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toString();
  return v.toFixed(2);
}

function formatRuns(c: CaseResult): string {
  if (c.runs.length <= 1) return "";
  return c.runs.map((v) => compact(v, c.unit)).join(" ");
}

function compact(v: number, unit: string): string {
  if (unit === "tasks/s") return v >= 1000 ? `${(v / 1000).toFixed(1)}k` : Math.round(v).toString();
  return formatValue(v, unit);
}

/** `a` compared with `b` as "how many times better a is" (>1: a is better). */
export function advantage(a: number, b: number, better: Better): number {
  return better === "higher" ? a / b : b / a;
}

function ratio(x: number): string {
  return x >= 100 ? `${Math.round(x)}×` : x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`;
}

/** Renders rows as an aligned text table; numeric-looking cells are right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const right = headers.map((_, i) => rows.some((r) => /^[\d.,]+( ?[k×%])?$/.test(r[i] ?? "")));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** The table of one group: median, p90 (latency), vs floor, OmniQ's advantage, the runs. */
export function groupTable(cases: readonly CaseResult[]): string {
  const first = cases[0]!;
  const floor = cases.find((c) => c.floor && c.status === "ok");
  const omniq = cases.find((c) => c.impl.startsWith("OmniQ") && c.status === "ok");
  const hasP90 = cases.some((c) => c.p90 !== undefined);
  const headers = ["impl", `median ${first.unit}`];
  if (hasP90) headers.push("p90");
  if (floor) headers.push("vs floor");
  if (omniq) headers.push("OmniQ ×");
  headers.push("runs", "note");
  const rows = cases.map((c) => {
    const ok = c.status === "ok" && c.median !== null;
    const row = [c.impl, ok ? formatValue(c.median!, c.unit) : c.status];
    if (hasP90) row.push(c.p90 !== undefined ? formatValue(c.p90, c.unit) : "");
    if (floor) row.push(ok ? ratio(advantage(c.median!, floor.median!, c.better)) : "");
    if (omniq) row.push(ok ? ratio(advantage(omniq.median!, c.median!, c.better)) : "");
    row.push(formatRuns(c), c.note ?? "");
    return row;
  });
  const better = first.better === "higher" ? "higher is better" : "lower is better";
  return `${first.group} (${first.unit}, ${better})\n${table(headers, rows)}`;
}

/** Every group of a suite, then its targets. */
export function suiteReport(suite: Suite): string {
  const groups = new Map<string, CaseResult[]>();
  for (const c of suite.cases) {
    const list = groups.get(c.group) ?? [];
    list.push(c);
    groups.set(c.group, list);
  }
  const parts = [`=== ${suite.name} ===`];
  for (const list of groups.values()) parts.push(groupTable(list));
  if (suite.targets.length > 0) {
    const rows = suite.targets.map((t) => [
      t.target,
      t.measured,
      t.met === null ? "n/a" : t.met ? "met" : "MISSED",
    ]);
    parts.push(`targets\n${table(["target", "measured", "result"], rows)}`);
  }
  for (const n of suite.notes) parts.push(`note: ${n}`);
  return parts.join("\n\n");
}
