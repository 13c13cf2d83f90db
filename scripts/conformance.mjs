#!/usr/bin/env node
// Runs the official MCP conformance suite against a bundled MCP server; see docs/conformance.md.
//
//   node scripts/conformance.mjs --server <bundle.mjs> [--out <dir>] [--versions 2026-07-28,2025-11-25]
//   node scripts/conformance.mjs --install-only
//
// A thin shim: the runner is typed code in src/conformance/, compiled to dist/conformance/ by
// `npm run build`. This file only loads it and turns main()'s result into the exit status.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/conformance/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('[conformance] dist/conformance/cli.js is missing: run `npm run build` first');
  process.exit(2);
}
const { main } = await import(cli.href);
main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e?.stack ?? e);
    process.exitCode = 1;
  },
);
