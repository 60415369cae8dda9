import { Storage } from "@google-cloud/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GcsServer, startGcs } from "../src/index.js";

const BUCKET = "omniq-batch";

/** A batch body as Google documents it: `application/http` parts with path-only requests. */
function batchBody(boundary: string, parts: { id?: string; request: string }[]): string {
  let body = "";
  for (const part of parts) {
    body += `--${boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n`;
    if (part.id !== undefined) body += `Content-ID: ${part.id}\r\n`;
    body += `\r\n${part.request}\r\n`;
  }
  return `${body}--${boundary}--\r\n`;
}

interface Answer {
  contentId: string | undefined;
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits a `multipart/mixed` batch response into its nested HTTP responses. */
function parseAnswer(contentType: string, text: string): Answer[] {
  const boundary = /boundary=([^;\s]+)/.exec(contentType)?.[1] as string;
  const answers: Answer[] = [];
  for (const section of text.split(`--${boundary}`).slice(1)) {
    if (section.startsWith("--")) break;
    const [partHead = "", ...rest] = section.replace(/^\r\n/, "").split("\r\n\r\n");
    const nested = rest.join("\r\n\r\n");
    const [head = "", ...bodyParts] = nested.split("\r\n\r\n");
    const [statusLine = "", ...headerLines] = head.split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    answers.push({
      contentId: /Content-ID: (.+)/i.exec(partHead)?.[1]?.trim(),
      status: Number(statusLine.split(" ")[1]),
      headers,
      body: bodyParts.join("\r\n\r\n").replace(/\r\n$/, ""),
    });
  }
  return answers;
}

describe("GCS test server: POST /batch/storage/v1", () => {
  let gcs: GcsServer;
  let storage: Storage;

  beforeAll(async () => {
    gcs = await startGcs();
    storage = new Storage({ apiEndpoint: gcs.apiEndpoint, projectId: gcs.projectId });
    await gcs.bucket(BUCKET);
  });

  afterAll(async () => {
    await gcs?.stop();
  });

  async function batch(
    parts: { id?: string; request: string }[],
    query = "",
  ): Promise<{ status: number; contentType: string; text: string }> {
    const boundary = "===============7330845974216740156==";
    const res = await fetch(`${gcs.apiEndpoint}/batch/storage/v1${query}`, {
      method: "POST",
      headers: { "content-type": `multipart/mixed; boundary="${boundary}"` },
      body: batchBody(boundary, parts),
    });
    return {
      status: res.status,
      contentType: res.headers.get("content-type") ?? "",
      text: await res.text(),
    };
  }

  it("runs each DELETE as its own request: 204 deleted, 404 missing, answers in order with response-IDs", async () => {
    const file = (name: string) => storage.bucket(BUCKET).file(name);
    await file("del/a.json").save("a", { resumable: false });
    await file("del/b c.json").save("b", { resumable: false });
    gcs.resetRequestCount();
    const res = await batch([
      { id: "<b29c5de2+1>", request: `DELETE /storage/v1/b/${BUCKET}/o/del%2Fa.json HTTP/1.1` },
      {
        id: "<b29c5de2+2>",
        request: `DELETE /storage/v1/b/${BUCKET}/o/del%2Fmissing.json HTTP/1.1`,
      },
      { id: "3", request: `DELETE /storage/v1/b/${BUCKET}/o/del%2Fb%20c.json HTTP/1.1` },
      { request: `DELETE /storage/v1/b/no-such-bucket/o/x HTTP/1.1` },
    ]);
    expect(gcs.requestCount()).toBe(1);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^multipart\/mixed; boundary=batch_\w+$/);
    const answers = parseAnswer(res.contentType, res.text);
    expect(answers.map((a) => [a.contentId, a.status])).toEqual([
      ["<response-b29c5de2+1>", 204],
      ["<response-b29c5de2+2>", 404],
      ["response-3", 204],
      [undefined, 404],
    ]);
    expect(JSON.parse(answers[1]?.body ?? "").error.message).toBe(
      `No such object: ${BUCKET}/del/missing.json`,
    );
    expect(JSON.parse(answers[3]?.body ?? "").error.message).toMatch(/bucket does not exist/);
    expect((await file("del/a.json").exists())[0]).toBe(false);
    expect((await file("del/b c.json").exists())[0]).toBe(false);
  });

  it("nested requests use the normal routes: preconditions, metadata GETs, JSON bodies; outer query applies", async () => {
    const file = storage.bucket(BUCKET).file("meta.json");
    await file.save("x", { resumable: false });
    const [meta] = await file.getMetadata();
    const res = await batch(
      [
        {
          id: "<1>",
          request: `DELETE /storage/v1/b/${BUCKET}/o/meta.json?ifGenerationMatch=1 HTTP/1.1`,
        },
        { id: "<2>", request: `GET /storage/v1/b/${BUCKET}/o/meta.json HTTP/1.1` },
        {
          id: "<3>",
          request:
            `PATCH /storage/v1/b/${BUCKET}/o/meta.json HTTP/1.1\r\n` +
            "Content-Type: application/json\r\n\r\n" +
            '{"metadata":{"k":"v"}}',
        },
      ],
      // Applies to every part that does not set it: the metageneration must be 1.
      "?ifMetagenerationMatch=1",
    );
    const answers = parseAnswer(res.contentType, res.text);
    expect(answers.map((a) => a.status)).toEqual([412, 200, 200]);
    expect(JSON.parse(answers[1]?.body ?? "").generation).toBe(meta.generation);
    expect(answers[1]?.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(answers[2]?.body ?? "").metadata).toEqual({ k: "v" });
  });

  it("refuses uploads and media downloads inside a batch (per part), as Google documents", async () => {
    const res = await batch([
      {
        id: "<1>",
        request: `POST /upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=u HTTP/1.1`,
      },
      { id: "<2>", request: `GET /storage/v1/b/${BUCKET}/o/meta.json?alt=media HTTP/1.1` },
      { id: "<3>", request: "not an http request" },
    ]);
    expect(res.status).toBe(200);
    expect(parseAnswer(res.contentType, res.text).map((a) => a.status)).toEqual([400, 400, 400]);
  });

  it("more than 100 calls, no parts, or a body that is not multipart/mixed is a 400", async () => {
    const many = Array.from({ length: 101 }, (_, i) => ({
      id: `<${i}>`,
      request: `DELETE /storage/v1/b/${BUCKET}/o/m${i} HTTP/1.1`,
    }));
    const tooMany = await batch(many);
    expect(tooMany.status).toBe(400);
    expect(tooMany.text).toMatch(/101 parts; at most 100/);
    const hundred = await batch(many.slice(0, 100));
    expect(hundred.status).toBe(200);
    expect(parseAnswer(hundred.contentType, hundred.text)).toHaveLength(100);
    expect((await batch([])).status).toBe(400);
    const json = await fetch(`${gcs.apiEndpoint}/batch/storage/v1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(json.status).toBe(400);
    const get = await fetch(`${gcs.apiEndpoint}/batch/storage/v1`);
    expect(get.status).toBe(405);
  });
});
