// Copyright 2026 the desync authors. MIT license.
// What bench/worker.ts and bench/worker_anchors.ts share: the same script runs
// on Deno, Node (bundled) and Bun, so nothing here may use Deno's globals
// without a fallback.

type Globals = {
  Deno?: { args: string[]; env: { get(n: string): string | undefined }; version: { deno: string } };
  Bun?: { version: string };
  process?: { argv: string[]; env: Record<string, string | undefined>; version: string };
};
const g = globalThis as Globals;

/** An environment variable, on any runtime. */
export const env = (name: string): string | undefined =>
  g.process?.env[name] ?? g.Deno?.env.get(name);

/** The script's arguments, on any runtime. */
export const args: string[] = g.Deno?.args ?? g.process?.argv.slice(2) ?? [];

/** The value of `--name=value`, if given. */
export const option = (name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/** "Deno 2.x", "Bun 1.x" or "Node v20.x". */
export const runtime: string = g.Deno
  ? `Deno ${g.Deno.version.deno}`
  : g.Bun
  ? `Bun ${g.Bun.version}`
  : `Node ${g.process!.version}`;

export const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `median unit [min..max]`. */
export const fmt = (xs: number[], unit: string, digits = 1): string =>
  `${median(xs).toFixed(digits)}${unit ? " " + unit : ""} [${Math.min(...xs).toFixed(digits)}..${
    Math.max(...xs).toFixed(digits)
  }]`;

/** node:worker_threads' Worker, the little of it these scripts use. */
export type NodeWorker = {
  on(e: string, l: (m: unknown) => void): void;
  postMessage(m: unknown): void;
  terminate(): Promise<number>;
};

/** node:worker_threads, on Node and Bun (undefined where `process.getBuiltinModule` is missing). */
export function nodeThreads():
  | { Worker: new (url: URL, options?: unknown) => NodeWorker; parentPort: unknown }
  | undefined {
  return (globalThis as { process?: { getBuiltinModule?(n: string): unknown } }).process
    ?.getBuiltinModule?.("node:worker_threads") as never;
}

/**
 * A worker that runs `source` (a script body that reads messages with
 * `onMessage(handler)` and answers with `reply(value)`), as a web Worker where
 * there is one (Deno, Bun) and through node:worker_threads otherwise (Node).
 */
export function scriptWorker(
  source: string,
  onMessage: (data: unknown) => void,
): { post(m: unknown): void; stop(): Promise<unknown> } {
  const url = "data:text/javascript," + encodeURIComponent(
    `const t = globalThis.process?.getBuiltinModule?.("node:worker_threads");
     const node = t !== undefined && t.workerData === "script";
     const reply = node ? (m) => t.parentPort.postMessage(m) : (m) => postMessage(m);
     const onMessage = (f) => node ? t.parentPort.on("message", f) : (onmessage = (e) => f(e.data));
     ${source}`,
  );
  const WebWorker = (globalThis as { Worker?: typeof Worker }).Worker;
  if (typeof WebWorker === "function") {
    const worker = new WebWorker(url, { type: "module" });
    worker.onmessage = (event) => onMessage(event.data);
    return {
      post: (m) => worker.postMessage(m),
      stop: () => Promise.resolve(worker.terminate()),
    };
  }
  const worker = new (nodeThreads()!.Worker)(new URL(url), { workerData: "script" });
  worker.on("message", onMessage);
  return { post: (m) => worker.postMessage(m), stop: () => worker.terminate() };
}
