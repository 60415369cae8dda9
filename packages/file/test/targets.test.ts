import { configureSingle, fs, InMemory } from "@zenfs/core";
import { beforeAll } from "vitest";
import { LocalTarget, MemoryTarget, ZenFsTarget } from "../src/index.js";
import { tempDir } from "./helpers.js";
import { targetConformance } from "./target-conformance.js";

beforeAll(async () => {
  await configureSingle({ backend: InMemory });
});

let n = 0;
targetConformance("memory", () => new MemoryTarget(), { crossProcess: false });
targetConformance("local", () => new LocalTarget({ baseDir: tempDir("t") }), {
  crossProcess: true,
});
targetConformance("zenfs", () => new ZenFsTarget({ fs: fs.promises, baseDir: `/t-${++n}` }), {
  crossProcess: false,
});
