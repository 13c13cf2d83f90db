/** Database importer on the real MariaDB/MySQL (gated by MCP_FACTORY_TEST_MYSQL_URL like test/e2e/databases.test.ts). */
import { expect, it } from 'vitest';
import { REQUIRE_SERVICES, serviceGate } from '../../helpers/services.js';
import { loadMysql } from './fixtures.js';
import { chinookSuite } from './suite.js';

const gate = serviceGate('MCP_FACTORY_TEST_MYSQL_URL', 'MariaDB');
if (gate.missing) {
  const why = gate.missing;
  if (REQUIRE_SERVICES) it('mariadb: required service is configured', () => expect.fail(why));
  else it.skip(`mariadb: ${why}`, () => undefined);
} else {
  const url = gate.url!;
  chinookSuite('mariadb', () => loadMysql(url));
}
