/** The access policy: today every authenticated caller may do everything; a policy that denies is enforced. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../../src/core/errors/index.js';
import { AccessControl, type Principal } from '../../src/identity/access.js';
import {
  ALLOW_AUTHENTICATED,
  authorize,
  PERMISSIONS,
  type Permission,
  type Policy,
  ROLE_POLICY,
  type Subject,
  subjectName,
} from '../../src/identity/policy.js';
import { TokenStore } from '../../src/identity/tokens.js';
import { openRegistry, type Registry } from '../../src/store/index.js';

const principal: Principal = { tokenId: 'tok_1', name: 'agent', maxServers: 20, requestsPerMinute: 300 };
const subjects: Subject[] = [
  { kind: 'token', principal },
  { kind: 'local', name: 'cli:me' },
];

/** Allows only reads; records what it was asked. */
function readOnlyPolicy(asked: Array<[string, Permission]>): Policy {
  return {
    decide(subject, permission) {
      asked.push([subjectName(subject), permission]);
      return permission === 'servers.read'
        ? { allowed: true }
        : { allowed: false, reason: 'read-only token' };
    },
  };
}

describe('ALLOW_AUTHENTICATED', () => {
  it('lets the local user use every permission, a token holder all but the elevated ones (code creation)', () => {
    for (const subject of subjects)
      for (const permission of PERMISSIONS) {
        const elevated = subject.kind === 'token' && permission.startsWith('servers.create.');
        expect(ALLOW_AUTHENTICATED.decide(subject, permission).allowed, `${subject.kind} ${permission}`).toBe(
          !elevated,
        );
      }
  });
});

describe('authorize', () => {
  it('passes when the policy allows, and throws API_FORBIDDEN naming the permission when it denies', () => {
    const asked: Array<[string, Permission]> = [];
    const policy = readOnlyPolicy(asked);
    expect(() => authorize(policy, subjects[0]!, 'servers.read')).not.toThrow();
    let thrown: unknown;
    try {
      authorize(policy, subjects[1]!, 'servers.remove');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FactoryError);
    expect(thrown).toMatchObject({
      code: 'API_FORBIDDEN',
      details: { permission: 'servers.remove', subject: 'cli:me' },
    });
    expect((thrown as Error).message).toContain('read-only token');
    expect(asked).toEqual([
      ['agent', 'servers.read'],
      ['cli:me', 'servers.remove'],
    ]);
  });
});

describe('AccessControl', () => {
  let home: string;
  let registry: Registry;
  let tokens: TokenStore;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'mcpf-policy-'));
    registry = await openRegistry({ home });
    tokens = TokenStore.open({ home });
  });
  afterAll(async () => {
    await registry.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('uses the role policy unless given one: a token from before roles keeps what it could do (service role)', () => {
    const access = new AccessControl({ tokens, registry });
    expect(access.policy).toBe(ROLE_POLICY);
    // jobs.all: a service token sees its own jobs only (jobs came after roles; docs/jobs.md).
    const before = new Set(['users.read', 'users.manage', 'teams.manage', 'toolsmith.review', 'jobs.all']);
    for (const permission of PERMISSIONS)
      if (permission.startsWith('servers.create.'))
        expect(() => access.authorize(principal, permission)).toThrow(/scope/);
      else if (before.has(permission))
        expect(() => access.authorize(principal, permission)).toThrow(/service role/);
      else expect(() => access.authorize(principal, permission)).not.toThrow();
  });

  it('asks its policy with the token holder as the subject', () => {
    const asked: Array<[string, Permission]> = [];
    const access = new AccessControl({ tokens, registry, policy: readOnlyPolicy(asked) });
    expect(() => access.authorize(principal, 'servers.read')).not.toThrow();
    expect(() => access.authorize(principal, 'servers.create')).toThrow(/agent may not servers.create/);
    expect(asked).toEqual([
      ['agent', 'servers.read'],
      ['agent', 'servers.create'],
    ]);
  });
});
