/** The database source against a real SQLite file. */
import { sqliteFixture } from './fixtures.js';
import { liveSuite } from './suite.js';

liveSuite('sqlite', () => sqliteFixture());
