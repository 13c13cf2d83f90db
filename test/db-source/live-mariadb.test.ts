/** The database source against the real MariaDB (MCP_FACTORY_TEST_MYSQL_URL). */
import { expect, it } from 'vitest';
import { REQUIRE_SERVICES, serviceGate } from '../helpers/services.js';
import { mariadbFixture } from './fixtures.js';
import { liveSuite } from './suite.js';

const gate = serviceGate('MCP_FACTORY_TEST_MYSQL_URL', 'MariaDB');
if (gate.missing) {
  const why = gate.missing;
  if (REQUIRE_SERVICES) it('mariadb: required service is configured', () => expect.fail(why));
  else it.skip(`mariadb: ${why}`, () => undefined);
} else liveSuite('mariadb', () => mariadbFixture(gate.url!));
