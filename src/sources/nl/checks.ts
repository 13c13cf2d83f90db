/**
 * Checks for specs written by a model, on top of the validation every spec gets (`validateSpec`, which already
 * refuses literal secrets anywhere, including code bodies): values the model cannot know must not be invented.
 * Issues go back to the model for repair; warnings are reported to the user.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { collectEnv } from '../../build/generator/env.js';
import { type Issue, makeIssue } from '../../core/errors/index.js';
import type { ServerSpec } from '../../core/spec/model.js';

export interface EnvReference {
  name: string;
  purpose: string;
  required: boolean;
  secret: boolean;
  /** Tools that cannot run without it. */
  tools: string[];
}

export interface NlCheckContext {
  /** Where relative SQLite paths resolve (the folder the user works in). */
  specDir: string;
  /** The description (and research text): hosts mentioned there are not invented. */
  knownText: string;
}

export interface NlCheckResult {
  issues: Issue[];
  warnings: string[];
}

export function checkGeneratedSpec(spec: ServerSpec, ctx: NlCheckContext): NlCheckResult {
  const issues: Issue[] = [];
  const warnings: string[] = [];
  spec.connections.forEach((c, i) => {
    if (c.type === 'sqlite' && c.path !== undefined) {
      const file = isAbsolute(c.path) ? c.path : resolve(ctx.specDir, c.path);
      if (!existsSync(file)) {
        issues.push(
          makeIssue(
            'SPEC_UNDEFINED_REFERENCE',
            `the SQLite file "${c.path}" does not exist (resolved against ${ctx.specDir}); do not invent file paths`,
            `connections[${i}].path`,
            `Remove \`path\` and use \`envVar\` (e.g. ${c.name.toUpperCase()}_DB_PATH) unless the user named an existing file.`,
          ),
        );
      }
    }
    if (c.type === 'http' && c.baseUrl) {
      let host = '';
      try {
        host = new URL(c.baseUrl).hostname;
      } catch {
        return;
      }
      if (host && !ctx.knownText.toLowerCase().includes(host.toLowerCase())) {
        warnings.push(
          c.baseUrlEnv
            ? `connections[${i}].baseUrl ${c.baseUrl} was chosen by the model (not in the description); check it or set ${c.baseUrlEnv}`
            : `connections[${i}].baseUrl ${c.baseUrl} was chosen by the model (not in the description); check it before use`,
        );
      }
    }
  });
  return { issues, warnings };
}

const CTX_ENV = /\bctx\s*\.\s*env\s*\(\s*(['"`])([A-Z_][A-Z0-9_]{0,127})\1\s*\)/g;

/** Environment variables the server reads (connections, auth, triggers, ctx.env in code tools). */
export function envReferences(spec: ServerSpec): EnvReference[] {
  const refs: EnvReference[] = collectEnv(spec).map((e) => ({ ...e, tools: [...e.tools] }));
  const byName = new Map(refs.map((r) => [r.name, r]));
  for (const tool of spec.tools) {
    const source = tool.code?.source;
    if (!source) continue;
    for (const m of source.matchAll(CTX_ENV)) {
      const name = m[2]!;
      const existing = byName.get(name);
      if (existing) {
        if (!existing.tools.includes(tool.name)) existing.tools.push(tool.name);
        continue;
      }
      const ref: EnvReference = {
        name,
        purpose: `read by the code of tool ${tool.name}`,
        required: true,
        secret: /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|_URL$|DSN/.test(name),
        tools: [tool.name],
      };
      refs.push(ref);
      byName.set(name, ref);
    }
  }
  return refs;
}

/** One line per variable, for the CLI and reports. */
export function formatEnvReferences(refs: EnvReference[]): string[] {
  return refs.map(
    (r) =>
      `${r.name}${r.required ? '' : ' (optional)'}${r.secret ? ' [secret]' : ''}: ${r.purpose}${
        r.tools.length ? ` — needed by ${r.tools.join(', ')}` : ''
      }`,
  );
}
