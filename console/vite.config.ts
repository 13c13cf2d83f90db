import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { safeMarkdown } from './plugins/safe-markdown.ts';

const root = fileURLToPath(new URL('.', import.meta.url));

/** The console builds to static files under dist/console, served by `mcp-factory serve` at /ui/. */
export default defineConfig({
  root,
  base: '/ui/',
  plugins: [react(), safeMarkdown()],
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    // The CSP forbids inline scripts: never inline the module preload polyfill or small assets as data: scripts.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
    // The lazily loaded spec editor (CodeMirror + JSON-schema support) is ~600 KB minified; it loads only on /ui/create.
    chunkSizeWarningLimit: 800,
  },
  server: {
    // `vite --config console/vite.config.ts` during development: the API runs on `mcp-factory serve`.
    proxy: Object.fromEntries(
      ['/mcp', '/auth', '/users', '/teams', '/health', '/api'].map((prefix) => [
        prefix,
        { target: process.env.MCP_FACTORY_URL ?? 'http://127.0.0.1:3000', changeOrigin: false },
      ]),
    ),
  },
});
