/** The database source against the real PostgreSQL (MCP_FACTORY_TEST_PG_URL). */
import { expect, it } from 'vitest';
import { REQUIRE_SERVICES, serviceGate } from '../helpers/services.js';
import { pgFixture } from './fixtures.js';
import { liveSuite } from './suite.js';

const gate = serviceGate('MCP_FACTORY_TEST_PG_URL', 'PostgreSQL');
if (gate.missing) {
  const why = gate.missing;
  if (REQUIRE_SERVICES) it('postgresql: required service is configured', () => expect.fail(why));
  else it.skip(`postgresql: ${why}`, () => undefined);
} else liveSuite('postgresql', () => pgFixture(gate.url!));
