/**
 * DuckDB's native binding for a bundled server: dist/native/duckdb.node, with libduckdb.so beside it (found
 * through the binding's $ORIGIN run path). The bundler substitutes this file for @duckdb/node-bindings (whose
 * loader looks for a platform package in node_modules), so the bundle starts without npm install. Only the
 * bundle loads it: sources run unbundled use @duckdb/node-bindings itself.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// In the bundle, import.meta.url is dist/server.mjs.
const load = createRequire(import.meta.url);
const binding: unknown = load(fileURLToPath(new URL('./native/duckdb.node', import.meta.url)));

export default binding;
