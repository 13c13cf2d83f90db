/**
 * The MCP conformance runner (layer: the highest; it may import anything in src/): runs the official
 * suite (@modelcontextprotocol/conformance) against a bundled MCP server over Streamable HTTP, once per
 * protocol revision, and classifies every failure as fixture-required or protocol. The command line is
 * `node scripts/conformance.mjs`, a shim over `main` (compiled to dist/conformance/). See
 * docs/conformance.md.
 */
export { type CheckContext, classifyCheck, classifyScenario, missingEntitiesIn } from './classify.js';
export { main, USAGE } from './cli.js';
export { parseDeclaredRequirements } from './declared.js';
export { EXTENSIONS, METHOD_CAPABILITY, REFERENCE_FIXTURES, SCENARIO_METHODS } from './evidence.js';
export { renderMarkdown } from './markdown.js';
export { REPO, TOOLS_DIR } from './paths.js';
export { probeServer } from './probe.js';
export { parseSummary, readResults, type ScenarioResults } from './results.js';
export { runVersion, type VersionRun } from './run.js';
export { freePort, type StartOptions, startServer, stopServer } from './server.js';
export {
  DEFAULT_VERSIONS,
  type Engine,
  ensureNode22,
  ensureSuite,
  loadRequirements,
  NODE_MAJOR,
  type NodeBinary,
  type Requirements,
  SUITE_PKG,
  SUITES,
  type SuitePaths,
  suiteKnowsVersion,
  suitePaths,
} from './suite.js';
export type * from './types.js';
export { isVersionFailure } from './types.js';
