/**
 * Vite plugin: codemirror-json-schema's `../utils/markdown` (markdown-it + shiki) is replaced by the console's
 * escaped-text renderer (src/pages/create/editor/markdown.ts): a smaller editor chunk, no inline styles (CSP),
 * nothing but escaped text handed to innerHTML.
 */
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

const replacement = fileURLToPath(new URL('../src/pages/create/editor/markdown.ts', import.meta.url));

export function safeMarkdown(): Plugin {
  return {
    name: 'mcpf-safe-markdown',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer?.includes('codemirror-json-schema')) return null;
      return /(^|\/)utils\/markdown(\.js)?$/.test(source) ? replacement : null;
    },
  };
}
