import { setTimeout as sleep } from "node:timers/promises";

interface Report {
  id: string;
  status: string;
  attempts: number;
  result: { kind: string; total: number } | null;
  error: string | null;
  events: Array<{ type: string }>;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/reports`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Drives the API as a client: enqueue three reports, poll until done, check every answer. */
export async function selfCheck(url: string): Promise<void> {
  const ids: string[] = [];
  for (const body of [{ kind: "sales", days: 30 }, { kind: "signups" }, { kind: "weather" }]) {
    const res = await post(url, body);
    check(res.status === 202, `POST /reports ${JSON.stringify(body)}: status ${res.status}`);
    const { id } = (await res.json()) as { id: string };
    check(res.headers.get("location") === `/reports/${id}`, "POST /reports: bad Location header");
    console.log(`POST /reports ${JSON.stringify(body)} -> 202 ${id}`);
    ids.push(id);
  }
  check((await post(url, { days: 3 })).status === 400, "POST without kind: expected 400");
  const missing = await fetch(`${url}/reports/${crypto.randomUUID()}`);
  check(missing.status === 404, `GET unknown id: expected 404, got ${missing.status}`);

  const deadline = Date.now() + 15_000;
  let reports: Report[] = [];
  do {
    await sleep(100);
    reports = await Promise.all(
      ids.map(async (id) => (await fetch(`${url}/reports/${id}`)).json() as Promise<Report>),
    );
    console.log(`GET  /reports/:id -> ${reports.map((r) => r.status).join(", ")}`);
  } while (
    reports.some((r) => r.status === "pending" || r.status === "running") &&
    Date.now() < deadline
  );

  const [sales, signups, weather] = reports as [Report, Report, Report];
  check(
    sales.status === "success" && sales.result?.total === 37035,
    `sales: ${JSON.stringify(sales)}`,
  );
  check(
    signups.status === "success" && signups.result?.kind === "signups",
    "signups did not succeed",
  );
  const types = sales.events.map((e) => e.type);
  for (const t of ["enqueued", "started", "progress", "succeeded"]) {
    check(types.includes(t), `sales: no ${t} event in ${types.join(",")}`);
  }
  check(
    weather.status === "failed" &&
      weather.attempts === 1 &&
      /unknown report kind/.test(weather.error ?? ""),
    `weather: expected failed once (unrecoverable), got ${JSON.stringify(weather)}`,
  );
  console.log(`sales report: ${JSON.stringify(sales.result)}; events: ${types.join(" > ")}`);
  console.log(`weather report: ${weather.status}: ${weather.error}`);
}
