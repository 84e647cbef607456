// Copyright 2026 the desync authors. MIT license.
// Focused workloads for CPU profiles of desync's hot paths, and a summary of
// a profile's self time by function.
//
//   deno run --cpu-prof --cpu-prof-dir=.bench-out/profiles bench/profile.ts run burst
//   deno run --allow-read bench/profile.ts summary .bench-out/profiles/CPU.*.cpuprofile
//
// Workloads (each repeats one desync case of the suite for about two seconds):
//   burst     d.desync(work) × 10,000, await d.futureSync(work)
//   burst100k the same with 100,000 jobs
//   roundtrip await d.futureSync(work) per job
//   future    await d.futureDesync(work) per job
//   sync      d.sync(work) on an idle object
//   trysync   d.trySync(work) on an idle object
//   async     d.desync(workAsync) × 10,000, await d.futureSync(workAsync)

import { Desync } from "../mod.ts";
import { state, work, workAsync } from "./_shared.ts";

const SECONDS = 2;

type Workload = (d: Desync<{ count: number }>) => Promise<void> | void;

const WORKLOADS: Record<string, Workload> = {
  async burst(d) {
    for (let i = 1; i < 10_000; i++) d.desync(work);
    await d.futureSync(work);
  },
  async burst100k(d) {
    for (let i = 1; i < 100_000; i++) d.desync(work);
    await d.futureSync(work);
  },
  async roundtrip(d) {
    for (let i = 0; i < 10_000; i++) await d.futureSync(work);
  },
  async future(d) {
    for (let i = 0; i < 10_000; i++) await d.futureDesync(work);
  },
  sync(d) {
    for (let i = 0; i < 10_000; i++) d.sync(work);
  },
  trysync(d) {
    for (let i = 0; i < 10_000; i++) d.trySync(work);
  },
  async async(d) {
    for (let i = 1; i < 10_000; i++) d.desync(workAsync);
    await d.futureSync(workAsync);
  },
};

async function run(name: string): Promise<void> {
  const workload = WORKLOADS[name];
  if (workload === undefined) {
    throw new Error(`unknown workload "${name}"; one of ${Object.keys(WORKLOADS).join(", ")}`);
  }
  const d = new Desync(state);
  const end = performance.now() + SECONDS * 1_000;
  let rounds = 0;
  while (performance.now() < end) {
    await workload(d);
    rounds++;
  }
  console.log(`${name}: ${rounds} rounds in ${SECONDS} s, ${state.count} jobs`);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function summary(file: string, top = 20): void {
  const profile = JSON.parse(Deno.readTextFileSync(file)) as Profile;
  const frames = new Map<number, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === "" ? "" : ` ${url.replace(/^.*\//, "")}:${lineNumber + 1}`;
    frames.set(node.id, `${functionName === "" ? "(anonymous)" : functionName}${where}`);
  }
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = frames.get(profile.samples[i]) ?? "?";
    const delta = profile.timeDeltas[i] ?? 0;
    self.set(frame, (self.get(frame) ?? 0) + delta);
    total += delta;
  }
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top);
  console.log(`${file}: ${(total / 1e3).toFixed(0)} ms sampled; self time by function`);
  for (const [frame, micros] of rows) {
    console.log(`${(100 * micros / total).toFixed(1).padStart(5)}%  ${frame}`);
  }
}

if (import.meta.main) {
  const [command, argument] = Deno.args;
  if (command === "run") await run(argument);
  else if (command === "summary") summary(argument);
  else throw new Error("usage: profile.ts run <workload> | summary <file.cpuprofile>");
}
