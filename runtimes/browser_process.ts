// Copyright 2026 the desync authors. MIT license.
// Injected by build.ts into browser bundles for the free `process` that the
// npm packages `assert` and `util` read (they expect a bundler to provide
// one): no environment, no stderr, no warnings channel, so they take their
// browser paths. It is not a global, and the library reads no `process`.

export const process = {
  env: {} as Record<string, string | undefined>,
  stderr: undefined,
  emitWarning: undefined,
};
