/**
 * Specs that arrive over the management surfaces (HTTP API, the factory's MCP server): an object or YAML/JSON
 * text, validated by the same spec validator as the CLI. Remote callers may not make the factory read files of
 * its host: a SQLite connection with a `path` is refused unless the surface allows local files (stdio).
 */
import { FactoryError, type Issue } from '../../core/errors/index.js';
import { type LoadResult, loadSpecText, type ServerSpec, validateSpec } from '../../core/spec/index.js';

export interface SpecSource {
  spec?: Record<string, unknown> | undefined;
  specText?: string | undefined;
}

export interface SpecCheck {
  ok: boolean;
  spec?: ServerSpec;
  issues: Issue[];
}

/** Validate without throwing; `allowLocalFiles: false` adds an issue for each SQLite `path`. */
export function checkSpecSource(source: SpecSource, options: { allowLocalFiles: boolean }): SpecCheck {
  if ((source.spec === undefined) === (source.specText === undefined))
    return {
      ok: false,
      issues: [
        {
          code: 'API_INVALID_REQUEST',
          message: 'give the spec either as an object (spec) or as YAML/JSON text (specText), not both',
          path: '',
          hint: 'Send { "spec": { "name": …, "tools": […] } } or { "specText": "name: …" }.',
        },
      ],
    };
  const result: LoadResult =
    source.specText !== undefined ? loadSpecText(source.specText) : validateSpec(source.spec);
  if (!result.ok || !result.spec) return { ok: false, issues: result.issues };
  if (!options.allowLocalFiles) {
    const issues: Issue[] = [];
    result.spec.connections.forEach((c, i) => {
      if (c.type === 'sqlite' && c.path !== undefined)
        issues.push({
          code: 'SPEC_INVALID_VALUE',
          message: `connection "${c.name}": a SQLite file path cannot be used here (the factory does not read files of its host for remote callers)`,
          path: `connections[${i}].path`,
          hint: 'Use `envVar` to name the database file at run time, or create the server with the CLI (mcp-factory create --spec FILE).',
        });
    });
    if (issues.length) return { ok: false, issues };
  }
  return { ok: true, spec: result.spec, issues: [] };
}

/** Validate or throw a FactoryError whose code is the first issue's and whose issues are all of them. */
export function specFromSource(source: SpecSource, options: { allowLocalFiles: boolean }): ServerSpec {
  const check = checkSpecSource(source, options);
  if (check.ok && check.spec) return check.spec;
  const first = check.issues[0];
  throw new FactoryError(
    first?.code ?? 'SPEC_INVALID_VALUE',
    check.issues.length === 1 && first
      ? `invalid spec: ${first.path ? `${first.path}: ` : ''}${first.message}`
      : `invalid spec: ${check.issues.length} problems`,
    { issues: check.issues },
  );
}
