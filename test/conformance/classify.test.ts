// Unit tests for the failure classification of the conformance runner (src/conformance/). They use check objects
// shaped like the suite's checks.json entries (messages copied from real runs, see docs/conformance.md).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as conf from '../../src/conformance/index.js';

type Probe = {
  ok: boolean;
  error?: string;
  capabilities: Record<string, unknown>;
  tools: { name: string; inputSchema?: unknown }[];
  prompts: { name: string }[];
  resources: { uri: string }[];
  resourceTemplates: { uriTemplate: string }[];
};

const probe = (over: Partial<Probe> = {}): Probe => ({
  ok: true,
  capabilities: { tools: {}, resources: {}, prompts: {} },
  tools: [{ name: 'add', inputSchema: { type: 'object' } }],
  prompts: [],
  resources: [],
  resourceTemplates: [],
  ...over,
});
const none = { fixtures: [], endpoints: [] };
const fail = (id: string, errorMessage: string, details?: Record<string, unknown>) => ({
  id,
  name: id,
  description: id,
  status: 'FAILURE',
  timestamp: '2026-01-01T00:00:00.000Z',
  errorMessage,
  details,
});
const ok = (id: string) => ({ id, name: id, description: id, status: 'SUCCESS', timestamp: '' });

describe('classifyScenario', () => {
  it('missing fixture tool is fixture-required', () => {
    const r = conf.classifyScenario(
      'tools-call-simple-text',
      [
        ok('wire-schema-valid'),
        fail('tools-call-simple-text', 'Failed: MCP error -32602: Tool test_simple_text not found'),
      ],
      { probe: probe(), declared: none },
    );
    expect(r.status).toBe('fail');
    expect(r.classification).toBe('fixture-required');
    expect(r.failures[0].evidence).toMatchObject({
      kind: 'tool',
      name: 'test_simple_text',
      referenceFixture: true,
    });
    expect(r.reason).toContain('test_simple_text');
  });

  it('"not found" for an entity the server does expose is a protocol failure', () => {
    const r = conf.classifyScenario('tools-call-simple-text', [fail('x', 'Failed: Tool add not found')], {
      probe: probe(),
      declared: none,
    });
    expect(r.classification).toBe('protocol');
  });

  it('resource URIs are matched against templates', () => {
    const msg = 'Failed: Resource not found: test://template/123/data';
    const without = conf.classifyScenario('resources-templates-read', [fail('r', msg)], {
      probe: probe(),
      declared: none,
    });
    expect(without.classification).toBe('fixture-required');
    const withTemplate = conf.classifyScenario('resources-templates-read', [fail('r', msg)], {
      probe: probe({ resourceTemplates: [{ uriTemplate: 'test://template/{id}/data' }] }),
      declared: none,
    });
    expect(withTemplate.classification).toBe('protocol');
  });

  it('Method not found is fixture-required only when the capability is not advertised', () => {
    const checks = [fail('logging-set-level', 'Failed: Method not found')];
    const declared = { fixtures: [], endpoints: ['logging/setLevel'] };
    expect(
      conf.classifyScenario('logging-set-level', checks, { probe: probe(), declared }).classification,
    ).toBe('fixture-required');
    const withLogging = probe({ capabilities: { tools: {}, logging: {} } });
    expect(
      conf.classifyScenario('logging-set-level', checks, { probe: withLogging, declared }).classification,
    ).toBe('protocol');
    // tools-call-with-logging calls logging/setLevel without declaring it: covered by SCENARIO_METHODS
    expect(
      conf.classifyScenario(
        'tools-call-with-logging',
        [fail('t', 'Failed: MCP error -32601: Method not found')],
        {
          probe: probe(),
          declared: none,
        },
      ).failures[0].evidence,
    ).toMatchObject({ kind: 'capability', name: 'logging' });
  });

  it('resources.subscribe is checked as a nested capability', () => {
    const checks = [fail('resources-subscribe', 'Failed: Method not found')];
    const declared = { fixtures: [], endpoints: ['resources/subscribe'] };
    const subscribed = probe({ capabilities: { resources: { subscribe: true } } });
    expect(
      conf.classifyScenario('resources-subscribe', checks, { probe: probe(), declared }).classification,
    ).toBe('fixture-required');
    expect(
      conf.classifyScenario('resources-subscribe', checks, { probe: subscribed, declared }).classification,
    ).toBe('protocol');
  });

  it('DNS rebinding failure is a protocol failure', () => {
    const r = conf.classifyScenario(
      'dns-rebinding-protection',
      [
        fail(
          'localhost-host-rebinding-rejected',
          'Expected HTTP 4xx for invalid Host/Origin headers, got 200',
          {
            hostHeader: 'evil.example.com',
            statusCode: 200,
          },
        ),
        ok('localhost-host-valid-accepted'),
      ],
      { probe: probe(), declared: none },
    );
    expect(r.classification).toBe('protocol');
    expect(r.reason).toContain('got 200');
  });

  it('a scenario timeout is a protocol failure even when the scenario declares fixtures', () => {
    const r = conf.classifyScenario(
      'tools-call-sampling',
      [fail('scenario-timeout', "Scenario 'tools-call-sampling' did not complete within 30000ms.")],
      {
        probe: probe({ tools: [{ name: 'test_sampling' }] }),
        declared: { fixtures: ['test_sampling'], endpoints: [] },
      },
    );
    expect(r.classification).toBe('protocol');
    const missingFixture = conf.classifyScenario(
      'tools-call-sampling',
      [fail('scenario-timeout', "Scenario 'tools-call-sampling' did not complete within 30000ms.")],
      { probe: probe(), declared: { fixtures: ['test_sampling'], endpoints: [] } },
    );
    expect(missingFixture.classification).toBe('protocol');
  });

  it('dependent checks follow the fixture they depend on', () => {
    const r = conf.classifyScenario(
      'input-required-result-tampered-state',
      [
        ok('wire-schema-valid'),
        fail(
          'sep-2322-reject-tampered-state',
          'Prerequisite failed: could not get initial InputRequiredResult with requestState',
        ),
      ],
      {
        probe: probe(),
        declared: { fixtures: ['test_input_required_result_tampered_state'], endpoints: [] },
      },
    );
    expect(r.classification).toBe('fixture-required');
    const noFixture = conf.classifyScenario(
      'x',
      [fail('y', 'Prerequisite failed: could not get initial InputRequiredResult')],
      { probe: probe(), declared: none },
    );
    expect(noFixture.classification).toBe('protocol');
  });

  it('generic failure excused by a missing declared fixture only if nothing substantive passed', () => {
    const declared = { fixtures: ['test_input_required_result_multi_round'], endpoints: [] };
    const generic = fail(
      'sep-2322-multi-round-r1',
      'Expected InputRequiredResult with inputRequests and requestState',
    );
    expect(
      conf.classifyScenario('input-required-result-multi-round', [ok('wire-schema-valid'), generic], {
        probe: probe(),
        declared,
      }).classification,
    ).toBe('fixture-required');
    expect(
      conf.classifyScenario('input-required-result-multi-round', [ok('some-real-check'), generic], {
        probe: probe(),
        declared,
      }).classification,
    ).toBe('protocol');
  });

  it('untestable diagnostic tools and x-mcp-header annotations', () => {
    const r = conf.classifyScenario(
      'server-stateless',
      [
        ok('sep-2575-server-implements-discover'),
        fail(
          'sep-2575-server-no-log-without-loglevel',
          "Not testable: server does not list the diagnostic tool 'test_logging_tool' in tools/list",
          { untestable: true },
        ),
      ],
      { probe: probe(), declared: none },
    );
    expect(r.classification).toBe('fixture-required');
    const hdr = fail(
      'sep-2243-server-no-xmcp-tool',
      'Not testable: server exposes no tool with x-mcp-header annotations, so none of the requirements could be exercised',
      { untestable: true },
    );
    expect(
      conf.classifyScenario('http-custom-header-server-validation', [hdr], { probe: probe(), declared: none })
        .classification,
    ).toBe('fixture-required');
    const annotated = probe({
      tools: [
        { name: 'h', inputSchema: { properties: { region: { type: 'string', 'x-mcp-header': 'Region' } } } },
      ],
    });
    expect(
      conf.classifyScenario('http-custom-header-server-validation', [hdr], {
        probe: annotated,
        declared: none,
      }).classification,
    ).toBe('protocol');
  });

  it("a SEP-2322 check that wants the reference fixture's inputRequests key is fixture-required", () => {
    // The server exposes the tool and answers input_required, only with its own key: naming, not protocol.
    const withTool = probe({ tools: [{ name: 'test_input_required_result_elicitation', inputSchema: {} }] });
    const keyed = conf.classifyScenario(
      'input-required-result-basic-elicitation',
      [
        ok('sep-2322-result-type'),
        fail('sep-2322-elicitation-incomplete', 'inputRequests missing expected key "user_name"'),
      ],
      { probe: withTool, declared: none },
    );
    expect(keyed.classification).toBe('fixture-required');
    expect(keyed.reason).toContain('`user_name`');
    // Other failures of the same check stay protocol failures.
    const wrong = conf.classifyScenario(
      'input-required-result-basic-elicitation',
      [
        fail(
          'sep-2322-elicitation-incomplete',
          'Expected method "elicitation/create", got "sampling/createMessage"',
        ),
      ],
      { probe: withTool, declared: none },
    );
    expect(wrong.classification).toBe('protocol');
  });

  it('tasks extension checks are fixture-required only when the extension is not advertised', () => {
    const checks = [
      fail('sep-2663-tasks-methods-non-declaring', 'tasks/get MUST return -32021; got -32601'),
      fail('tasks-extension-advertised', 'capabilities.extensions MUST be advertised'),
    ];
    expect(
      conf.classifyScenario('tasks-capability-negotiation', checks, { probe: probe(), declared: none })
        .classification,
    ).toBe('fixture-required');
    const withExt = probe({ capabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } } });
    expect(
      conf.classifyScenario('tasks-capability-negotiation', checks, { probe: withExt, declared: none })
        .classification,
    ).toBe('protocol');
  });

  it('a message naming a missing reference fixture is fixture-required', () => {
    const r = conf.classifyScenario(
      'server-stateless',
      [
        ok('x'),
        fail(
          'sep-2663-server-returns-missing-capability-when-required',
          'tools/call for failing_job returned error code -32602; spec requires -32021.',
        ),
      ],
      { probe: probe(), declared: none },
    );
    expect(r.classification).toBe('fixture-required');
  });

  it('passes and warnings', () => {
    const r = conf.classifyScenario(
      'server-sse-polling',
      [ok('a'), { ...ok('b'), status: 'WARNING', errorMessage: 'no priming event' }],
      { probe: probe(), declared: none },
    );
    expect(r).toMatchObject({ status: 'pass', classification: 'pass', checks: { warnings: 1 } });
  });
});

describe('parsers', () => {
  it('missingEntitiesIn', () => {
    expect(conf.missingEntitiesIn("Tool 'json_schema_2020_12_tool' not found. Available tools: add")).toEqual(
      [{ kind: 'tool', name: 'json_schema_2020_12_tool' }],
    );
    expect(conf.missingEntitiesIn('Failed: Prompt test_simple_prompt not found')).toEqual([
      { kind: 'prompt', name: 'test_simple_prompt' },
    ]);
    expect(
      conf.missingEntitiesIn('Failed: MCP error -32602: Resource not found: test://static-text'),
    ).toEqual([{ kind: 'resource', name: 'test://static-text' }]);
    expect(conf.missingEntitiesIn('Expected HTTP 4xx, got 200')).toEqual([]);
  });

  it('parseDeclaredRequirements reads scenario descriptions from a minified bundle', () => {
    const src =
      'class A{constructor(){this.name=`tools-call-simple-text`,this.specVersions=[`2025-06-18`],this.description=`Test.\\n\\n**Server Implementation Requirements:**\\n\\nImplement tool \\`test_simple_text\\` with no arguments.`}}' +
      'class B{constructor(){this.name=`logging-set-level`,this.description="Test.\\n\\n**Endpoint**: `logging/setLevel`\\n"}}' +
      'class C{constructor(){this.name=`tasks-lifecycle`,this.description=`Fixtures:\\n- \\`slow_compute\\` — sleeps`}}';
    const d = conf.parseDeclaredRequirements(src);
    expect(d['tools-call-simple-text'].fixtures).toContain('test_simple_text');
    expect(d['logging-set-level'].endpoints).toEqual(['logging/setLevel']);
    expect(d['tasks-lifecycle'].fixtures).toContain('slow_compute');
  });

  it('readResults and parseSummary', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conf-results-'));
    try {
      const d = path.join(dir, 'server-tools-call-simple-text-2026-11-21T05-52-12-799Z');
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'checks.json'), JSON.stringify([ok('x')]));
      fs.mkdirSync(path.join(dir, 'unrelated'));
      const r = conf.readResults(dir);
      expect(Object.keys(r)).toEqual(['tools-call-simple-text']);
      expect(r['tools-call-simple-text'].checks).toHaveLength(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const out =
      'noise\n=== SUMMARY ===\n✓ tools-list: 3 passed, 0 failed\n✗ dns-rebinding-protection: 1 passed, 1 failed\n\nTotal: 4 passed';
    expect(conf.parseSummary(out)).toEqual(['tools-list', 'dns-rebinding-protection']);
  });

  it('renderMarkdown produces a table per version', () => {
    const scen = conf.classifyScenario('tools-list', [ok('tools-list')], { probe: probe(), declared: none });
    const md = conf.renderMarkdown({
      generatedAt: 'now',
      durationMs: 1000,
      server: 's.mjs',
      url: 'http://127.0.0.1:1/mcp',
      ok: true,
      tools: { node: 'v22.0.0' },
      versions: {
        '2026-07-28': {
          suite: 'x@1',
          mode: '--requirements 2026-07-28',
          durationMs: 10,
          summary: { scenarios: 1, pass: 1, fixtureRequired: 0, protocol: 0 },
          scenarios: [{ ...scen, scored: true, notScoredReason: null }],
        },
      },
    });
    expect(md).toContain('## 2026-07-28');
    expect(md).toContain('| tools-list | yes | pass | pass |');
  });
});
