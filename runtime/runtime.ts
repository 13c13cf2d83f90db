/** Shared state of one server process: logger, metrics, rate limiter, lazily opened connections. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CatalogDefinition, createCatalogs } from './catalog.js';
import { type DatasetEngine, type DatasetHandle, resolveDatasetFile } from './dataset.js';
import { ToolError } from './errors.js';
import { callHttp, type HttpToolDefinition } from './http-client.js';
import { createLogger, type Logger, parseLogLevel } from './logger.js';
import { type Metrics, NO_METRICS } from './metrics.js';
import { createRateLimiter, type RateLimiter } from './rate-limit.js';
import type { ServerSettings } from './settings.js';
import {
  openDatabase,
  type QueryToolDefinition,
  runQuery,
  runSql,
  type SqlDatabase,
  type SqlDrivers,
  type SqlToolDefinition,
} from './sql.js';

export type { CatalogDefinition } from './catalog.js';

export interface Runtime {
  settings: ServerSettings;
  log: Logger;
  metrics: Metrics;
  limiter: RateLimiter;
  projectRoot: string;
  db(name: string): SqlDatabase;
  /** A data file of a dataset connection (ctx.dataset); `signal` interrupts its running query. */
  dataset(connection: string, file: string, signal?: AbortSignal): DatasetHandle;
  sql(def: SqlToolDefinition, args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown>;
  http(
    def: HttpToolDefinition,
    args: Record<string, unknown>,
    signal?: AbortSignal,
    upstreamCredential?: string,
  ): Promise<unknown>;
  query(def: QueryToolDefinition, args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown>;
  catalog(
    name: string,
    action: 'search' | 'describe' | 'invoke',
    args: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<unknown>;
  close(): Promise<void>;
}

/** The folder that holds package.json: the bundle lives in dist/, sources in src/runtime/. */
function findProjectRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.endsWith('runtime') ? resolve(here, '../..') : resolve(here, '..');
}

/**
 * `drivers`: the SQL drivers this server's connections need (the generator imports only those); `datasets`: the
 * dataset engine (runtime/dataset-duckdb.ts), only for servers with a dataset connection.
 */
export function createRuntime(
  settings: ServerSettings,
  drivers: SqlDrivers = {},
  catalogs: Record<string, CatalogDefinition> = {},
  datasets?: DatasetEngine,
): Runtime {
  const log = createLogger(parseLogLevel(process.env.LOG_LEVEL, settings.logLevel), {
    server: settings.name,
  });
  const projectRoot = process.env.MCP_PROJECT_ROOT || findProjectRoot();
  const databases = new Map<string, SqlDatabase>();
  const db = (name: string): SqlDatabase => {
    let handle = databases.get(name);
    if (!handle) {
      const config = settings.sqlConnections.find((c) => c.name === name);
      if (!config) throw new ToolError(`unknown database connection "${name}"`);
      handle = openDatabase(config, projectRoot, drivers);
      databases.set(name, handle);
    }
    return handle;
  };
  const dataset = (connection: string, file: string, signal?: AbortSignal): DatasetHandle => {
    const config = settings.datasetConnections?.find((c) => c.name === connection);
    if (!config || !datasets) throw new ToolError(`unknown dataset connection "${connection}"`);
    // Resolved per query: the roots variable and the file are read when the query runs, not when it is named.
    return datasets(config, () => resolveDatasetFile(config, file), signal);
  };
  const http = (
    def: HttpToolDefinition,
    args: Record<string, unknown>,
    signal?: AbortSignal,
    upstreamCredential?: string,
  ) => {
    const conn = settings.httpConnections.find((c) => c.name === def.connection);
    if (!conn) throw new ToolError(`unknown http connection "${def.connection}"`);
    return callHttp(conn, def, args, {
      signal,
      retry: settings.retries,
      userAgent: `${settings.name}/${settings.version}`,
      upstreamCredential,
    });
  };
  return {
    settings,
    log,
    metrics: NO_METRICS,
    limiter: createRateLimiter(settings.rateLimit),
    projectRoot,
    db,
    dataset,
    sql: (def, args, signal) => runSql(db(def.connection), def, args, signal),
    http,
    query: (def, args, signal) => {
      const dialect = settings.sqlConnections.find((c) => c.name === def.connection)?.type;
      return runQuery(db(def.connection), { ...def, dialect }, args, signal);
    },
    catalog: createCatalogs(catalogs, http),
    async close() {
      await Promise.allSettled([...databases.values()].map((d) => d.close()));
      databases.clear();
    },
  };
}
