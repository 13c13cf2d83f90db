/**
 * Servers as resources of the policy: an operation on a named server asks the policy with that server's owner
 * and team; a server the caller may not even see answers exactly like a server that does not exist (the name
 * of another team's server is not the caller's to learn). Creating a server records its creator and team;
 * listings leave out what the caller may not see. The local user (CLI, MCP over stdio) is not checked.
 */
import { FactoryError } from '../../core/errors/index.js';
import { authorize, canSee, type Permission } from '../../identity/policy.js';
import type { ServerScope } from '../../store/index.js';
import type { OperationContext } from './operation.js';

function noSuchServer(name: string): FactoryError {
  return new FactoryError('REGISTRY_NOT_FOUND', `No server named ${name} in the registry`, {
    details: { server: name },
  });
}

/** Throw unless the caller may use `permission` on server `name` (a missing server is the handler's to report). */
export async function authorizeServer(
  context: OperationContext,
  permission: Permission,
  name: string,
): Promise<void> {
  if (context.subject.kind === 'local') return;
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
  return (server) => {
    const scope = scopes.get(server);
    return scope !== undefined && canSee(context.policy, subject, scope);
  };
}
