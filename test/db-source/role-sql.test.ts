/** The role script's text, without a database: quoting of hostile names, sequence parsing, role names. */
import { describe, expect, it } from 'vitest';
import { FactoryError } from '../../src/core/errors/index.js';
import {
  checkRoleName,
  defaultRoleName,
  nativePasswordHash,
  planRole,
  roleScript,
  scramVerifier,
  serialSequence,
} from '../../src/sources/database/role-sql.js';
import type { DatabaseSchema } from '../../src/sources/database/types.js';

const hostile = 'x"; DROP ROLE postgres; --`\'';

const schema = (dialect: 'postgresql' | 'mysql'): DatabaseSchema => ({
  dialect,
  kind: dialect === 'mysql' ? 'mariadb' : 'postgresql',
  database: 'd"b`',
  defaultSchema: dialect === 'mysql' ? 's`1' : 'public',
  tables: [
    {
      schema: dialect === 'mysql' ? 's`1' : 's"1',
      name: hostile,
      type: 'table',
      columns: [
        {
          name: 'id',
          dataType: 'int4',
          kind: 'integer',
          nullable: false,
          generated: false,
          autoIncrement: true,
          default: `nextval('"s""1"."x""_id_seq"'::regclass)`,
        },
      ],
      primaryKey: ['id'],
      foreignKeys: [],
    },
    { schema: 's"1', name: 'v', type: 'view', columns: [], primaryKey: [], foreignKeys: [] },
  ],
  skipped: [],
});

describe('role script', () => {
  it('parses serial sequences from their default and refuses anything else', () => {
    expect(serialSequence(`nextval('"s""1"."x""_id_seq"'::regclass)`)).toEqual(['s"1', 'x"_id_seq']);
    expect(serialSequence(`nextval('artist_artist_id_seq'::regclass)`)).toEqual(['artist_artist_id_seq']);
    expect(serialSequence(`nextval('x''); DROP ROLE y; --'::regclass)`)).toBeUndefined();
    expect(serialSequence(`nextval('a.b.c'::regclass)`)).toBeUndefined();
    expect(serialSequence('now()')).toBeUndefined();
  });

  it('quotes every name per dialect: one statement per line, nothing escapes its identifier', () => {
    const pg = planRole(schema('postgresql'), 'shop_ro', true)!;
    expect(pg.grants).toEqual([
      'GRANT CONNECT ON DATABASE "d""b`" TO "shop_ro";',
      'GRANT USAGE ON SCHEMA "s""1" TO "shop_ro";',
      `GRANT SELECT ON TABLE "s""1"."x""; DROP ROLE postgres; --\`'" TO "shop_ro";`,
      'GRANT SELECT ON TABLE "s""1"."v" TO "shop_ro";',
      `GRANT INSERT, UPDATE, DELETE ON TABLE "s""1"."x""; DROP ROLE postgres; --\`'" TO "shop_ro";`,
      'GRANT USAGE ON SEQUENCE "s""1"."x""_id_seq" TO "shop_ro";',
    ]);
    const my = planRole(schema('mysql'), 'shop_ro', false)!;
    expect(my.grants[0]).toBe(
      `GRANT SELECT ON \`s\`\`1\`.\`x"; DROP ROLE postgres; --\`\`'\` TO 'shop_ro'@'%';`,
    );
    const script = roleScript(
      schema('postgresql'),
      planRole(schema('postgresql'), 'shop_ro', false)!,
      'DATABASE_URL',
    );
    expect(script).toContain('CREATE ROLE "shop_ro" NOLOGIN');
    expect(script).toContain('ALTER ROLE "shop_ro" SET default_transaction_read_only = on;');
    expect(script).not.toContain('INSERT');
    expect(roleScript(schema('mysql'), my, 'DATABASE_URL')).toContain(
      "CREATE USER 'shop_ro'@'%' ACCOUNT LOCK;",
    );
    expect(
      planRole({ ...schema('postgresql'), dialect: 'sqlite', kind: 'sqlite' }, 'shop_ro', false),
    ).toBeUndefined();
  });

  it('accepts only role names that never need quoting', () => {
    for (const bad of ['', 'Admin', "a'b", 'a"b', 'a b', '1abc', 'x'.repeat(33), 'a;b'])
      expect(() => checkRoleName(bad), bad).toThrow(FactoryError);
    expect(checkRoleName('shop_ro')).toBe('shop_ro');
    expect(defaultRoleName('Chinook-MCP.v2', false)).toBe('chinook_mcp_v2_ro');
    expect(defaultRoleName('9-lives', true)).toBe('lives_rw');
    expect(defaultRoleName('x'.repeat(80), true).length).toBeLessThanOrEqual(32);
  });

  it('hashes MariaDB native passwords (the well-known hash of "password")', () => {
    // The SCRAM verifier is checked against PostgreSQL's own in roles.test.ts.
    expect(nativePasswordHash('password')).toBe('*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
    expect(scramVerifier('x')).toMatch(
      /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/,
    );
  });
});
