// Copyright 2026 the desync authors. MIT license.
// Bun's side of Deno's npm: imports, for bun_setup.ts and bun_process.ts.

import { parseNpmSpecifier, RUNTIMES_DIR } from "./build.ts";

export const bun = (globalThis as unknown as {
  Bun: {
    version: string;
    plugin(plugin: {
      name: string;
      setup(build: {
        onResolve(
          options: { filter: RegExp; namespace: string },
          callback: (
            args: { path: string; importer: string },
          ) => { path: string },
        ): void;
      }): void;
    }): void;
    resolveSync(specifier: string, from: string): string;
    gc(force: boolean): void;
  };
}).Bun;

// Deno's npm:name@version/sub imports, from runtimes/node_modules (the
// packages are installed by build.ts's ensureNpmPackages, which run.sh
// runs). Bun reads "npm:" as a plugin namespace and passes the rest.
bun.plugin({
  name: "npm-specifiers",
  setup(build) {
    build.onResolve({ filter: /.*/, namespace: "npm" }, (args) => {
      const spec = parseNpmSpecifier(`npm:${args.path}`);
      if (spec === undefined) {
        throw new Error(`cannot read the npm specifier npm:${args.path}`);
      }
      return { path: bun.resolveSync(spec.name + spec.subpath, RUNTIMES_DIR) };
    });
  },
});
