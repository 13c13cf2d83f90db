/** Renders docs/configuration.md from the configuration table; pure (test/config.test.ts compares it with the file). */
import { CONFIG_VARIABLES, type ConfigCategory, type ConfigVariable } from './config-variables.js';

const SECTIONS: ReadonlyArray<[ConfigCategory, string, string]> = [
  ['factory', 'Factory home, registry and config file', ''],
  [
    'supervisor',
    'Local target (the supervisor)',
    'Read from the environment of the supervisor (started on demand with the environment of the command that needed it).',
  ],
  ['docker', 'Docker target', ''],
  [
    'microvm',
    'MicroVM target',
    'Read by the command that deploys or starts a server on the microvm target (QEMU runs detached from it).',
  ],
  [
    'toolsmith',
    'Toolsmith',
    'Read by the processes that run toolsmith runs (`analyze`, `toolsmith`, `serve`, `mcp`); see [toolsmith.md](toolsmith.md).',
  ],
  [
    'llm',
    'LLM (natural-language creation)',
    'One layer of three: command-line flags (or API options) > these variables > the config file > provider defaults; see [llm.md](llm.md). They are checked together with the other layers (error `LLM_CONFIG_INVALID`) when an LLM is configured.',
  ],
  [
    'embeddings',
    'Embeddings (hybrid tool search)',
    'Off unless a provider is named here or in `embeddings` of the config file; the API key is read from the variable named by `MCP_FACTORY_EMBEDDINGS_API_KEY_ENV`. See [llm.md](llm.md).',
  ],
  ['research', 'Web research', ''],
  [
    'internal',
    'Internal markers',
    'Set by the supervisor on every server it spawns and read back from `/proc/<pid>/environ`; never set them yourself.',
  ],
  ['test', 'Test suite', 'Read by the tests only, never by the factory.'],
];

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function typeOf(v: ConfigVariable): string {
  const bounds =
    v.min !== undefined && v.max !== undefined
      ? ` ${v.min}–${v.max}`
      : v.min !== undefined && v.min > 0
        ? ` ≥ ${v.min}`
        : '';
  if (v.type === 'enum') return `enum: ${(v.values ?? []).map((x) => `\`${x}\``).join(', ')}`;
  if (v.type === 'url' && v.protocols) return `url (${v.protocols.join(', ')})`;
  if (v.type === 'bool' && v.alsoTrue) return `bool (also ${v.alsoTrue.map((x) => `\`${x}\``).join(', ')})`;
  return `${v.type}${bounds}`;
}

function defaultOf(v: ConfigVariable): string {
  if (v.default !== undefined) return `\`${v.default}\``;
  return v.defaultDoc ?? '';
}

/** docs/configuration.md: every MCP_FACTORY_* variable, by component. */
export function configurationMarkdown(): string {
  const lines = [
    '# Configuration',
    '',
    'Every `MCP_FACTORY_*` environment variable MCP Factory reads, generated from the table in',
    '`src/platform/config-variables.ts` by `npm run schema`. The factory resolves them once (`loadConfig` in',
    '`src/platform/config.ts`); a value that cannot be used fails with `CONFIG_INVALID`, naming the variable.',
    'A blank value counts as unset. Types: `ms` and `int` are whole numbers, `range` is `LOW-HIGH`, `bool` is',
    '`1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off`, `path` is resolved against the working directory.',
  ];
  for (const [category, title, intro] of SECTIONS) {
    const rows = CONFIG_VARIABLES.filter((v) => v.category === category);
    if (!rows.length) continue;
    lines.push('', `## ${title}`, '');
    if (intro) lines.push(intro, '');
    lines.push('| Variable | Type | Default | Meaning | Read by |', '| --- | --- | --- | --- | --- |');
    for (const v of rows)
      lines.push(
        `| \`${v.name}\` | ${cell(typeOf(v))} | ${cell(defaultOf(v))} | ${cell(v.doc)} | ${cell(v.readBy)} |`,
      );
  }
  lines.push('');
  return lines.join('\n');
}
