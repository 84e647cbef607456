// Copyright 2026 the desync authors. MIT license.
// The test adapters' worker plumbing (runtimes/worker_entries.ts), without the
// library's worker layer: a worker entry fixture named the one portable way,
// new URL("./fixtures/….worker.ts", import.meta.url), loads and answers on
// every runtime that has workers (Deno, Bun: the .ts; Node: its .mjs bundle
// through node:worker_threads; Chromium: its bundle, served by the page's
// origin), and a missing one fails to load with an error instead of hanging.
// Tests named "worker: …" are skipped on workerd, which has no Worker
// (runtimes/skips.ts).

import assert from "node:assert/strict";

const PROBE = new URL("./fixtures/_adapter_probe.worker.ts", import.meta.url);
// Deliberately missing (a name with "missing" in it draws no build note).
const MISSING = new URL("./fixtures/_missing.worker.ts", import.meta.url);
/** The fixture reads it as workerData to pick node:worker_threads' parentPort. */
const NODE_MARKER = "desync-adapter-probe";
/** Well under the runners' own timeouts, so that a lost message fails with a clear message. */
const REPLY_TIMEOUT_MS = 20_000;

interface Reply {
  id: number;
  total: number;
  channel: "web" | "worker_threads";
  url: string;
  sharedArrayBuffer: string;
  crossOriginIsolated: boolean | undefined;
}

interface Started {
  /** "web" (global Worker: Deno, Bun, Chromium) or "worker_threads" (Node). */
  channel: Reply["channel"];
  send(message: unknown): void;
  /** The next message; rejects when the worker failed (error event, exit) or on timeout. */
  next(): Promise<unknown>;
  stop(): Promise<void>;
}

interface WebWorker {
  postMessage(message: unknown): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
  terminate(): void;
}
interface NodeWorker {
  postMessage(message: unknown): void;
  on(event: string, listener: (value: unknown) => void): void;
  terminate(): Promise<number>;
}

/** Starts `url` as a module worker the way each runtime offers (as the library does). */
function start(url: URL): Started {
  const inbox: unknown[] = [];
  let failure: Error | undefined;
  let wake = () => {};
  const push = (message: unknown) => {
    inbox.push(message);
    wake();
  };
  const fail = (error: Error) => {
    failure ??= error;
    wake();
  };
  const next = async (): Promise<unknown> => {
    const deadline = Date.now() + REPLY_TIMEOUT_MS;
    while (inbox.length === 0) {
      if (failure !== undefined) throw failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message from ${url.href} in ${REPLY_TIMEOUT_MS} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
    return inbox.shift();
  };
  const Worker = (globalThis as {
    Worker?: new (url: URL, options: { type: "module" }) => WebWorker;
  }).Worker;
  if (typeof Worker === "function") {
    // Listeners attached synchronously: Deno can drop a first message otherwise.
    const worker = new Worker(url, { type: "module" });
    worker.addEventListener("message", (event) => push((event as MessageEvent).data));
    worker.addEventListener("error", (event) => {
      event.preventDefault(); // Deno: else the error kills the test process
      const message = (event as ErrorEvent).message;
      fail(new Error(`error event (${event.constructor.name}): ${message ?? "no message"}`));
    });
    worker.addEventListener("messageerror", () => fail(new Error("messageerror")));
    return {
      channel: "web",
      send: (message) => worker.postMessage(message),
      next,
      stop: () => Promise.resolve(worker.terminate()),
    };
  }
  const threads = (globalThis as {
    process?: { getBuiltinModule?: (id: string) => unknown };
  }).process?.getBuiltinModule?.("node:worker_threads") as
    | { Worker: new (url: URL, options: { workerData: unknown }) => NodeWorker }
    | undefined;
  if (threads === undefined) throw new Error("this runtime has no Worker and no worker_threads");
  const worker = new threads.Worker(url, { workerData: NODE_MARKER });
  worker.on("message", push);
  worker.on("error", (error) => fail(error as Error));
  worker.on("exit", (code) => fail(new Error(`the worker exited with code ${code}`)));
  return {
    channel: "worker_threads",
    send: (message) => worker.postMessage(message),
    next,
    stop: async () => void await worker.terminate(),
  };
}

/** Starts the probe, waits for its "ready", and sends it `adds` one after the other. */
async function askProbe(adds: number[]): Promise<{ channel: string; replies: Reply[] }> {
  const probe = start(PROBE);
  try {
    assert.equal(await probe.next(), "ready");
    adds.forEach((add, id) => probe.send({ id, add }));
    const replies: Reply[] = [];
    for (const _ of adds) replies.push(await probe.next() as Reply);
    return { channel: probe.channel, replies };
  } finally {
    await probe.stop();
  }
}

// Not named "worker: …": it starts no worker, so it runs on workerd too, where
// the URL has no import.meta.url to resolve against and only has to be valid.
Deno.test("worker entry URL: names the fixture's .ts or its own bundle on every runtime", () => {
  for (const [url, name] of [[PROBE, "_adapter_probe"], [MISSING, "_missing"]] as const) {
    assert.ok(url instanceof URL);
    assert.match(url.pathname, new RegExp(`/${name}\\.worker\\.(ts|mjs|js)$`));
    // Deno, Bun: the fixture itself; Node: the .mjs bundle (node:worker_threads runs no .ts).
    if (url.protocol === "file:") assert.match(url.pathname, /\.(ts|mjs)$/);
  }
});

Deno.test("worker: a worker entry fixture loads and answers messages on this runtime", async () => {
  const { channel, replies } = await askProbe([2, 3, 5]);
  assert.deepEqual(replies.map(({ id, total }) => [id, total]), [[0, 2], [1, 5], [2, 10]]);
  for (const reply of replies) {
    // It answered through the channel it was started with.
    assert.equal(reply.channel, channel);
    // Deno and Bun run the .ts file; Node its .mjs bundle, Chromium its .js bundle.
    assert.match(reply.url, /\/_adapter_probe\.worker\.(ts|mjs|js)$/);
    if (channel === "worker_threads") assert.match(reply.url, /^file:.*\.mjs$/);
  }
});

Deno.test("worker: SharedArrayBuffer exists in the test's thread and in a worker", async () => {
  assert.equal(typeof SharedArrayBuffer, "function");
  const { replies } = await askProbe([1]);
  assert.equal(replies[0].sharedArrayBuffer, "function");
  // Where the property exists (browsers), the worker is isolated like its page.
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  assert.equal(replies[0].crossOriginIsolated, isolated);
});

Deno.test("worker: a worker entry that does not exist fails to load with an error", async () => {
  const worker = start(MISSING);
  try {
    await assert.rejects(worker.next(), (error: Error) => {
      assert.doesNotMatch(error.message, /no message from/); // an error, not the timeout
      return true;
    });
  } finally {
    await worker.stop();
  }
});
