/**
 * The console's API types (console/src/api/types.ts) against the operations' output schemas they mirror: each
 * answer the API gives must be assignable to what the console reads, so an API field renamed, removed or retyped
 * under the console fails `npm run typecheck` (tsconfig.contracts.json) instead of a page at run time. The
 * console cannot import src/ (it is built for the browser, without Node's types); this file sees both.
 */
import type { z } from 'zod';
import type * as Console from '../../console/src/api/types.ts';
import type { UserSchema } from '../../src/surfaces/api/auth-routes.js';
import type { listAudit } from '../../src/surfaces/operations/catalog.js';
import type {
  listDeployments,
  revisionSpec,
  serverEnv,
  serverHealth,
  serverMetrics,
} from '../../src/surfaces/operations/console.js';
import type { listServers, serverStats, serverStatus } from '../../src/surfaces/operations/servers.js';
import type { triggerRuns } from '../../src/surfaces/operations/triggers.js';

type Answer<O> = O extends { output: infer S extends z.ZodType } ? z.output<S> : never;
type Item<A> = A extends ReadonlyArray<infer T> ? T : never;
/** True when the API's answer can be read as the console's type; a compile error otherwise. */
type Reads<Api extends Console, Console> = Api extends Console ? true : never;

export type ConsoleApiContract = [
  Reads<Answer<typeof serverStatus>, Console.ServerStatus>,
  Reads<Item<Answer<typeof listServers>['servers']>, Console.ServerRecord>,
  Reads<Item<Answer<typeof listDeployments>['deployments']>, Console.Deployment>,
  Reads<Answer<typeof serverStats>, Console.ServerStats>,
  Reads<Item<Answer<typeof serverMetrics>['points']>, Console.MetricPoint>,
  Reads<Answer<typeof serverHealth>, Console.ServerHealthAnswer>,
  Reads<Answer<typeof revisionSpec>, Console.RevisionSpec>,
  Reads<Item<Answer<typeof serverEnv>['variables']>, Console.EnvVariable>,
  Reads<Item<Answer<typeof triggerRuns>['runs']>, Console.TriggerRun>,
  Reads<Item<Answer<typeof listAudit>['entries']>, Console.AuditEntry>,
  Reads<z.output<typeof UserSchema>, Console.User>,
];
