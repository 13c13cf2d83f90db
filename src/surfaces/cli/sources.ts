/**
 * Where a `create` gets its spec: a file, inline JSON, an OpenAPI document, a live database or a template.
 * Every source ends as the one spec model and goes through the same validation.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { CreateResult } from '../../build/create.js';
import { collectEnv } from '../../build/generator/env.js';
import { FactoryError, type Issue } from '../../core/errors/index.js';
import {
  parseSpecOrThrow,
  type ServerSpec,
  type ServerSpecInput,
  validateSpec,
} from '../../core/spec/index.js';
import { importDatabase } from '../../sources/database/index.js';
import { importOpenApi, type ImportReport as OpenApiReport } from '../../sources/openapi/index.js';
import { instantiateTemplate } from '../../sources/templates/index.js';
import { type ImportSummary, summarizeDatabase, summarizeOpenApi } from './import-summary.js';
import { type PromptCreateOptions, type PromptSourceOptions, resolvePromptSource } from './prompt-source.js';

export interface SourceOptions extends PromptSourceOptions {
  spec?: string;
  json?: string;
  openapi?: string;
  db?: string;
  template?: string;
  name?: string;
  set?: string[];
  allowRemoteRefs?: boolean;
  includeTag?: string[];
  excludeTag?: string[];
  includePath?: string[];
  excludePath?: string[];
  dynamic?: 'auto' | 'on' | 'off';
  /** OpenAPI: a server URL on a private, loopback or link-local address is accepted (a local API you trust). */
  allowPrivateBaseUrl?: boolean;
  tables?: string[];
  writes?: boolean;
  /** Database: create this least-privilege role and connect the server with it. */
  createRole?: string;
}

export interface ResolvedSource {
  spec: ServerSpec;
  /** The spec as a person would write it (no defaults filled in): what --emit-spec writes. */
  input: ServerSpecInput;
  specDir: string;
  origin: string;
  /** Importer report: skipped operations or tables and why. */
  report?: unknown;
  /** The OpenAPI importer's report (also in `report`), for --strict. */
  openApiReport?: OpenApiReport;
  /** What an OpenAPI or database import produced, lost and needs: printed by `create` every time. */
  importSummary?: ImportSummary;
  /** Environment for the generated tests (e.g. the imported database), never written into the project. */
  testEnv?: Record<string, string>;
  /** Lines worth showing (environment variables to set, warnings). */
  notes?: string[];
  /** Extra files for the generated project (the database role script). */
  extraFiles?: Record<string, string>;
  /** Structured warnings (code + hint) the CLI shows, e.g. DB_PRIVILEGED_USER. */
  notices?: Issue[];
  /** Secret variables of the server (a created role's URL): stored, never printed or written into the project. */
  secretEnv?: Record<string, string>;
  /** A source that builds with its own repair loop (natural language) instead of plain createServerProject. */
  create?: (options: PromptCreateOptions) => Promise<CreateResult>;
}

function usage(message: string, hint: string): FactoryError {
  return new FactoryError('INVALID_ARGUMENTS', message, {
    issues: [{ code: 'INVALID_ARGUMENTS', message, path: '', hint }],
  });
}

function parseSet(pairs: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw usage(`--set ${pair}: expected key=value`, 'Write --set name=value (repeat for more).');
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** Validate what an importer or template produced, exactly like a hand-written spec. */
function checked(input: ServerSpecInput, origin: string): ServerSpec {
  const result = validateSpec(input);
  if (!result.ok || !result.spec) {
    throw new FactoryError(
      result.issues[0]?.code ?? 'SPEC_INVALID_VALUE',
      `${origin}: the produced spec is invalid (${result.issues.length} problem(s))`,
      {
        issues: result.issues,
        details: {
          hint: 'Run again with --emit-spec to review and fix the spec, then create from the file.',
        },
      },
    );
  }
  return result.spec;
}

export async function resolveSource(opts: SourceOptions): Promise<ResolvedSource> {
  const hasPrompt = opts.prompt !== undefined || opts.promptFile !== undefined;
  const sources = ['spec', 'json', 'openapi', 'db', 'template'] as const;
  const given: string[] = [...sources.filter((k) => opts[k] !== undefined), ...(hasPrompt ? ['prompt'] : [])];
  if (given.length !== 1) {
    throw usage(
      given.length
        ? `give only one source, not ${given.map((g) => `--${g}`).join(' and ')}`
        : 'give a source: --spec, --json, --openapi, --db, --template or --prompt',
      'e.g. mcp-factory create --spec examples/inventory.yaml, or --openapi api.yaml, --db postgres://…, --template github --name gh-mcp',
    );
  }
  if (hasPrompt) return resolvePromptSource(opts);
  if (opts.spec !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.spec, 'utf8');
    } catch (error) {
      throw new FactoryError(
        'SPEC_READ_FAILED',
        `cannot read ${opts.spec}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        {
          issues: [
            {
              code: 'SPEC_READ_FAILED',
              message: `cannot read ${opts.spec}`,
              path: '',
              hint: 'Check the path.',
              file: opts.spec,
            },
          ],
        },
      );
    }
    const loaded = parseSpecOrThrow(text, { file: opts.spec });
    const spec = opts.name ? checked({ ...(loaded as ServerSpecInput), name: opts.name }, opts.spec) : loaded;
    return { spec, input: spec, specDir: dirname(resolve(opts.spec)), origin: opts.spec };
  }
  if (opts.json !== undefined) {
    let data: unknown;
    try {
      data = JSON.parse(opts.json);
    } catch (error) {
      throw usage(
        `--json: not valid JSON (${(error as Error).message})`,
        'Quote the JSON for your shell, e.g. --json \'{"name": "x", …}\'.',
      );
    }
    const input = (opts.name ? { ...(data as object), name: opts.name } : data) as ServerSpecInput;
    return { spec: checked(input, '--json'), input, specDir: process.cwd(), origin: '--json' };
  }
  if (opts.openapi !== undefined) {
    const dynamic = opts.dynamic === 'on' ? true : opts.dynamic === 'off' ? false : 'auto';
    const include =
      opts.includeTag?.length || opts.includePath?.length
        ? {
            ...(opts.includeTag?.length ? { tags: opts.includeTag } : {}),
            ...(opts.includePath?.length ? { paths: opts.includePath } : {}),
          }
        : undefined;
    const exclude =
      opts.excludeTag?.length || opts.excludePath?.length
        ? {
            ...(opts.excludeTag?.length ? { tags: opts.excludeTag } : {}),
            ...(opts.excludePath?.length ? { paths: opts.excludePath } : {}),
          }
        : undefined;
    const result = await importOpenApi(opts.openapi, {
      dynamic,
      ...(opts.name ? { name: opts.name } : {}),
      ...(opts.allowRemoteRefs ? { allowRemoteRefs: true } : {}),
      ...(opts.allowPrivateBaseUrl ? { allowPrivateBaseUrl: true } : {}),
      ...(include ? { include } : {}),
      ...(exclude ? { exclude } : {}),
    });
    const isUrl = /^https?:\/\//i.test(opts.openapi);
    const spec = checked(result.spec, opts.openapi);
    // What the server reads besides the HTTP transport's own key: for reports that list no credentials.
    const needed = collectEnv(spec).filter((e) => (e.required || e.secret) && !e.httpOnly);
    return {
      spec,
      input: result.spec,
      specDir: isUrl ? process.cwd() : dirname(resolve(opts.openapi)),
      origin: opts.openapi,
      report: result.report,
      openApiReport: result.report,
      importSummary: summarizeOpenApi(result.report, needed),
    };
  }
  if (opts.db !== undefined) {
    const result = await importDatabase(opts.db, {
      ...(opts.name ? { name: opts.name } : {}),
      ...(opts.tables?.length ? { includeTables: opts.tables } : {}),
      ...(opts.writes ? { writes: true } : {}),
      ...(opts.createRole !== undefined ? { roleName: opts.createRole, createRole: true } : {}),
    });
    const sqlite = /^(sqlite|file):/i.test(opts.db);
    const envVar = result.report.env[0]?.name ?? (sqlite ? 'DATABASE_PATH' : 'DATABASE_URL');
    // With a created role the server (and its generated tests) connect as that role, not as the importing user.
    const connectionUrl = result.createdRole?.url ?? opts.db;
    return {
      spec: checked(result.spec, 'database'),
      input: result.spec,
      specDir: process.cwd(),
      origin: 'database',
      report: result.report,
      importSummary: summarizeDatabase(result.report),
      extraFiles: result.files,
      notices: result.report.notices,
      ...(result.createdRole
        ? {
            secretEnv: { [envVar]: result.createdRole.url },
            notes: [
              `created role ${result.createdRole.role}; the server connects as ${result.createdRole.redacted} (the password is stored only as the server's ${envVar})`,
            ],
          }
        : {}),
      // The generated tests run against the imported database (read tools only; write tools are not called).
      testEnv: sqlite
        ? { DATABASE_PATH: resolve(opts.db.replace(/^(sqlite|file):(\/\/)?/i, '')) }
        : { DATABASE_URL: connectionUrl },
    };
  }
  if (!opts.name)
    throw usage(
      '--template needs --name for the new server',
      'e.g. mcp-factory create --template github --name gh-mcp',
    );
  const input = instantiateTemplate(opts.template!, { name: opts.name, set: parseSet(opts.set) });
  return {
    spec: checked(input, `template ${opts.template}`),
    input,
    specDir: process.cwd(),
    origin: `template ${opts.template}`,
  };
}

/** YAML for --emit-spec, with the schema hint for editors. */
export function specToYaml(input: ServerSpecInput): string {
  return `# yaml-language-server: $schema=https://mcp-factory.dev/schema/mcp-spec.schema.json\n${stringify(input, { lineWidth: 0 })}`;
}
