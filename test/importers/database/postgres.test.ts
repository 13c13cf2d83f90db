/** Database importer on the real PostgreSQL (gated by MCP_FACTORY_TEST_PG_URL like test/e2e/databases.test.ts). */
import { expect, it } from 'vitest';
import { REQUIRE_SERVICES, serviceGate } from '../../helpers/services.js';
import { loadPostgres } from './fixtures.js';
import { chinookSuite } from './suite.js';

const gate = serviceGate('MCP_FACTORY_TEST_PG_URL', 'PostgreSQL');
if (gate.missing) {
  const why = gate.missing;
  if (REQUIRE_SERVICES) it('postgresql: required service is configured', () => expect.fail(why));
  else it.skip(`postgresql: ${why}`, () => undefined);
} else {
  const url = gate.url!;
  chinookSuite('postgresql', () => loadPostgres(url));
}
