// Copyright 2026 the desync authors. MIT license.
// Builds @desync/desync the way JSR's npm compatibility layer serves it
// (`npx jsr add @desync/desync`): ES module JavaScript with .d.ts
// declarations beside it, and a package.json whose "exports" mirror
// deno.json's, each with a "types" and a "default" condition. It goes to
// runtimes/node_modules/@desync/desync, where the consumer check
// (consumer.ts) finds it by name as any npm package.
//
// tsc compiles the sources with rewriteRelativeImportExtensions, so the
// sources' `./x.ts` imports become `./x.js` in both the JavaScript and the
// declarations: the consumer is checked against declarations, as an npm user
// is, and needs neither allowImportingTsExtensions nor the sources' own
// compiler options.

import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR, REPO_DIR, RUNTIMES_DIR } from "../build.ts";

const denoJson = JSON.parse(
  readFileSync(join(REPO_DIR, "deno.json"), "utf8"),
) as {
  name: string;
  version: string;
  exports: Record<string, string>;
};
const outDir = join(RUNTIMES_DIR, "node_modules", ...denoJson.name.split("/"));
rmSync(outDir, { recursive: true, force: true });
mkdirSync(CACHE_DIR, { recursive: true });

const entries = Object.entries(denoJson.exports);
const tsconfig = join(CACHE_DIR, "tsconfig.pack.json");
writeFileSync(
  tsconfig,
  JSON.stringify(
    {
      compilerOptions: {
        rootDir: REPO_DIR,
        outDir,
        declaration: true,
        rewriteRelativeImportExtensions: true,
        target: "ES2022",
        module: "ESNext",
        moduleResolution: "bundler",
        // The web platform APIs the library uses: streams, AbortSignal,
        // MessageChannel, queueMicrotask; Symbol.dispose/asyncDispose.
        lib: [
          "ES2023",
          "DOM",
          "DOM.Iterable",
          "DOM.AsyncIterable",
          "ESNext.Disposable",
        ],
        types: [],
        strict: true,
        erasableSyntaxOnly: true,
        isolatedModules: true,
        skipLibCheck: false,
      },
      files: entries.map(([, path]) => join(REPO_DIR, path)),
    },
    null,
    2,
  ),
);
execFileSync(join(RUNTIMES_DIR, "node_modules", ".bin", "tsc"), [
  "-p",
  tsconfig,
], {
  stdio: "inherit",
});

// tsc rewrites the extensions in the JavaScript only; the declarations keep
// `./x.ts`, which TypeScript resolves to ./x.d.ts. JSR's npm packages say
// `./x.js` in both, so do the same here.
for (const file of readdirSync(outDir)) {
  if (!file.endsWith(".d.ts")) continue;
  const path = join(outDir, file);
  const text = readFileSync(path, "utf8");
  writeFileSync(
    path,
    text.replace(/((?:from |import\()"\.\.?\/[^"]+)\.ts"/g, '$1.js"'),
  );
}

const toJs = (path: string) => path.replace(/\.ts$/, ".js");
const exports = Object.fromEntries(
  entries.map(([subpath, path]) => [
    subpath,
    { types: toJs(path).replace(/\.js$/, ".d.ts"), default: toJs(path) },
  ]),
);
writeFileSync(
  join(outDir, "package.json"),
  JSON.stringify(
    { name: denoJson.name, version: denoJson.version, type: "module", exports },
    null,
    2,
  ) + "\n",
);
console.log(
  `packed ${denoJson.name}@${denoJson.version} (${entries.length} entry points) in ${outDir}`,
);
