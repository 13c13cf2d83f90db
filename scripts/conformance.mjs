#!/usr/bin/env node
// Runs the official MCP conformance suite (@modelcontextprotocol/conformance) against a bundled
// MCP server over Streamable HTTP, once per protocol revision, and classifies every failure.
//
//   node scripts/conformance.mjs --server <bundle.mjs> [--out <dir>] [--versions 2026-07-28,2025-11-25]
//
// Plain Node ESM that runs on the project's Node (>= 20.19). The suite itself needs Node 22, so a
// Node 22 binary is installed from npm into .tools/node22 and used only to run the suite.
// See docs/conformance.md for what the suite covers and how failures are classified.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TOOLS_DIR = path.join(REPO, '.tools');
const SUITE_PKG = '@modelcontextprotocol/conformance';
const NODE_MAJOR = 22;

// Two suite releases are kept side by side:
//  - stable: the npm `latest` tag. It knows spec versions up to 2025-11-25 only ("Unknown spec
//    version: 2026-07-28"), so it cannot test the stateless revision at all.
//  - next:   the newest prerelease. It knows 2026-07-28 and ships frozen per-revision requirement
//    sets (requirements/<rev>.yaml, run with `--requirements <rev>`); its 2025-11-25 set scores
//    exactly the 30 scenarios that 0.1.16 runs by default, plus 3 not-scored ones.
export const SUITES = {
  stable: { version: '0.1.16', dir: 'conformance' },
  next: { version: '0.2.0-alpha.12', dir: 'conformance-next' },
};
export const DEFAULT_VERSIONS = ['2026-07-28', '2025-11-25'];

// ---------------------------------------------------------------------------------------------
// Evidence tables. Everything here is documented with where it came from; classification itself
// is always driven by the failing check's own message plus what the server under test exposes.
// ---------------------------------------------------------------------------------------------

// Fixtures of the suite's reference server: examples/servers/typescript/everything-server.ts and
// the tasks fixtures described in src/scenarios/server/tasks/*.ts of
// github.com/modelcontextprotocol/conformance (commit c321dd3, v0.2.0-alpha.11; the same names are
// used by 0.1.16 and 0.2.0-alpha.12). Used only as supporting evidence ("referenceFixture").
export const REFERENCE_FIXTURES = {
  tools: [
    'test_simple_text',
    'test_image_content',
    'test_audio_content',
    'test_embedded_resource',
    'test_multiple_content_types',
    'test_tool_with_logging',
    'test_tool_with_progress',
    'test_error_handling',
    'test_reconnection',
    'test_sampling',
    'test_elicitation',
    'test_elicitation_sep1034_defaults',
    'test_elicitation_sep1330_enums',
    'json_schema_2020_12_tool',
    'test_input_required_result_elicitation',
    'test_input_required_result_sampling',
    'test_input_required_result_list_roots',
    'test_input_required_result_request_state',
    'test_input_required_result_multiple_inputs',
    'test_input_required_result_multi_round',
    'test_input_required_result_tampered_state',
    'test_input_required_result_capabilities',
    'test_missing_capability',
    'test_streaming_elicitation',
    'test_logging_tool',
    'test_trigger_tool_change',
    'test_trigger_prompt_change',
    // tasks extension (SEP-2663) fixtures
    'slow_compute',
    'greet',
    'confirm_delete',
    'failing_job',
    'protocol_error_job',
    'multi_input',
    'test_tool_with_task',
  ],
  prompts: [
    'test_simple_prompt',
    'test_prompt_with_arguments',
    'test_prompt_with_embedded_resource',
    'test_prompt_with_image',
    'test_input_required_result_prompt',
  ],
  resources: [
    'test://static-text',
    'test://static-binary',
    'test://template/{id}/data',
    'test://watched-resource',
    'test://embedded-resource',
    'test://mixed-content-resource',
    'test://stateless-static-text',
  ],
};

// Scenario -> JSON-RPC method it needs beyond tools/prompts/resources basics. Most scenarios declare
// this in their description ("**Endpoint**: `logging/setLevel`", parsed at run time); the map covers
// scenarios that call the method incidentally (tools-call-with-logging calls logging/setLevel before
// its fixture tool: src/scenarios/server/tools.ts).
export const SCENARIO_METHODS = {
  'logging-set-level': 'logging/setLevel',
  'tools-call-with-logging': 'logging/setLevel',
  'completion-complete': 'completion/complete',
  'resources-subscribe': 'resources/subscribe',
  'resources-unsubscribe': 'resources/unsubscribe',
};

// Method -> server capability that must be advertised before a client may use it (MCP spec).
export const METHOD_CAPABILITY = {
  'logging/setLevel': 'logging',
  'completion/complete': 'completions',
  'resources/subscribe': 'resources.subscribe',
  'resources/unsubscribe': 'resources.subscribe',
};

// Optional protocol extensions the suite tests, keyed by check-id / scenario prefix.
// SEP-2663 = io.modelcontextprotocol/tasks (requirements/2026-07-28.yaml, not_scored notes).
export const EXTENSIONS = [{ id: 'io.modelcontextprotocol/tasks', prefixes: ['tasks-', 'sep-2663-'] }];

// Check messages saying the check could not run because an earlier step (needing a fixture) failed.
const DEPENDENT_RE =
  /^Prerequisite failed|preceding step|fixture from Check \d+ unavailable|could not be exercised/i;

// ---------------------------------------------------------------------------------------------
// small utils
// ---------------------------------------------------------------------------------------------

const log = (...a) => console.error('[conformance]', ...a);
const exists = (p) => {
  try {
    fs.accessSync(p);
    return true;
  } catch {
    return false;
  }
};
const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function npmInstall(prefix, spec) {
  fs.mkdirSync(prefix, { recursive: true });
  log(`installing ${spec} into ${path.relative(REPO, prefix)} ...`);
  const r = spawnSync(
    'npm',
    ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', spec],
    { stdio: ['ignore', 'inherit', 'inherit'], env: process.env },
  );
  if (r.status !== 0) throw new Error(`npm install ${spec} failed (exit ${r.status})`);
}

// ---------------------------------------------------------------------------------------------
// tools: Node 22 + suite packages, installed into .tools/ on demand
// ---------------------------------------------------------------------------------------------

function node22Candidates() {
  const nm = path.join(TOOLS_DIR, 'node22', 'node_modules');
  const arch = `node-${process.platform}-${process.arch}`;
  return [
    path.join(nm, 'node', 'bin', 'node'),
    path.join(nm, 'node', 'node_modules', arch, 'bin', 'node'),
    path.join(nm, arch, 'bin', 'node'),
  ];
}

function findNode22() {
  for (const c of node22Candidates()) {
    if (!exists(c)) continue;
    const r = spawnSync(c, ['--version'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim().startsWith(`v${NODE_MAJOR}.`))
      return { bin: c, version: r.stdout.trim() };
  }
  return null;
}

export function ensureNode22() {
  let found = findNode22();
  if (found) return found;
  const prefix = path.join(TOOLS_DIR, 'node22');
  npmInstall(prefix, `node@${NODE_MAJOR}`);
  found = findNode22();
  if (found) return found;
  // The `node` package places its binary with a preinstall script; if install scripts are blocked,
  // the per-platform package (which ships bin/node without scripts) still works.
  npmInstall(prefix, `node-${process.platform}-${process.arch}@${NODE_MAJOR}`);
  found = findNode22();
  if (!found) throw new Error(`could not install a Node ${NODE_MAJOR} binary into ${prefix}`);
  return found;
}

export function suitePaths(engine) {
  const s = SUITES[engine];
  if (!s) throw new Error(`unknown engine ${engine}`);
  const prefix = path.join(TOOLS_DIR, s.dir);
  const pkgDir = path.join(prefix, 'node_modules', ...SUITE_PKG.split('/'));
  return { prefix, pkgDir, cli: path.join(pkgDir, 'dist', 'index.js'), version: s.version };
}

export function ensureSuite(engine) {
  const p = suitePaths(engine);
  const ok = () => exists(p.cli) && readJson(path.join(p.pkgDir, 'package.json')).version === p.version;
  if (!ok()) {
    npmInstall(p.prefix, `${SUITE_PKG}@${p.version}`);
    if (!ok()) throw new Error(`${SUITE_PKG}@${p.version} did not install into ${p.prefix}`);
  }
  return p;
}

/** Does this suite release know `version`? Asked of the suite itself (`list --spec-version`). */
function suiteKnowsVersion(node22, suite, version) {
  const r = spawnSync(node22, [suite.cli, 'list', '--server', '--spec-version', version], {
    encoding: 'utf8',
  });
  return r.status === 0 && /^\s+- /m.test(r.stdout);
}

function loadRequirements(suite, version) {
  const file = path.join(suite.pkgDir, 'requirements', `${version}.yaml`);
  if (!exists(file)) return null;
  const YAML = createRequire(path.join(suite.pkgDir, 'package.json'))('yaml');
  const doc = YAML.parse(fs.readFileSync(file, 'utf8')) ?? {};
  const notScored = {};
  for (const e of doc.not_scored ?? []) if (e.leg === 'server') notScored[e.scenario] = e.reason;
  return { file, scored: doc.server ?? [], notScored };
}

/**
 * Declared requirements of each scenario, read from the scenario descriptions compiled into the
 * installed suite ("Implement tool `test_simple_text`", "**Endpoint**: `logging/setLevel`",
 * "- `slow_compute` — task-supporting ..."). Best effort: the bundle is minified, so a scenario
 * whose description cannot be found simply declares nothing.
 */
export function parseDeclaredRequirements(cliSource) {
  const out = {};
  const re =
    /name=`([a-z0-9][a-z0-9/-]*)`,[\s\S]{0,400}?description=(`(?:[^`\\]|\\[\s\S])*`|"(?:[^"\\]|\\[\s\S])*")/g;
  for (const m of cliSource.matchAll(re)) {
    let d = m[2];
    try {
      d = d[0] === '"' ? JSON.parse(d) : d.slice(1, -1).replace(/\\`/g, '`').replace(/\\n/g, '\n');
    } catch {
      continue;
    }
    const fixtures = new Set();
    for (const x of d.matchAll(
      /\b(tool|prompt|resource|template)s?\s+(?:named\s+|called\s+)?`([^`\s$]+)`/gi,
    )) {
      fixtures.add(x[2]);
    }
    for (const x of d.matchAll(/^\s*[-*]\s+`([a-z][a-z0-9_]*_[a-z0-9_]+)`/gm)) fixtures.add(x[1]);
    for (const x of d.matchAll(/`(test:\/\/[^`\s]+)`/g)) fixtures.add(x[1]);
    const endpoints = new Set(
      [...d.matchAll(/\*\*Endpoint\*\*:\s*`([a-z]+\/[A-Za-z/]+)`/g)].map((x) => x[1]),
    );
    out[m[1]] = { fixtures: [...fixtures], endpoints: [...endpoints] };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// server process
// ---------------------------------------------------------------------------------------------

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export async function startServer(bundle, { port, logFile, startupTimeoutMs = 20000 }) {
  const out = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, [bundle, '--transport', 'http', '--port', String(port)], {
    cwd: REPO,
    env: { ...process.env, PORT: String(port), MCP_TRANSPORT: 'http' },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
  });
  const deadline = Date.now() + startupTimeoutMs;
  while (Date.now() < deadline) {
    if (exited) break;
    if (await canConnect(port)) return child;
    await sleep(100);
  }
  await stopServer(child);
  const tail = exists(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-2000) : '';
  throw new Error(
    `server did not listen on 127.0.0.1:${port} ${exited ? `(exited ${JSON.stringify(exited)})` : `within ${startupTimeoutMs} ms`}\n${tail}`,
  );
}

export async function stopServer(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}

// ---------------------------------------------------------------------------------------------
// probe: what does the server expose? (evidence for "the fixture X is missing")
// ---------------------------------------------------------------------------------------------

async function rpc(url, version, method, params, { id, sessionId } = {}) {
  const modern = version >= '2026-07-28';
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': version,
  };
  if (sessionId) headers['mcp-session-id'] = sessionId;
  let body = { jsonrpc: '2.0', method, params: params ?? {} };
  if (id !== undefined) body.id = id;
  if (modern) {
    headers['mcp-method'] = method;
    body = {
      ...body,
      params: {
        ...body.params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': version,
          'io.modelcontextprotocol/clientInfo': { name: 'mcp-factory-conformance-probe', version: '1.0.0' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    };
  }
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  let msg = null;
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    for (const line of text.split(/\r?\n/)) {
      if (!line.startsWith('data:')) continue;
      try {
        const m = JSON.parse(line.slice(5).trim());
        if (m.id === id) msg = m;
      } catch {}
    }
  } else if (text) {
    try {
      msg = JSON.parse(text);
    } catch {}
  }
  return { status: res.status, sessionId: res.headers.get('mcp-session-id'), msg };
}

export async function probeServer(url, version) {
  const probe = { ok: false, capabilities: {}, tools: [], prompts: [], resources: [], resourceTemplates: [] };
  try {
    let sessionId = null;
    let n = 1;
    if (version >= '2026-07-28') {
      const r = await rpc(url, version, 'server/discover', {}, { id: n++ });
      if (!r.msg?.result)
        throw new Error(`server/discover: HTTP ${r.status} ${JSON.stringify(r.msg?.error ?? null)}`);
      probe.capabilities = r.msg.result.capabilities ?? {};
    } else {
      const r = await rpc(
        url,
        version,
        'initialize',
        {
          protocolVersion: version,
          capabilities: {},
          clientInfo: { name: 'mcp-factory-conformance-probe', version: '1.0.0' },
        },
        { id: n++ },
      );
      if (!r.msg?.result)
        throw new Error(`initialize: HTTP ${r.status} ${JSON.stringify(r.msg?.error ?? null)}`);
      probe.capabilities = r.msg.result.capabilities ?? {};
      sessionId = r.sessionId;
      await rpc(url, version, 'notifications/initialized', {}, { sessionId });
    }
    const lists = [
      ['tools', 'tools/list', 'tools'],
      ['prompts', 'prompts/list', 'prompts'],
      ['resources', 'resources/list', 'resources'],
      ['resources', 'resources/templates/list', 'resourceTemplates'],
    ];
    for (const [cap, method, key] of lists) {
      if (!probe.capabilities[cap]) continue;
      let cursor;
      for (let page = 0; page < 50; page++) {
        const r = await rpc(url, version, method, cursor ? { cursor } : {}, { id: n++, sessionId });
        const result = r.msg?.result;
        if (!result) break;
        probe[key].push(...(result[key] ?? []));
        cursor = result.nextCursor;
        if (!cursor) break;
      }
    }
    probe.ok = true;
    if (sessionId) {
      // end the probe's own session on sessionful servers
      await fetch(url, {
        method: 'DELETE',
        headers: { 'mcp-session-id': sessionId, 'mcp-protocol-version': version },
        signal: AbortSignal.timeout(5000),
      }).catch(() => {});
    }
  } catch (e) {
    probe.error = String(e?.message ?? e);
  }
  return probe;
}

// ---------------------------------------------------------------------------------------------
// classification
// ---------------------------------------------------------------------------------------------

function templateMatches(template, uri) {
  const re = new RegExp(
    `^${template
      .split(/(\{[^}]+\})/)
      .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );
  return re.test(uri);
}

function hasCapability(caps, dotted) {
  let v = caps;
  for (const k of dotted.split('.')) v = v?.[k];
  return v !== undefined && v !== null && v !== false;
}

/** Does the server expose an entity of this kind and name? */
function exposes(probe, kind, name) {
  if (kind === 'tool') return probe.tools.some((t) => t.name === name);
  if (kind === 'prompt') return probe.prompts.some((p) => p.name === name);
  if (kind === 'resource') {
    return (
      probe.resources.some((r) => r.uri === name) ||
      probe.resourceTemplates.some((t) => t.uriTemplate === name || templateMatches(t.uriTemplate, name))
    );
  }
  return false;
}

/** Names a failure message says the server lacks: [{kind, name}]. */
export function missingEntitiesIn(message) {
  const found = [];
  const add = (kind, name) => {
    if (name && !found.some((f) => f.kind === kind && f.name === name)) found.push({ kind, name });
  };
  for (const m of message.matchAll(/\bTool\s+['"`]?([A-Za-z0-9_.:/-]+?)['"`]?\s+not found/gi))
    add('tool', m[1]);
  for (const m of message.matchAll(/\bPrompt\s+['"`]?([A-Za-z0-9_.:/-]+?)['"`]?\s+not found/gi))
    add('prompt', m[1]);
  for (const m of message.matchAll(/\bResource not found:\s*(\S+?)[.,;)]?(?:\s|$)/gi)) add('resource', m[1]);
  for (const m of message.matchAll(/\bdiagnostic tool\s+['"`]([^'"`]+)['"`]/gi)) add('tool', m[1]);
  return found;
}

/**
 * Classify one failing check. Returns { classification: 'fixture-required'|'protocol'|'dependent', evidence }.
 * ctx: { scenario, probe, declared: {fixtures, endpoints}, failing (all failing checks), successes }
 */
export function classifyCheck(check, ctx) {
  const msg = `${check.errorMessage ?? ''} ${check.description ?? ''}`.trim();
  const primary = check.errorMessage ?? check.description ?? '';
  const probe = ctx.probe;
  const declared = ctx.declared ?? { fixtures: [], endpoints: [] };
  const refAll = [
    ...REFERENCE_FIXTURES.tools,
    ...REFERENCE_FIXTURES.prompts,
    ...REFERENCE_FIXTURES.resources,
  ];
  const isKnownFixture = (name) => declared.fixtures.includes(name) || refAll.includes(name);
  const fx = (requirement) => ({
    classification: 'fixture-required',
    evidence: {
      ...requirement,
      declaredByScenario:
        declared.fixtures.includes(requirement.name) || declared.endpoints.includes(requirement.method),
      referenceFixture: refAll.includes(requirement.name),
      serverProbe: probe.ok ? 'verified absent' : `unverified (${probe.error})`,
    },
  });

  // 0. The suite gave up on the scenario (the server accepted the request but never finished the
  //    exchange). Never excused: a hanging server is a real problem whatever the scenario needs.
  if (check.id === 'scenario-timeout' || /did not complete within \d+ ?ms/i.test(primary)) {
    return { classification: 'protocol', evidence: { rule: 'scenario-timeout' } };
  }

  // 1. "Tool X not found" / "Prompt X not found" / "Resource not found: X" / "diagnostic tool 'X'"
  const missing = missingEntitiesIn(primary);
  if (missing.length) {
    const present = missing.filter((m) => exposes(probe, m.kind, m.name));
    if (present.length) {
      return {
        classification: 'protocol',
        evidence: { rule: 'entity-present-but-reported-missing', entities: present },
      };
    }
    return fx({ rule: 'missing-fixture', kind: missing[0].kind, name: missing[0].name, all: missing });
  }

  // 2. SEP-2243 custom-header checks need a tool whose inputSchema carries x-mcp-header annotations.
  if (/no tool with x-mcp-header/i.test(primary)) {
    const annotated = probe.tools.some((t) => JSON.stringify(t.inputSchema ?? {}).includes('x-mcp-header'));
    if (!annotated) return fx({ rule: 'missing-fixture', kind: 'tool-annotation', name: 'x-mcp-header' });
  }

  // 3. Method not found for a method whose capability the server does not advertise (spec-correct).
  if (/method not found|-32601/i.test(primary)) {
    const methods = [...declared.endpoints, SCENARIO_METHODS[ctx.scenario]].filter(Boolean);
    for (const method of methods) {
      const cap = METHOD_CAPABILITY[method];
      if (cap && !hasCapability(probe.capabilities, cap)) {
        return fx({ rule: 'optional-capability-not-advertised', kind: 'capability', name: cap, method });
      }
    }
  }

  // 4. Optional extension checks (tasks) against a server that does not advertise the extension.
  for (const ext of EXTENSIONS) {
    const applies = ext.prefixes.some((p) => check.id?.startsWith(p) || ctx.scenario.startsWith(p));
    if (applies && !probe.capabilities?.extensions?.[ext.id]) {
      return fx({ rule: 'optional-extension-not-advertised', kind: 'extension', name: ext.id });
    }
  }

  // 5. The message names a fixture (declared by the scenario or of the reference server) the server lacks.
  for (const tok of primary.match(/[A-Za-z][A-Za-z0-9_]*_[A-Za-z0-9_]+|test:\/\/[^\s'"`,;)]+/g) ?? []) {
    if (!isKnownFixture(tok)) continue;
    const kind = tok.startsWith('test://')
      ? 'resource'
      : REFERENCE_FIXTURES.prompts.includes(tok)
        ? 'prompt'
        : 'tool';
    if (!exposes(probe, kind, tok)) return fx({ rule: 'message-names-missing-fixture', kind, name: tok });
  }

  // 6. Checks that could not run because an earlier (fixture-needing) step failed: resolved per scenario.
  if (DEPENDENT_RE.test(msg) || check.details?.untestable === true) {
    return { classification: 'dependent', evidence: { rule: 'depends-on-earlier-step' } };
  }

  // 7. Generic failure in a scenario that never got past its declared fixture: every fixture the
  //    scenario declares is absent from the server and no substantive check of the scenario passed.
  const declaredMissing = declared.fixtures.filter(
    (f) => !['tool', 'prompt', 'resource'].some((k) => exposes(probe, k, f)),
  );
  if (
    declared.fixtures.length &&
    declaredMissing.length === declared.fixtures.length &&
    ctx.successes === 0
  ) {
    return fx({
      rule: 'declared-fixture-missing',
      kind: 'declared',
      name: declaredMissing[0],
      all: declaredMissing,
    });
  }

  return { classification: 'protocol', evidence: { rule: 'unexplained-failure' } };
}

/** Classify a whole scenario from its checks. */
export function classifyScenario(scenario, checks, { probe, declared }) {
  const failing = checks.filter((c) => c.status === 'FAILURE');
  const warnings = checks.filter((c) => c.status === 'WARNING');
  const successes = checks.filter((c) => c.status === 'SUCCESS' && c.id !== 'wire-schema-valid').length;
  const failures = failing.map((c) => ({
    id: c.id,
    message: c.errorMessage ?? c.description ?? '',
    ...classifyCheck(c, { scenario, probe, declared, successes }),
    details: c.details,
  }));
  // resolve dependent checks
  const anyFixture = failures.some((f) => f.classification === 'fixture-required');
  const declaredAllMissing =
    (declared?.fixtures?.length ?? 0) > 0 &&
    declared.fixtures.every((f) => !['tool', 'prompt', 'resource'].some((k) => exposes(probe, k, f)));
  for (const f of failures) {
    if (f.classification !== 'dependent') continue;
    if (anyFixture || declaredAllMissing) {
      f.classification = 'fixture-required';
      f.evidence = {
        rule: 'depends-on-missing-fixture',
        name: anyFixture
          ? failures.find((x) => x.classification === 'fixture-required')?.evidence?.name
          : declared.fixtures[0],
      };
    } else {
      f.classification = 'protocol';
    }
  }
  const status = failing.length ? 'fail' : 'pass';
  let classification = 'pass';
  if (failing.length) {
    classification = failures.every((f) => f.classification === 'fixture-required')
      ? 'fixture-required'
      : 'protocol';
  }
  let reason = '';
  if (classification === 'fixture-required') {
    const needs = [...new Set(failures.map((f) => describeRequirement(f.evidence)))];
    reason = `needs ${needs.join(', ')}`;
  } else if (classification === 'protocol') {
    reason = failures
      .filter((f) => f.classification === 'protocol')
      .map((f) => `${f.id}: ${f.message}`)
      .join(' | ');
  }
  return {
    scenario,
    status,
    classification,
    reason,
    checks: { total: checks.length, failed: failing.length, warnings: warnings.length },
    failures,
    warnings: warnings.map((w) => ({ id: w.id, message: w.errorMessage ?? w.description ?? '' })),
  };
}

function describeRequirement(ev) {
  if (!ev) return 'fixture';
  switch (ev.kind) {
    case 'capability':
      return `capability \`${ev.name}\` (${ev.method})`;
    case 'extension':
      return `extension \`${ev.name}\``;
    case 'tool-annotation':
      return 'a tool with x-mcp-header annotations';
    case 'declared':
      return `fixture \`${ev.name}\``;
    default:
      return ev.kind ? `${ev.kind} \`${ev.name}\`` : `fixture \`${ev.name}\``;
  }
}

// ---------------------------------------------------------------------------------------------
// running the suite
// ---------------------------------------------------------------------------------------------

function runProcess(bin, args, { logFile, timeoutMs, env }) {
  return new Promise((resolve) => {
    const out = fs.openSync(logFile, 'w');
    const child = spawn(bin, args, { stdio: ['ignore', out, out], env, cwd: path.dirname(logFile) });
    fs.closeSync(out);
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, timedOut });
    });
  });
}

const RESULT_DIR_RE = /^server-(.+)-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)$/;

export function readResults(rawDir) {
  const byScenario = {};
  for (const d of fs.readdirSync(rawDir).sort()) {
    const m = RESULT_DIR_RE.exec(d);
    const file = path.join(rawDir, d, 'checks.json');
    if (!m || !exists(file)) continue;
    byScenario[m[1]] = { dir: path.join(rawDir, d), checks: readJson(file) };
  }
  return byScenario;
}

/** Scenario names from the suite's stdout SUMMARY block ("✓ name: 1 passed, 0 failed"). */
export function parseSummary(stdout) {
  const names = [];
  const idx = stdout.indexOf('=== SUMMARY ===');
  if (idx < 0) return names;
  for (const line of stdout.slice(idx).split('\n')) {
    const m = /^[✓✗] ([^:\s]+): \d+ passed, \d+ failed/.exec(line.trim());
    if (m) names.push(m[1]);
  }
  return names;
}

async function runVersion({ version, engine, node22, url, outDir, probe, timeoutMs }) {
  let suite = ensureSuite(engine);
  let engineUsed = engine;
  if (!suiteKnowsVersion(node22.bin, suite, version)) {
    if (engine === 'stable') {
      log(
        `${SUITE_PKG}@${suite.version} does not know spec version ${version}; using ${SUITES.next.version}`,
      );
      engineUsed = 'next';
      suite = ensureSuite('next');
    }
    if (!suiteKnowsVersion(node22.bin, suite, version)) {
      throw new Error(`${SUITE_PKG}@${suite.version} does not know spec version ${version}`);
    }
  }
  const rawDir = path.join(outDir, 'raw', version);
  fs.rmSync(rawDir, { recursive: true, force: true });
  fs.mkdirSync(rawDir, { recursive: true });
  const requirements = engineUsed === 'next' ? loadRequirements(suite, version) : null;
  const args = [suite.cli, 'server', '--url', url, '-o', rawDir];
  if (requirements) args.push('--requirements', version);
  else args.push('--spec-version', version);
  const logFile = path.join(rawDir, 'suite-output.txt');
  const env = {
    ...process.env,
    PATH: `${path.dirname(node22.bin)}${path.delimiter}${process.env.PATH ?? ''}`,
  };
  const started = Date.now();
  log(`${version}: ${SUITE_PKG}@${suite.version} ${args.slice(2).join(' ')}`);
  const run = await runProcess(node22.bin, args, { logFile, timeoutMs, env });
  const durationMs = Date.now() - started;
  const stdout = fs.readFileSync(logFile, 'utf8');

  const declaredAll = parseDeclaredRequirements(fs.readFileSync(suite.cli, 'utf8'));
  const results = readResults(rawDir);
  const expected = new Set([
    ...(requirements ? [...requirements.scored, ...Object.keys(requirements.notScored)] : []),
    ...parseSummary(stdout),
    ...Object.keys(results),
  ]);
  const scenarios = [];
  for (const name of expected) {
    const scored = requirements ? !(name in requirements.notScored) : true;
    const notScoredReason = requirements?.notScored[name] ?? null;
    const r = results[name];
    if (!r) {
      scenarios.push({
        scenario: name,
        status: 'fail',
        classification: 'protocol',
        reason: run.timedOut
          ? `suite timed out after ${timeoutMs} ms before this scenario reported`
          : 'the suite produced no results for this scenario (see suite-output.txt)',
        scored,
        notScoredReason,
        checks: { total: 0, failed: 0, warnings: 0 },
        failures: [],
        warnings: [],
      });
      continue;
    }
    const c = classifyScenario(name, r.checks, {
      probe,
      declared: declaredAll[name] ?? { fixtures: [], endpoints: [] },
    });
    scenarios.push({ ...c, scored, notScoredReason, resultsDir: path.relative(outDir, r.dir) });
  }
  const count = (pred) => scenarios.filter(pred).length;
  return {
    suite: `${SUITE_PKG}@${suite.version}`,
    mode: requirements ? `--requirements ${version}` : `--spec-version ${version}`,
    requirementsFile: requirements ? path.relative(REPO, requirements.file) : null,
    suiteExitCode: run.code,
    suiteTimedOut: run.timedOut,
    durationMs,
    serverProbe: {
      ok: probe.ok,
      error: probe.error,
      capabilities: probe.capabilities,
      tools: probe.tools.map((t) => t.name),
      prompts: probe.prompts.map((p) => p.name),
      resources: probe.resources.map((r) => r.uri),
      resourceTemplates: probe.resourceTemplates.map((t) => t.uriTemplate),
    },
    summary: {
      scenarios: scenarios.length,
      pass: count((s) => s.classification === 'pass'),
      fixtureRequired: count((s) => s.classification === 'fixture-required'),
      protocol: count((s) => s.classification === 'protocol'),
      protocolScored: count((s) => s.classification === 'protocol' && s.scored),
    },
    scenarios,
  };
}

// ---------------------------------------------------------------------------------------------
// reports
// ---------------------------------------------------------------------------------------------

const mdCell = (s) =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\s+/g, ' ')
    .slice(0, 300);

export function renderMarkdown(report) {
  const lines = [];
  lines.push('# MCP conformance report', '');
  lines.push(`- Server: \`${report.server ?? report.url}\``);
  lines.push(`- URL: \`${report.url}\``);
  lines.push(`- Generated: ${report.generatedAt} (took ${(report.durationMs / 1000).toFixed(1)} s)`);
  lines.push(`- Suite runner: Node ${report.tools.node}`);
  lines.push(
    `- Result: **${report.ok ? 'OK' : 'FAIL'}** — ${report.ok ? 'every failure is fixture-required' : 'at least one failure is a protocol problem'}`,
    '',
  );
  for (const [version, v] of Object.entries(report.versions)) {
    lines.push(`## ${version}`, '');
    if (v.error) {
      lines.push(`Run failed: ${v.error}`, '');
      continue;
    }
    lines.push(`Suite \`${v.suite}\` (\`${v.mode}\`), ${(v.durationMs / 1000).toFixed(1)} s.`);
    lines.push(
      `${v.summary.scenarios} scenarios: ${v.summary.pass} pass, ${v.summary.fixtureRequired} fixture-required, ${v.summary.protocol} protocol.`,
      '',
    );
    lines.push('| Scenario | Scored | Status | Classification | Reason |', '| --- | --- | --- | --- | --- |');
    for (const s of v.scenarios) {
      const reason =
        s.reason || (s.warnings.length ? `warnings: ${s.warnings.map((w) => w.id).join(', ')}` : '');
      lines.push(
        `| ${s.scenario} | ${s.scored ? 'yes' : `no (${s.notScoredReason})`} | ${s.status} | ${s.classification} | ${mdCell(reason)} |`,
      );
    }
    const protocol = v.scenarios.filter((s) => s.classification === 'protocol');
    if (protocol.length) {
      lines.push('', `### Protocol failures (${version})`, '');
      for (const s of protocol) {
        for (const f of s.failures.filter((x) => x.classification === 'protocol')) {
          lines.push(`- **${s.scenario}** / \`${f.id}\`: ${mdCell(f.message)}`);
          if (f.details) lines.push(`  - details: \`${mdCell(JSON.stringify(f.details))}\``);
        }
        if (!s.failures.length) lines.push(`- **${s.scenario}**: ${s.reason}`);
      }
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------------

const USAGE = `usage: node scripts/conformance.mjs --server <bundled-server.mjs> [options]
       node scripts/conformance.mjs --url http://127.0.0.1:<port>/mcp [options]

  --server <file>      server bundle; started as: node <file> --transport http --port <free port>
                       (env PORT=<port>, MCP_TRANSPORT=http) and served at http://127.0.0.1:<port>/mcp
  --url <url>          test an already running server instead of starting one
  --out <dir>          report directory (default: out/conformance)
  --versions <list>    protocol revisions, comma separated (default: ${DEFAULT_VERSIONS.join(',')})
  --engine next|stable suite release: next = ${SUITE_PKG}@${SUITES.next.version} (default; the only
                       release that knows 2026-07-28), stable = @${SUITES.stable.version} (npm latest;
                       2025-11-25 and older only — falls back to next for 2026-07-28)
  --mcp-path <path>    endpoint path (default: /mcp)
  --scored-only        exit status ignores scenarios the suite marks not_scored (pending/extension)
  --timeout <s>        per-revision suite timeout in seconds (default: 600)
  --install-only       install Node ${NODE_MAJOR} and both suite releases into .tools/ and exit

exit status: 0 when every failure is classified fixture-required, 1 otherwise, 2 on usage errors`;

export async function main(argv = process.argv.slice(2)) {
  let opts;
  try {
    ({ values: opts } = parseArgs({
      args: argv,
      options: {
        server: { type: 'string' },
        url: { type: 'string' },
        out: { type: 'string' },
        versions: { type: 'string' },
        engine: { type: 'string', default: 'next' },
        'mcp-path': { type: 'string', default: '/mcp' },
        'scored-only': { type: 'boolean', default: false },
        timeout: { type: 'string', default: '600' },
        'install-only': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    console.error(`${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  if (!SUITES[opts.engine]) {
    console.error(`--engine must be one of ${Object.keys(SUITES).join(', ')}\n\n${USAGE}`);
    return 2;
  }
  if (opts['install-only']) {
    const node22 = ensureNode22();
    for (const e of Object.keys(SUITES)) ensureSuite(e);
    log(`ready: node ${node22.version} at ${path.relative(REPO, node22.bin)}`);
    return 0;
  }
  if (!opts.server && !opts.url) {
    console.error(`--server or --url is required\n\n${USAGE}`);
    return 2;
  }
  const versions = (opts.versions ?? DEFAULT_VERSIONS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!versions.length || versions.some((v) => !/^\d{4}-\d{2}-\d{2}$/.test(v))) {
    console.error(`--versions must list dated revisions like 2026-07-28\n\n${USAGE}`);
    return 2;
  }
  const bundle = opts.server ? path.resolve(opts.server) : null;
  if (bundle && !exists(bundle)) {
    console.error(`server bundle not found: ${bundle}`);
    return 2;
  }
  const outDir = path.resolve(opts.out ?? path.join(REPO, 'out', 'conformance'));
  fs.mkdirSync(outDir, { recursive: true });
  const timeoutMs = Math.max(1, Number(opts.timeout) || 600) * 1000;

  const started = Date.now();
  const node22 = ensureNode22();
  ensureSuite(opts.engine);

  let child = null;
  let url = opts.url;
  const onSignal = async () => {
    await stopServer(child);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const report = {
    generatedAt: new Date().toISOString(),
    server: bundle ? path.relative(REPO, bundle) || bundle : null,
    url: null,
    tools: { node: node22.version, nodeBinary: path.relative(REPO, node22.bin) },
    versions: {},
  };
  try {
    if (bundle) {
      const port = await freePort();
      url = `http://127.0.0.1:${port}${opts['mcp-path']}`;
      log(`starting ${path.relative(REPO, bundle) || bundle} on port ${port}`);
      child = await startServer(bundle, { port, logFile: path.join(outDir, 'server.log') });
    }
    report.url = url;
    for (const version of versions) {
      const probe = await probeServer(url, version);
      if (!probe.ok) log(`${version}: probe failed: ${probe.error}`);
      try {
        report.versions[version] = await runVersion({
          version,
          engine: opts.engine,
          node22,
          url,
          outDir,
          probe,
          timeoutMs,
        });
      } catch (e) {
        report.versions[version] = { error: String(e?.message ?? e), scenarios: [] };
      }
    }
  } catch (e) {
    report.error = String(e?.message ?? e);
  } finally {
    await stopServer(child);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  report.durationMs = Date.now() - started;
  const counted = (s) => !opts['scored-only'] || s.scored;
  report.ok =
    !report.error &&
    Object.values(report.versions).every(
      (v) => !v.error && v.scenarios.filter(counted).every((s) => s.classification !== 'protocol'),
    );
  fs.writeFileSync(path.join(outDir, 'conformance.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(outDir, 'conformance.md'), renderMarkdown(report));

  // summary
  console.log(`\nMCP conformance: ${report.url ?? '(no server)'}`);
  if (report.error) console.log(`  error: ${report.error}`);
  for (const [version, v] of Object.entries(report.versions)) {
    if (v.error) {
      console.log(`  ${version}: error: ${v.error}`);
      continue;
    }
    const s = v.summary;
    console.log(
      `  ${version} (${v.suite}, ${(v.durationMs / 1000).toFixed(1)} s): ${s.scenarios} scenarios, ${s.pass} pass, ${s.fixtureRequired} fixture-required, ${s.protocol} protocol`,
    );
    for (const sc of v.scenarios.filter((x) => x.classification === 'protocol')) {
      console.log(
        `    PROTOCOL ${sc.scenario}${sc.scored ? '' : ` (not scored: ${sc.notScoredReason})`}: ${sc.reason}`,
      );
    }
  }
  console.log(`  report: ${path.join(outDir, 'conformance.md')}`);
  console.log(`  ${report.ok ? 'OK: every failure is fixture-required' : 'FAIL: protocol failures found'}`);
  return report.ok ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      console.error(e?.stack ?? e);
      process.exitCode = 1;
    },
  );
}
