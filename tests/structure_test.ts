// Copyright 2026 the desync authors. MIT license.
// The package's structure, checked (architecture review R1, R3, R5, R6):
//
// 1. No value-import cycle between library files; a cycle through type-only
//    imports stays within one folder.
// 2. The module graph is one-way: an "_" folder (the engine) imports only
//    itself; an area (any other top-level library folder) imports itself, the
//    "_" folders and the areas below it (AREAS_BELOW); entries import anything
//    and hold only their module doc and `export ... from`; nothing imports an
//    entry from a folder, nor tests/, bench/, examples/, runtimes/, nor any
//    module outside the package.
// 3. No side-effect-only import, and no dynamic import() unless a comment
//    allows it.
// 4. Every public symbol, and every public member of a public class or
//    interface, has an @example (`deno doc --json` of the entries).
// 5. No internal symbol is reachable from an entry: the export lists equal
//    EXPECTED_EXPORTS, no export is @internal, no documented signature names an
//    unexported type, and no private or custom-inspect member is documented.
// 6. deno.json "exports" and "publish.include" cover exactly the entries and
//    the library folders.
//
// The entries come from deno.json "exports" and the areas from the top-level
// folders, so a new area (worker.ts + worker/, primitives.ts + primitives/)
// is checked without editing this file, except for the deliberate parts: its
// export list, and its line in AREAS_BELOW if it imports another area.
//
// The second test feeds each rule a synthetic violation, in memory, and checks
// that it is reported: the rules cannot pass by finding nothing to check.
//
// Needs --allow-read=. and --allow-run=deno (for `deno doc --json`).

import assert from "node:assert/strict";
import { denoCommand } from "./_deno.ts";
import {
  analyze,
  checkCycles,
  checkEntries,
  checkExamples,
  checkImportEffects,
  checkLayers,
  checkLayout,
  checkSurface,
  type DocJson,
  type ExpectedExports,
  exportMap,
  isCodeFile,
  isLibraryItem,
  type Policy,
  type Project,
} from "./_structure.ts";

/** The layering, top to bottom: each area and the areas below it that it may import. */
const AREAS_BELOW: Policy["areasBelow"] = {
  // pipe/ names worker/ types in the signatures of its worker forms (type-only
  // imports: the runtime dispatch goes through _engine/remote_pipe.ts, so a
  // local pipe's bundle holds no worker code).
  pipe: ["desync", "scheduler", "worker"],
  desync: ["scheduler"],
  scheduler: [],
  // The planned areas (review R7): the primitives share the engine only; the
  // worker side wraps each object in a Desync. An area not listed here may
  // import only itself and the "_" folders.
  primitives: [],
  worker: ["desync", "scheduler"],
};

const POLICY: Policy = {
  nonLibrary: [
    "tests",
    "bench",
    "examples",
    "runtimes",
    "docs",
    "coverage",
    "node_modules",
  ],
  areasBelow: AREAS_BELOW,
  publishExtras: ["README.md", "LICENSE", "deno.json"],
  allowDynamicImport: "structure: allow dynamic import",
};

/** What each entry exports. Adding a public export means adding it here too. */
const EXPECTED_EXPORTS: ExpectedExports = {
  ".": [
    "Desync",
    "DesyncJob",
    "DesyncOptions",
    "Ref",
    "after",
    "desync",
    "ErrorHandler",
    "futureDesync",
    "futureSync",
    "JobOptions",
    "JobQueue",
    "queue",
    "QueueJob",
    "QueueOptions",
    "QueueResumer",
    "Scheduler",
    "scheduler",
    "SchedulerFuture",
    "SchedulerOptions",
    "suspend",
    "sync",
    "trySync",
    "pipe",
    "pipeIn",
    "PipeOptions",
    "PipeProcess",
    "PipeSource",
    "PipeTransform",
    "sink",
    "transform",
    "WorkerPipeOptions",
    "ClosedError",
    "DesyncError",
    "ReentrancyError",
    "TrySyncError",
    "WouldBlockError",
    "ChannelClosedError",
    "CaseValue",
    "select",
    "SelectCases",
    "Selected",
    "SelectOptions",
    "SelectCase",
    "ReleasedError",
    "LockOptions",
    "Mutex",
    "MutexGuard",
    "AcquireOptions",
    "Permit",
    "Semaphore",
    "SemaphoreOptions",
    "SemaphorePolicy",
    "ManualResetEvent",
    "Oneshot",
    "StateBroadcast",
    "StateReceiveResult",
    "StateUpdate",
    "Channel",
    "ChannelFromOptions",
    "ChannelSource",
    "ChannelWritableOptions",
    "AdvanceOptions",
    "Clock",
    "ManualClock",
    "Steppable",
    "systemClock",
    "TimerOptions",
    "TimerService",
    "TimerServiceOptions",
    "ClassName",
    "ConstructorArgs",
    "CreateOptions",
    "HostedClass",
    "InstanceOf",
    "Uncloneable",
    "jobSignal",
    "Method",
    "MethodArgs",
    "MethodResult",
    "QueueFullError",
    "Reference",
    "RemoteError",
    "Sent",
    "serve",
    "SyncTimeoutError",
    "transfer",
    "WorkerApi",
    "WorkerCrashedError",
    "WorkerDesync",
    "WorkerFuture",
    "WorkerLike",
    "WorkerPool",
    "WorkerPoolOptions",
    "WorkerResourceLimits",
    "WorkersUnavailableError",
  ],
  "./scheduler": [
    "QueueResumer",
    "SchedulerFuture",
    "ErrorHandler",
    "JobOptions",
    "after",
    "desync",
    "futureDesync",
    "futureSync",
    "JobQueue",
    "QueueJob",
    "QueueOptions",
    "suspend",
    "sync",
    "trySync",
    "queue",
    "Scheduler",
    "scheduler",
    "SchedulerOptions",
  ],
  "./pipe": [
    "pipe",
    "pipeIn",
    "PipeOptions",
    "PipeProcess",
    "PipeSource",
    "PipeTransform",
    "sink",
    "transform",
    "WorkerPipeOptions",
  ],
  "./primitives": [
    "ClosedError",
    "DesyncError",
    "ChannelClosedError",
    "CaseValue",
    "select",
    "SelectCases",
    "Selected",
    "SelectOptions",
    "SelectCase",
    "ReleasedError",
    "LockOptions",
    "Mutex",
    "MutexGuard",
    "AcquireOptions",
    "Permit",
    "Semaphore",
    "SemaphoreOptions",
    "SemaphorePolicy",
    "ManualResetEvent",
    "Oneshot",
    "StateBroadcast",
    "StateReceiveResult",
    "StateUpdate",
    "Channel",
    "ChannelFromOptions",
    "ChannelSource",
    "ChannelWritableOptions",
    "AdvanceOptions",
    "Clock",
    "ManualClock",
    "Steppable",
    "systemClock",
    "TimerOptions",
    "TimerService",
    "TimerServiceOptions",
  ],
  "./worker": [
    "DesyncError",
    "ClassName",
    "ConstructorArgs",
    "CreateOptions",
    "DeadlockError",
    "HostedClass",
    "InstanceOf",
    "Uncloneable",
    "jobSignal",
    "Method",
    "MethodArgs",
    "MethodResult",
    "QueueFullError",
    "Reference",
    "RemoteError",
    "Sent",
    "serve",
    "SyncTimeoutError",
    "transfer",
    "WorkerApi",
    "WorkerCrashedError",
    "WorkerDesync",
    "WorkerFuture",
    "WorkerLike",
    "WorkerPool",
    "WorkerPoolOptions",
    "WorkerResourceLimits",
    "WorkersUnavailableError",
  ],
};

/** Fails with one line per violation, under the rule's name. */
function assertNone(rule: string, violations: readonly string[]): void {
  if (violations.length === 0) return;
  assert.fail(
    `${rule}: ${violations.length} violation(s)\n${violations.map((v) => `  - ${v}`).join("\n")}`,
  );
}

/** Reads deno.json, the root's items and every library code file. */
async function readProject(root: URL): Promise<Project> {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", root)),
  );
  const rootItems: string[] = [];
  for await (const item of Deno.readDir(root)) {
    rootItems.push(item.isDirectory ? `${item.name}/` : item.name);
  }
  const sources = new Map<string, string>();
  const read = async (path: string): Promise<void> => {
    if (!path.endsWith("/")) {
      sources.set(path, await Deno.readTextFile(new URL(path, root)));
      return;
    }
    for await (const item of Deno.readDir(new URL(path, root))) {
      if (item.name.startsWith(".") || item.name === "node_modules") continue;
      if (item.isDirectory) await read(`${path}${item.name}/`);
      else if (item.isFile && isCodeFile(item.name)) {
        await read(`${path}${item.name}`);
      }
    }
  };
  for (const item of rootItems.sort()) {
    if (isLibraryItem(item, POLICY)) await read(item);
  }
  return {
    sources,
    rootItems,
    exports: config.exports,
    publishInclude: config.publish?.include,
  };
}

async function denoDoc(
  root: URL,
  entries: readonly string[],
): Promise<DocJson> {
  const { success, stdout, stderr } = await new Deno.Command(
    denoCommand("rules 4 and 5 run `deno doc --json`"),
    {
      args: ["doc", "--json", ...entries],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    },
  ).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  if (!success) {
    throw new Error(
      `deno doc --json ${entries.join(" ")} failed:\n${decode(stderr)}`,
    );
  }
  return JSON.parse(decode(stdout));
}

Deno.test("structure: the module graph, the entries, the docs and the package layout follow the rules", async (t) => {
  const root = new URL("../", import.meta.url);
  const project = await readProject(root);
  const analysis = analyze(project, POLICY);
  // Not vacuous: the library, its entries and its imports were found.
  assert.ok(
    project.sources.size >= 10,
    `only ${project.sources.size} library files found`,
  );
  assert.ok(
    analysis.entries.length >= 3,
    `entries: ${analysis.entries.join(", ")}`,
  );
  const edges = [...analysis.scans.values()].reduce(
    (n, scan) => n + scan.edges.length,
    0,
  );
  assert.ok(edges >= 20, `only ${edges} imports found`);
  const docs = denoDoc(root, analysis.entries).then(
    (doc) => {
      assert.equal(
        doc.version,
        2,
        "the `deno doc --json` format this test reads",
      );
      for (const entry of analysis.entries) {
        const node = doc.nodes[new URL(entry, root).href];
        assert.ok(
          node?.symbols.length > 0,
          `deno doc found no symbols in ${entry}`,
        );
      }
      return doc;
    },
  );
  docs.catch(() => {}); // reported by the steps that use it

  await t.step(
    "rule 1: no value-import cycle; type-only cycles only within one folder",
    () => {
      assertNone("rule 1 (import cycles)", checkCycles(analysis));
    },
  );

  await t.step("rule 2: every edge goes down the one-way graph", () => {
    assertNone("rule 2 (layering)", checkLayers(analysis));
  });

  await t.step(
    "rule 2: entries hold only their module doc and re-exports",
    () => {
      assertNone("rule 2 (entries)", checkEntries(analysis));
    },
  );

  await t.step(
    "rule 3: no side-effect-only import, no dynamic import()",
    () => {
      assertNone("rule 3 (import effects)", checkImportEffects(analysis));
    },
  );

  await t.step(
    "rule 4: every public symbol and member has an @example",
    async () => {
      assertNone(
        "rule 4 (public symbols and members without an @example)",
        checkExamples(await docs, root.href),
      );
    },
  );

  await t.step(
    "rule 5: no internal symbol is reachable from an entry",
    async () => {
      assertNone(
        "rule 5 (public surface)",
        checkSurface(await docs, root.href, analysis, EXPECTED_EXPORTS),
      );
    },
  );

  await t.step(
    "rule 6: deno.json exports and publish.include cover exactly the library",
    () => {
      assertNone("rule 6 (package layout)", checkLayout(project, POLICY));
    },
  );
});

// ---------------------------------------------------------------------------
// The rules, fed synthetic violations
// ---------------------------------------------------------------------------

const SYNTHETIC_ROOT = "file:///p/";

/** A synthetic project: its files, with a deno.json made to fit unless given. */
function project(
  sources: Record<string, string>,
  config: {
    exports?: unknown;
    publishInclude?: unknown;
    rootItems?: string[];
  } = {},
): Project {
  const paths = Object.keys(sources);
  const folders = [
    ...new Set(
      paths.filter((p) => p.includes("/")).map((p) => p.split("/")[0] + "/"),
    ),
  ];
  const rootFiles = paths.filter((p) => !p.includes("/"));
  return {
    sources: new Map(Object.entries(sources)),
    rootItems: config.rootItems ??
      [...rootFiles, ...folders, "README.md", "LICENSE", "deno.json"],
    exports: config.exports ?? { ".": "./mod.ts" },
    publishInclude: config.publishInclude ??
      [
        ...rootFiles,
        ...folders.filter((f) => isLibraryItem(f, POLICY)),
        "README.md",
        "LICENSE",
        "deno.json",
      ],
  };
}

const ENTRY = `/**
 * The package.
 * @module
 */
export { a } from "./area/a.ts";
`;

/** Asserts that `violations` has one entry matching each pattern, and nothing else. */
function assertReports(violations: string[], expected: RegExp[]): void {
  const unmatched = violations.filter((v) => !expected.some((pattern) => pattern.test(v)));
  const missing = expected.filter((pattern) => !violations.some((v) => pattern.test(v)));
  assert.deepEqual(
    { missing: missing.map(String), unexpected: unmatched },
    { missing: [], unexpected: [] },
    `reported:\n${violations.join("\n")}`,
  );
}

Deno.test("structure: each rule reports a synthetic violation (the checker cannot pass vacuously)", async (t) => {
  await t.step(
    "the scanner tells value from type-only imports, in every form",
    () => {
      const source = `
      // import "./in_a_comment.ts";
      /* export * from "./in_a_block_comment.ts"; */
      const text = 'import "./in_a_string.ts"';
      const template = \`\${text} import "./in_a_template.ts" \${\`nested \${"x"}\`}\`;
      const re = /["'\`]import "x"/g;
      const half = 10 / 2 / 1;
      import type { A } from "./type_statement.ts";
      import {
        type B,
        type C as D,
      } from "./type_list.ts";
      import { type E, f } from "./mixed.ts";
      import g, { type H } from "./default.ts";
      import * as ns from "./namespace.ts";
      import type * as types from "./type_namespace.ts";
      export type { I } from "./export_type.ts";
      export { type J, type K } from "./export_type_list.ts";
      export { l, m as n } from "./reexport.ts";
      export * from "./star.ts";
      export * as starred from "./star_as.ts";
      export type * from "./type_star.ts";
      export { o };
      const p = await import("./dynamic.ts");
    `;
      const scan = analyze(project({ "area/x.ts": source }), POLICY).scans.get(
        "area/x.ts",
      )!;
      const found = scan.edges.map((e) => `${e.specifier} ${e.kind}${e.typeOnly ? " type" : ""}`);
      assert.deepEqual(found, [
        "./type_statement.ts import type",
        "./type_list.ts import type",
        "./mixed.ts import",
        "./default.ts import",
        "./namespace.ts import",
        "./type_namespace.ts import type",
        "./export_type.ts export type",
        "./export_type_list.ts export type",
        "./reexport.ts export",
        "./star.ts export",
        "./star_as.ts export",
        "./type_star.ts export type",
        "./dynamic.ts dynamic",
      ]);
      assert.deepEqual(scan.localExports, [{
        imported: "o",
        local: "o",
        type: false,
      }]);
      assert.equal(
        scan.edges[1].line,
        9,
        "a multi-line list is found at its first line",
      );
    },
  );

  await t.step(
    "rule 1 reports value cycles and type-only cycles across folders",
    () => {
      const analysis = analyze(
        project({
          "mod.ts": ENTRY,
          "area/a.ts": `import { b } from "./b.ts";\nexport const a = b;`,
          "area/b.ts": `import { c } from "./c.ts";\nexport const b = c;`,
          "area/c.ts": `import { a } from "./a.ts";\nexport const c = 1;`,
          // A type-only cycle within one folder is allowed...
          "area/d.ts": `import type { E } from "./e.ts";\nexport type D = E;`,
          "area/e.ts": `import type { D } from "./d.ts";\nexport type E = D;`,
          // ...and reported across folders.
          "area/f.ts": `import type { G } from "../other/g.ts";\nexport type F = G;`,
          "other/g.ts": `import { type F } from "../area/f.ts";\nexport type G = F;`,
          "area/self.ts": `export { x } from "./self.ts";`,
        }),
        POLICY,
      );
      assertReports(checkCycles(analysis), [
        /^value-import cycle: area\/a\.ts:1 --> area\/b\.ts:1 --> area\/c\.ts:1 --> area\/a\.ts$/,
        /^import cycle across folders .*: area\/f\.ts:1 -\[type\]-> other\/g\.ts:1 -\[type\]-> area\/f\.ts$/,
        /^value-import cycle: area\/self\.ts:1 --> area\/self\.ts$/,
      ]);
    },
  );

  await t.step(
    "rule 2 reports upward and sideways edges and imports of non-library code",
    () => {
      const analysis = analyze(
        project({
          "mod.ts": ENTRY,
          "_engine/core.ts":
            `import { Desync } from "../desync/desync.ts";\nexport const core = 1;`,
          "_engine/ok.ts": `import { core } from "./core.ts";\nexport const ok = core;`,
          "scheduler/s.ts":
            `import type { Desync } from "../desync/desync.ts";\nexport const s = 1;`,
          "desync/desync.ts": [
            `import { s } from "../scheduler/s.ts";`,
            `import { core } from "../_engine/core.ts";`,
            `import { helper } from "../tests/_helpers.ts";`,
            `import { a } from "../mod.ts";`,
            `import { p } from "../pipe/p.ts";`,
            `import { missing } from "./missing.ts";`,
            `import { lib } from "${"npm"}:some-lib";`, // (split: runtimes/build.ts installs the npm: specifiers it finds)
            `export class Desync {}`,
          ].join("\n"),
          "pipe/p.ts":
            `import { Desync } from "../desync/desync.ts";\nimport { s } from "../scheduler/s.ts";`,
          "newarea/n.ts": `import { p } from "../pipe/p.ts";`,
          "area/a.ts": `export const a = 1;`,
        }),
        POLICY,
      );
      assertReports(checkLayers(analysis), [
        /^_engine\/core\.ts:1 imports \{ Desync \} from "\.\.\/desync\/desync\.ts": imports desync\/desync\.ts: an upward edge \(_engine\/ may import only _engine\/\)$/,
        /^scheduler\/s\.ts:1 imports \{ type Desync \} .*: an upward edge \(scheduler\/ may import only scheduler\/, the _ folders;/,
        /^desync\/desync\.ts:3 imports \{ helper \} .*: imports tests\/: nothing in the library may import/,
        /^desync\/desync\.ts:4 imports \{ a \} from "\.\.\/mod\.ts": imports the entry mod\.ts: an upward edge/,
        /^desync\/desync\.ts:5 imports \{ p \} .*: imports pipe\/p\.ts: an upward edge/,
        /^desync\/desync\.ts:6 .*: imports desync\/missing\.ts, which is not a library code file$/,
        // (the specifier spelled with a class, so that runtimes/build.ts does not install it)
        /^desync\/desync\.ts:7 .*"np[m]:some-lib": imports a module outside the package/,
        /^newarea\/n\.ts:1 .*: imports pipe\/p\.ts: a sideways edge \(newarea\/ may import only newarea\/, the _ folders;/,
      ]);
      const cyclic = analyze(project({}), {
        ...POLICY,
        areasBelow: { a: ["b"], b: ["a"] },
      });
      assertReports(checkLayers(cyclic), [
        /areasBelow\) has a cycle through a\//,
        /cycle through b\//,
      ]);
    },
  );

  await t.step("rule 2 reports entries that hold more than re-exports", () => {
    const analysis = analyze(
      project(
        {
          "mod.ts": ENTRY,
          "other.ts": [
            `// No module doc.`,
            `import { a } from "./area/a.ts";`,
            `export { a };`,
            `export const b = 1;`,
            `export type { C } from "./area/a.ts";`,
          ].join("\n"),
          "area/a.ts": `export const a = 1;`,
        },
        { exports: { ".": "./mod.ts", "./other": "./other.ts" } },
      ),
      POLICY,
    );
    assertReports(checkEntries(analysis), [
      /^other\.ts: an entry has a module doc/,
      /^other\.ts:2: an entry holds only .*; found `import`$/,
      /^other\.ts:3: .*; found `export`$/,
      /^other\.ts:4: .*; found `export`$/,
    ]);
  });

  await t.step("rule 3 reports side-effect-only and dynamic imports", () => {
    const analysis = analyze(
      project({
        "mod.ts": ENTRY,
        "area/a.ts": [
          `import "./b.ts";`,
          `import {} from "./b.ts";`,
          `export {} from "./b.ts";`,
          `const b = await import("./b.ts");`,
          `// structure: allow dynamic import: only Node has it`,
          `const os = await import("node:os");`,
          `const c = await import(name);`,
        ].join("\n"),
        "area/b.ts": ``,
      }),
      POLICY,
    );
    assertReports(checkImportEffects(analysis), [
      /^area\/a\.ts:1 imports "\.\/b\.ts": a side-effect-only import/,
      /^area\/a\.ts:2 imports "\.\/b\.ts": a side-effect-only import/,
      /^area\/a\.ts:3 re-exports "\.\/b\.ts": a side-effect-only import/,
      /^area\/a\.ts:4 has a dynamic import\("\.\/b\.ts"\): dynamic import\(\) is not allowed/,
      /^area\/a\.ts:7 has a dynamic import\(<computed>\): dynamic import\(\) is not allowed/,
    ]);
  });

  // A `deno doc --json` output, in its format (version 2), for rules 4 and 5.
  const location = (file: string, line: number) => ({
    filename: `${SYNTHETIC_ROOT}${file}`,
    line,
    col: 0,
    byteIndex: 0,
  });
  const example = {
    kind: "example",
    doc: "A title\n```ts\nassert(true);\n```",
  };
  const typeRef = (typeName: string, resolution?: unknown) => ({
    repr: typeName,
    kind: "typeRef",
    value: { typeName, resolution },
  });
  const doc: DocJson = {
    version: 2,
    nodes: {
      [`${SYNTHETIC_ROOT}mod.ts`]: {
        symbols: [
          {
            name: "Thing",
            declarations: [{
              location: location("area/thing.ts", 10),
              declarationKind: "export",
              jsDoc: { tags: [example] },
              kind: "class",
              def: {
                constructors: [{
                  accessibility: "private",
                  name: "constructor",
                  params: [{
                    kind: "identifier",
                    name: "core",
                    tsType: typeRef("Core", {
                      kind: "import",
                      specifier: "../_engine/core.ts",
                      name: "Core",
                    }),
                  }],
                  location: location("area/thing.ts", 12),
                }],
                methods: [
                  {
                    name: "size",
                    kind: "getter",
                    jsDoc: { tags: [example] },
                    location: location("area/thing.ts", 20),
                    functionDef: { params: [], returnType: typeRef("number") },
                  },
                  {
                    name: "size",
                    kind: "setter",
                    location: location("area/thing.ts", 24),
                    functionDef: { params: [] },
                  },
                  {
                    name: "close",
                    kind: "method",
                    jsDoc: { doc: "No example." },
                    location: location("area/thing.ts", 30),
                    functionDef: {
                      params: [],
                      returnType: typeRef("Public", { kind: "local" }),
                    },
                  },
                  {
                    name: "[DENO_INSPECT]",
                    kind: "method",
                    location: location("area/thing.ts", 40),
                    functionDef: { params: [] },
                  },
                ],
              },
            }],
          },
          {
            name: "Public",
            declarations: [{
              location: location("area/thing.ts", 50),
              declarationKind: "export",
              kind: "interface",
              def: {
                properties: [
                  {
                    name: "job",
                    location: location("area/thing.ts", 52),
                    jsDoc: { tags: [example] },
                    tsType: typeRef("Job", { kind: "local" }),
                  },
                  {
                    name: "signal",
                    location: location("area/thing.ts", 53),
                    tsType: typeRef("AbortSignal"),
                  },
                ],
              },
            }],
          },
          {
            name: "helper",
            declarations: [{
              location: location("area/thing.ts", 60),
              declarationKind: "export",
              jsDoc: { tags: [example] },
              kind: "function",
              def: {
                params: [],
                returnType: typeRef("T", { kind: "typeParam" }),
              },
            }],
          },
        ],
      },
    },
  };
  const surface = analyze(
    project({
      "mod.ts": `/** @module */\nexport { helper, Public, Thing } from "./area/thing.ts";`,
      "area/thing.ts": [
        `import type { Core } from "../_engine/core.ts";`,
        `interface Job {}`,
        `export interface Public {}`,
        `export class Thing {}`,
        `/** @internal For the other areas. */`,
        `export function helper() {}`,
      ].join("\n"),
      "_engine/core.ts": `export class Core {}`,
    }),
    POLICY,
  );

  await t.step(
    "rule 4 lists each public symbol and member without an @example",
    () => {
      assert.deepEqual(checkExamples(doc, SYNTHETIC_ROOT), [
        "Thing.close (method, area/thing.ts:30)",
        "Public (interface, area/thing.ts:50)",
        "Public.signal (property, area/thing.ts:53)",
      ]);
    },
  );

  await t.step(
    "rule 5 reports unexpected exports and internals reachable from an entry",
    () => {
      assertReports(
        checkSurface(doc, SYNTHETIC_ROOT, surface, {
          ".": ["Thing", "Public", "gone"],
        }),
        [
          /^\. \(\.\/mod\.ts\) exports helper, which its expected list does not name$/,
          /^\. \(\.\/mod\.ts\) does not export gone, which its expected list names$/,
          /^helper \(area\/thing\.ts:60\) is exported by an entry but marked @internal$/,
          /^Thing\.constructor \(area\/thing\.ts:12\) is a private constructor and is in the docs/,
          /^Thing\.\[DENO_INSPECT\] \(area\/thing\.ts:40\) is a custom-inspect member and is in the docs/,
          /^Thing\.constructor\.core \(area\/thing\.ts:12\) refers to Core, an internal type \(_engine\/core\.ts\)/,
          /^Public\.job \(area\/thing\.ts:52\) refers to Job, an internal type \(area\/thing\.ts\)/,
        ],
      );
    },
  );

  await t.step(
    "rule 6 reports stale exports and publish.include entries",
    () => {
      const layout = project(
        {
          "mod.ts": ENTRY,
          "stray.ts": ``,
          "area/a.ts": ``,
          "_engine/e.ts": ``,
        },
        {
          exports: {
            ".": "./mod.ts",
            "./old": "./old.ts",
            "./pipe": "./area/a.ts",
          },
          publishInclude: [
            "mod.ts",
            "area/",
            "old_folder/",
            "README.md",
            "LICENSE",
            "deno.json",
          ],
          rootItems: [
            "mod.ts",
            "stray.ts",
            "area/",
            "_engine/",
            "tests/",
            "README.md",
            "LICENSE",
            "deno.json",
          ],
        },
      );
      assertReports(checkLayout(layout, POLICY), [
        /^deno\.json exports\["\.\/old"\]: "\.\/old\.ts" is not a library code file \(a stale path\?\)$/,
        /^deno\.json exports\["\.\/pipe"\] is "\.\/area\/a\.ts"; the entry for "\.\/pipe" is "\.\/pipe\.ts"$/,
        /^stray\.ts: a code file at the root that deno\.json "exports" does not name/,
        /^deno\.json publish\.include lists "old_folder\/", .* \(and does not exist: stale\)$/,
        /^deno\.json publish\.include does not list "_engine\/"$/,
        /^deno\.json publish\.include does not list "old\.ts"$/,
      ]);
      assert.deepEqual(exportMap("./mod.ts"), { ".": "./mod.ts" });
    },
  );

  await t.step(
    "on a project that follows them, the rules report nothing",
    () => {
      const clean = analyze(
        project({
          "mod.ts": ENTRY,
          "_engine/core.ts": `export const core = 1;`,
          "area/a.ts": `import { core } from "../_engine/core.ts";\nexport const a = core;`,
        }),
        POLICY,
      );
      assert.deepEqual(
        [checkCycles, checkLayers, checkEntries, checkImportEffects].flatMap((
          check,
        ) => check(clean)),
        [],
      );
      assert.deepEqual(checkLayout(clean.project, POLICY), []);
    },
  );
});
