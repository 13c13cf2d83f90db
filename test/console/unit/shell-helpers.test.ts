import { describe, expect, it } from 'vitest';
import { personRoles } from '../../../console/src/api/identity.ts';
import { permissionNames } from '../../../console/src/app/auth.tsx';
import { compareValues } from '../../../console/src/components/DataTable.tsx';
import { patternList } from '../../../console/src/pages/tokens/index.tsx';

describe('console shell helpers', () => {
  it('reduces /auth/me grants to permission names, whatever their reach', () => {
    expect(
      permissionNames({
        permissions: [
          { permission: 'servers.read', reach: 'all' },
          { permission: 'servers.deploy', reach: 'own' },
          { permission: 'servers.read', reach: 'team' },
          { permission: 'servers.create.code', reach: 'scope' },
        ],
      }),
    ).toEqual(['servers.create.code', 'servers.deploy', 'servers.read']);
    expect(permissionNames({ permissions: [] })).toEqual([]);
  });

  it('offers the roles of people, never the legacy service role', () => {
    expect(personRoles({ permissions: [], roles: { admin: [], service: [], viewer: [] } })).toEqual([
      'admin',
      'viewer',
    ]);
    expect(personRoles(undefined)).toEqual([]);
  });

  it('splits allow-list patterns on commas and spaces; empty means no restriction', () => {
    expect(patternList('inventory, billing-*  crm')).toEqual(['inventory', 'billing-*', 'crm']);
    expect(patternList(' , ')).toBeUndefined();
    expect(patternList('')).toBeUndefined();
  });

  it('sorts numbers numerically, text by locale, unknowns last', () => {
    expect([10, 9, 100].sort(compareValues)).toEqual([9, 10, 100]);
    expect(['b', 'a', 'c'].sort(compareValues)).toEqual(['a', 'b', 'c']);
    // Array#sort moves undefined last by itself: check the comparator directly.
    expect(compareValues(undefined, 1)).toBeGreaterThan(0);
    expect(compareValues('a', undefined)).toBeLessThan(0);
    expect(compareValues(undefined, undefined)).toBe(0);
  });
});
