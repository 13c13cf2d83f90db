/**
 * Stands in for codemirror-json-schema's utils/markdown (markdown-it + shiki): that one pulls a highlighter
 * and themes into the editor chunk and emits inline styles the console's CSP forbids. This renders the
 * schema's texts as escaped plain text with `code` spans only, so whatever reaches innerHTML is inert.
 * console/plugins/safe-markdown.ts points the library's import here at build time.
 */
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Plain text with `code` spans as <code>; at most 2000 characters. */
export function renderMarkdown(markdown: string, inline = true): string {
  const text = String(markdown ?? '').slice(0, 2000);
  const html = escapeHtml(text).replace(/`([^`\n]{1,200})`/g, '<code>$1</code>');
  return inline ? html : `<p>${html}</p>`;
}
