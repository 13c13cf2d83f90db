/**
 * The write scenarios of a generated server's own tests (test/writes.json): for each table with create_/update_/
 * delete_ tools (as `create --db --writes` makes them), insert a row, change it and delete it, reading it back with
 * get_ after each step. They never touch the real data: a SQLite database is copied into a temporary folder and
 * the server pointed at the copy (`scratch`); on PostgreSQL/MySQL/MariaDB the server runs with
 * MCP_FACTORY_ROLLBACK_WRITES=1, which rolls back every statement (`rollback`), so a get_ after a write sees the
 * row as it was. Tables are recognised from the statement shapes the database importer writes; anything else
 * keeps its write tools out of the tests (they are skipped, as before).
 */
import type { SqlKeyset } from '../../core/kinds/sql.js';
import type { Connection, ServerSpec, Tool, ValueSchema } from '../../core/spec/model.js';
import { sampleValue } from './test-plan.js';

export type WriteMode = 'scratch' | 'rollback';

export interface WriteScenario {
  /** The table as written in the statements. */
  table: string;
  mode: WriteMode;
  /** Scratch mode: the variable that names the SQLite file (the test points it at a copy). */
  fileEnv?: string;
  requiresEnv: string[];
  /** Key parameters of get_/update_/delete_ and the row columns that hold them, in key order. */
  key: Array<{ param: string; column: string }>;
  list: string;
  /** The list_ call that picks the existing row (the newest by key: the least likely to be referenced). */
  listArguments: Record<string, unknown>;
  get: string;
  create?: {
    tool: string;
    arguments: Record<string, unknown>;
    /** Parameters whose value is taken from the row list_ returns first (by column), when there is one. */
    fromExisting?: Record<string, { column: string; type: ValueSchema['type'] }>;
    returnsRow: boolean;
  };
  update?: { tool: string; arguments: Record<string, unknown>; returnsRow: boolean };
  delete?: { tool: string };
  /** The column (and parameter) the scenario writes and reads back. */
  marker?: { param: string; column: string; value: string | number };
}

/** The marker text: recognisable in a database, unlikely to collide with a unique value. */
const MARKER_TEXT = 'mcp-factory write test';

interface TableTools {
  list?: Tool;
  get?: Tool;
  create?: Tool;
  update?: Tool;
  delete?: Tool;
}

/** `<ident> = :param` or `<ident> = CAST(:param AS type)` pairs of a WHERE line the importer wrote. */
function keyPairs(where: string): Array<{ ident: string; param: string }> | undefined {
  const pairs = where.split(' AND ').map((part) => /^(.+) = (?:CAST\()?:([A-Za-z_][A-Za-z0-9_]*)/.exec(part));
  if (pairs.some((m) => !m)) return undefined;
  return pairs.map((m) => ({ ident: m![1]!, param: m![2]! }));
}

function tableOf(tool: Tool): { role: keyof TableTools; table: string } | undefined {
  const sql = tool.sql;
  if (!sql) return undefined;
  const [head = '', second = ''] = sql.statement.split('\n');
  let m = /^INSERT INTO (.+?) \(/.exec(head);
  if (m && sql.result !== 'rows') return { role: 'create', table: m[1]! };
  m = /^UPDATE (.+)$/.exec(head);
  if (m && second.startsWith('SET ')) return { role: 'update', table: m[1]! };
  m = /^DELETE FROM (.+)$/.exec(head);
  if (m && sql.result === 'exec') return { role: 'delete', table: m[1]! };
  const from = head.startsWith('SELECT ') ? head.lastIndexOf(' FROM ') : -1;
  if (from < 0) return undefined;
  const table = head.slice(from + 6);
  if (typeof sql.paginate === 'object') return { role: 'list', table };
  if (sql.result === 'row' && second.startsWith('WHERE ')) return { role: 'get', table };
  return undefined;
}

function modeOf(c: Connection | undefined): { mode: WriteMode; fileEnv?: string } | undefined {
  if (!c || c.type === 'http' || c.type === 'dataset' || c.readOnly) return undefined;
  if (c.type === 'sqlite') return c.envVar ? { mode: 'scratch', fileEnv: c.envVar } : undefined;
  return { mode: 'rollback' };
}

/** A value the column's parameter accepts that reads back equal on every dialect (text or a small integer). */
function markerValue(schema: ValueSchema | undefined): string | number | undefined {
  if (!schema || schema.enum || schema.nullable === false) return undefined;
  if (schema.type === 'string' && !schema.format && !schema.pattern && (schema.minLength ?? 0) <= 1) {
    const max = schema.maxLength ?? MARKER_TEXT.length;
    return max >= 1 ? MARKER_TEXT.slice(0, max) : undefined;
  }
  if (schema.type === 'integer' && (schema.minimum ?? 0) <= 7 && (schema.maximum ?? 7) >= 7) return 7;
  return undefined;
}

export function planWriteScenarios(
  spec: ServerSpec,
  requiresEnvOf: (tool: string) => string[],
): WriteScenario[] {
  const byTable = new Map<string, TableTools>();
  for (const tool of spec.tools) {
    const found = tableOf(tool);
    if (!found) continue;
    const entry = byTable.get(found.table) ?? {};
    if (entry[found.role]) continue; // two tools of one role on a table: not an importer shape, keep the first
    entry[found.role] = tool;
    byTable.set(found.table, entry);
  }
  const scenarios: WriteScenario[] = [];
  for (const [table, t] of byTable) {
    if (!t.list || !t.get || !(t.create || t.update || t.delete)) continue;
    const writeTools = [t.create, t.update, t.delete].filter((x): x is Tool => x !== undefined);
    const connections = new Set(writeTools.map((w) => w.sql!.connection));
    if (connections.size !== 1) continue;
    const connection = spec.connections.find((c) => c.name === [...connections][0]);
    const mode = modeOf(connection);
    if (!mode) continue;
    const keyset = t.list.sql!.paginate as SqlKeyset;
    const getWhere = t.get.sql!.statement.split('\n')[1]!.slice('WHERE '.length);
    const pairs = keyPairs(getWhere);
    if (!pairs || pairs.length !== keyset.key.length) continue;
    const key = pairs.map((p, i) => ({ param: p.param, column: keyset.key[i]!.column }));
    // Update and delete must find the row by the same key parameters as get_.
    const sameKey = (w: Tool | undefined) => !w || key.every((k) => w.parameters[k.param]?.required === true);
    if (!sameKey(t.update) || !sameKey(t.delete)) continue;

    // The marker: a sortable (so its column name is known) text or integer column update_ can set.
    // Text first: an integer column may be a foreign key, which a made-up value would break.
    let marker: WriteScenario['marker'];
    const sortColumns = Object.entries(keyset.sort?.columns ?? {});
    for (const wanted of ['string', 'number'] as const) {
      for (const [param, col] of sortColumns) {
        if (marker || key.some((k) => k.param === param)) continue;
        if (t.update && !t.update.parameters[param]) continue;
        const value = markerValue(t.update?.parameters[param] ?? t.create?.parameters[param]);
        if (typeof value === wanted) marker = { param, column: col.column, value: value! };
      }
    }
    let create: WriteScenario['create'];
    if (t.create) {
      const args: Record<string, unknown> = {};
      const fromExisting: NonNullable<NonNullable<WriteScenario['create']>['fromExisting']> = {};
      let ok = true;
      for (const [name, p] of Object.entries(t.create.parameters)) {
        if (marker?.param === name) args[name] = marker.value;
        else if (!p.required) continue;
        else if (p.type === 'string' && !p.enum && !p.format && !p.pattern && (p.minLength ?? 0) <= 1)
          args[name] = MARKER_TEXT.slice(0, p.maxLength ?? 100);
        else {
          // Other required values (often foreign keys) are copied from an existing row when there is one.
          const column = keyset.sort?.columns[name]?.column;
          if (column) fromExisting[name] = { column, type: p.type };
          const v = sampleValue(p);
          if (v === undefined && !column) ok = false;
          else if (v !== undefined) args[name] = v;
        }
      }
      if (ok)
        create = {
          tool: t.create.name,
          arguments: args,
          ...(Object.keys(fromExisting).length ? { fromExisting } : {}),
          returnsRow: t.create.sql!.result === 'row',
        };
    }
    const requiresEnv = [...new Set([t.list, t.get, ...writeTools].flatMap((x) => requiresEnvOf(x.name)))];
    scenarios.push({
      table,
      ...mode,
      requiresEnv,
      key,
      list: t.list.name,
      listArguments: { limit: 1, ...(keyset.direction ? { [keyset.direction]: 'desc' } : {}) },
      get: t.get.name,
      ...(create ? { create } : {}),
      ...(t.update && marker
        ? {
            update: {
              tool: t.update.name,
              arguments: { [marker.param]: marker.value },
              returnsRow: t.update.sql!.result === 'row',
            },
          }
        : {}),
      ...(t.delete ? { delete: { tool: t.delete.name } } : {}),
      ...(marker ? { marker } : {}),
    });
  }
  return scenarios;
}

/** The write tools a scenario exercises (their own skipped cases are left out of cases.json). */
export function coveredTools(scenarios: WriteScenario[]): Set<string> {
  return new Set(
    scenarios.flatMap((s) =>
      [s.create?.tool, s.update?.tool, s.delete?.tool].filter((x): x is string => !!x),
    ),
  );
}
