/**
 * Servers as resources of the policy: an operation on a named server asks the policy with that server's owner
 * and team; a server the caller may not even see answers exactly like a server that does not exist (the name
 * of another team's server is not the caller's to learn). Creating a server records its creator and team;
 * listings leave out what the caller may not see. The local user (CLI, MCP over stdio) is not checked.
 *
 * A token's allow-list (`mcp-factory token create --servers … --tools …`) narrows this further, here and only
 * here for the management operations: a server outside it answers like a missing one, is left out of listings,
 * and cannot be created; a tool outside it answers like a missing tool.
 */
import { FactoryError } from '../../core/errors/index.js';
import { type AllowList, allowsServer, allowsTool } from '../../core/text/patterns.js';
import { authorize, canSee, type Permission } from '../../identity/policy.js';
import type { ServerScope } from '../../store/index.js';
import type { OperationContext } from './operation.js';

function noSuchServer(name: string): FactoryError {
  return new FactoryError('REGISTRY_NOT_FOUND', `No server named ${name} in the registry`, {
    details: { server: name },
  });
}

/** The caller's allow-list (undefined: none, e.g. the local user or a token without one). */
function allowListOf(context: OperationContext): AllowList | undefined {
  return context.subject.kind === 'token' ? context.subject.principal.allow : undefined;
}

/** Throw unless the caller may use `permission` on server `name` (a missing server is the handler's to report). */
export async function authorizeServer(
  context: OperationContext,
  permission: Permission,
  name: string,
): Promise<void> {
  if (context.subject.kind === 'local') return;
  if (!allowsServer(allowListOf(context), name)) throw noSuchServer(name);
  const scope = await context.registry.identity.serverScope(name);
  if (!scope || scope.removed) return;
  if (!canSee(context.policy, context.subject, scope)) throw noSuchServer(name);
  authorize(context.policy, context.subject, permission, scope);
}

/**
 * Before a creation: a new revision of an existing server needs `servers.create` on it. Returns what to
 * record once the server exists (undefined: keep the existing owner).
 */
export async function authorizeCreate(
  context: OperationContext,
  name: string,
): Promise<ServerScope | undefined> {
  const subject = context.subject;
  // Outside the token's allow-list: refused whether or not the name exists (that is not the caller's to learn).
  if (subject.kind === 'token' && !allowsServer(subject.principal.allow, name))
    throw new FactoryError(
      'API_FORBIDDEN',
      `${subject.principal.name} may not create a server named ${name}: the token is restricted to other servers`,
      { details: { permission: 'servers.create', subject: subject.principal.name } },
    );
  const scope = await context.registry.identity.serverScope(name);
  if (scope && !scope.removed) {
    if (subject.kind === 'local') return undefined;
    // Another team's server: refused like any existing name, without saying whose it is.
    if (!canSee(context.policy, subject, scope))
      throw new FactoryError('SERVER_EXISTS', `a server named ${name} exists; choose another name`, {
        details: { server: name },
      });
    authorize(context.policy, subject, 'servers.create', scope);
    return undefined;
  }
  if (subject.kind === 'local') return { owner: null, team: null };
  return { owner: subject.principal.user ?? null, team: subject.principal.team ?? null };
}

/** Record the creator of a new server. */
export async function claimServer(context: OperationContext, name: string, scope: ServerScope | undefined) {
  if (scope) await context.registry.identity.claimServer(name, scope);
}

/** A filter of server names the caller may see (everything for the local user). */
export async function visibleServers(context: OperationContext): Promise<(server: string) => boolean> {
  const subject = context.subject;
  if (subject.kind === 'local') return () => true;
  const scopes = await context.registry.identity.serverScopes();
  const allow = subject.principal.allow;
  return (server) => {
    const scope = scopes.get(server);
    return scope !== undefined && allowsServer(allow, server) && canSee(context.policy, subject, scope);
  };
}

/** A filter of (server, tool) pairs the caller's allow-list lets it use (server visibility is checked apart). */
export function allowedTools(context: OperationContext): (server: string, tool: string) => boolean {
  const allow = allowListOf(context);
  return (server, tool) => allowsTool(allow, server, tool);
}

/** Throw TOOL_NOT_FOUND, as for a tool the server lacks, unless the caller's allow-list covers the tool. */
export function authorizeTool(context: OperationContext, server: string, tool: string): void {
  if (allowsTool(allowListOf(context), server, tool)) return;
  throw new FactoryError('TOOL_NOT_FOUND', `no tool "${tool.slice(0, 200)}" on ${server}`);
}

/**
 * A TOOL_NOT_FOUND from the control plane names every tool of the server: for a caller with an allow-list, the
 * same error without that list (the form authorizeTool uses, so a forbidden and a missing tool read alike).
 */
export function narrowedToolError(
  context: OperationContext,
  server: string,
  tool: string,
  error: unknown,
): unknown {
  if (!allowListOf(context) || !(error instanceof FactoryError) || error.code !== 'TOOL_NOT_FOUND')
    return error;
  return new FactoryError('TOOL_NOT_FOUND', `no tool "${tool.slice(0, 200)}" on ${server}`);
}
