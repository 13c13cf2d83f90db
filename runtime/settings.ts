import type { DatasetConnectionConfig } from './dataset.js';
import type { HttpConnectionConfig } from './http-client.js';
import type { LogLevel } from './logger.js';
import type { SqlConnectionConfig } from './sql.js';

/** Everything the generated server knows from its spec, as plain data. */
export interface ServerSettings {
  name: string;
  version: string;
  title?: string;
  description?: string;
  defaultTransport: 'stdio' | 'http';
  http: { host: string; port: number; path: string; allowedHosts: string[]; allowedOrigins: string[] };
  auth:
    | { type: 'none' }
    | { type: 'api_key'; header: string; envVar: string }
    | { type: 'bearer'; envVar: string }
    | {
        type: 'oauth';
        issuer?: string;
        audience?: string;
        resource?: string;
        jwksUri?: string;
        scopes?: string[];
        requiredScopes?: string[];
        /** Scopes each tool needs besides `requiredScopes` (tool name → scopes). */
        toolScopes?: Record<string, string[]>;
      };
  logLevel: LogLevel;
  metrics: boolean;
  rateLimit?: { requests: number; windowSeconds: number };
  timeoutMs: number;
  retries: { max: number; backoffMs: number };
  sqlConnections: SqlConnectionConfig[];
  httpConnections: HttpConnectionConfig[];
  /** Data files queried with SQL by code tools (ctx.dataset); absent when the spec declares none. */
  datasetConnections?: DatasetConnectionConfig[];
}
