/**
 * Trigger specs: the checks (clear code, path and hint for each mistake) and the generator's wiring: only the
 * trigger sources and queue brokers a spec uses are copied and imported, their packages land in package.json,
 * and a spec using every source and all four brokers generates a project that type-checks and bundles (the
 * create pipeline runs tsc and esbuild). The on/off policy (MCP_TRIGGERS) is checked as a pure function.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { triggersEnabled } from '../../runtime/triggers/start.js';
import { createServerProject } from '../../src/build/create.js';
import { generateProject } from '../../src/build/generator/index.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { dependencyVersions, runtimeFiles } from '../../src/platform/factory-files.js';
import { RECORD_TOOL } from './server-helpers.js';

const STATIC_TOOL = { name: 'hello', description: 'Says hello.', static: { text: 'hello' } };

function issuesOf(triggers: unknown[], extra: Record<string, unknown> = {}) {
  const r = validateSpec({ name: 'trig-check', tools: [STATIC_TOOL], triggers, ...extra });
  return r.issues.map((i) => ({ code: i.code, path: i.path, hint: i.hint }));
}

describe('trigger spec checks', () => {
  it.each([
    ['webhook without a secret', { type: 'webhook', path: '/h', tool: 'hello' }, 'triggers[0].secretEnv'],
    [
      'webhook with both a secret and unsigned',
      { type: 'webhook', path: '/h', tool: 'hello', secretEnv: 'S', unsigned: true },
      'triggers[0].unsigned',
    ],
    [
      'webhook on the MCP path',
      { type: 'webhook', path: '/mcp', tool: 'hello', unsigned: true },
      'triggers[0].path',
    ],
    [
      'webhook on /health',
      { type: 'webhook', path: '/health', tool: 'hello', unsigned: true },
      'triggers[0].path',
    ],
    ['file path with ..', { type: 'file', path: 'inbox/../../etc', tool: 'hello' }, 'triggers[0].path'],
    ['absolute file path', { type: 'file', path: '/etc', tool: 'hello' }, 'triggers[0].path'],
    ['windows drive path', { type: 'file', path: 'C:\\x', tool: 'hello' }, 'triggers[0].path'],
    ['glob with ..', { type: 'file', path: 'inbox', glob: '../*', tool: 'hello' }, 'triggers[0].glob'],
    [
      'placeholder not reading the event',
      { type: 'startup', tool: 'hello', arguments: { a: { b: ['{{process.env.SECRET}}'] } } },
      'triggers[0].arguments.a.b[0]',
    ],
    [
      'key template not reading the event',
      { type: 'startup', tool: 'hello', idempotencyKey: '{{x}}' },
      'triggers[0].idempotencyKey',
    ],
    [
      'retry delays out of order',
      { type: 'startup', tool: 'hello', retry: { initialDelayMs: 5000, maxDelayMs: 10 } },
      'triggers[0].retry.initialDelayMs',
    ],
  ])('%s is refused with a path and a hint', (_name, trigger, path) => {
    const issues = issuesOf([trigger]);
    expect(issues).toEqual([expect.objectContaining({ code: 'SPEC_INVALID_TRIGGER', path })]);
    expect(issues[0]!.hint).toBeTruthy();
  });

  it('a tool that asks for confirmation cannot be triggered', () => {
    const r = validateSpec({
      name: 'trig-confirm',
      tools: [{ ...RECORD_TOOL, confirm: true }],
      triggers: [{ type: 'startup', tool: 'record' }],
    });
    expect(r.issues.map((i) => `${i.code}@${i.path}`)).toContain('SPEC_INVALID_TRIGGER@triggers[0].tool');
  });

  it('accepts event templates, a signed webhook and a confined file trigger', () => {
    expect(
      issuesOf([
        {
          type: 'webhook',
          path: '/h',
          tool: 'hello',
          secretEnv: 'HOOK',
          arguments: { x: '{{ event.payload.a.0 }}' },
        },
        {
          type: 'file',
          path: 'in/box',
          glob: '**/*.csv',
          tool: 'hello',
          idempotencyKey: '{{event.meta.path}}',
        },
        { type: 'cron', schedule: '*/5 * * * * *', overlap: true, missed: 'run-once', tool: 'hello' },
      ]),
    ).toEqual([]);
  });
});

const queueSpec = {
  name: 'trig-wiring',
  transport: ['stdio', 'http'],
  connections: [{ name: 'main', type: 'postgresql', envVar: 'PG_URL' }],
  tools: [STATIC_TOOL],
  triggers: [
    { type: 'cron', schedule: '0 * * * *', tool: 'hello' },
    { type: 'webhook', path: '/h', secretEnv: 'HOOK_SECRET', tool: 'hello' },
    { type: 'file', path: 'inbox', tool: 'hello' },
    { type: 'database', connection: 'main', channel: 'jobs', tool: 'hello' },
    { type: 'startup', tool: 'hello' },
    { type: 'queue', broker: 'redis', urlEnv: 'REDIS_URL', topic: 'orders', group: 'g1', tool: 'hello' },
    { type: 'queue', broker: 'rabbitmq', urlEnv: 'AMQP_URL', topic: 'orders', tool: 'hello' },
    {
      type: 'queue',
      broker: 'nats',
      urlEnv: 'NATS_URL',
      topic: 'orders.new',
      stream: 'ORDERS',
      tool: 'hello',
    },
    { type: 'queue', broker: 'mqtt', urlEnv: 'MQTT_URL', topic: 'orders/#', tool: 'hello' },
  ],
};

describe('generator wiring', () => {
  it('copies and imports only the sources and brokers a spec uses', () => {
    const r = validateSpec({
      name: 'trig-small',
      tools: [STATIC_TOOL],
      triggers: [
        { type: 'cron', schedule: '0 * * * *', tool: 'hello' },
        { type: 'queue', broker: 'redis', urlEnv: 'REDIS_URL', topic: 'orders', tool: 'hello', group: 'g' },
      ],
    });
    expect(r.issues).toEqual([]);
    const project = generateProject(r.spec!, {
      runtimeFiles: runtimeFiles(),
      dependencyVersions: dependencyVersions(),
      generatorVersion: 'test',
    });
    const triggerFiles = Object.keys(project.files)
      .filter((f) => f.startsWith('src/runtime/triggers/'))
      .sort();
    expect(triggerFiles).toEqual(
      [
        'cron.ts',
        'definitions.ts',
        'history.ts',
        'queue-common.ts',
        'queue-redis.ts',
        'runner.ts',
        'start.ts',
        'startup.ts',
        'template.ts',
        'types.ts',
      ].map((f) => `src/runtime/triggers/${f}`),
    );
    const server = project.files['src/server.ts']!;
    expect(server).toContain(
      "import { source as redisQueueSource } from './runtime/triggers/queue-redis.js';",
    );
    expect(server).not.toContain('webhook');
    // Queue options are every broker field, not the common ones.
    expect(server).toMatch(/"options": \{\s*"group": "g"\s*\}/);
    const pkg = JSON.parse(project.files['package.json']!) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(['croner', 'ioredis']));
    expect(Object.keys(pkg.dependencies)).not.toContain('chokidar');
    expect(project.files['src/index.ts']).toContain('startTriggers(runtime, triggerSetup, transport)');
    // The project's own tests start the server over HTTP: its triggers must not consume queues or run tools there.
    const tests = Object.entries(project.files).filter(
      ([f]) => f.startsWith('test/') && /\.m?[jt]s$/.test(f),
    );
    expect(tests.some(([, text]) => text.includes("MCP_TRIGGERS: 'off'"))).toBe(true);
  });

  it('a spec without triggers gets no trigger files and no trigger import', () => {
    const r = validateSpec({ name: 'trig-none', tools: [STATIC_TOOL] });
    const project = generateProject(r.spec!, {
      runtimeFiles: runtimeFiles(),
      dependencyVersions: dependencyVersions(),
      generatorVersion: 'test',
    });
    expect(Object.keys(project.files).filter((f) => f.includes('/triggers/'))).toEqual([]);
    expect(project.files['src/index.ts']).not.toContain('Trigger');
  });

  it('every source and all four brokers: the project type-checks and bundles', async () => {
    const r = validateSpec(queueSpec);
    expect(r.issues).toEqual([]);
    const work = mkdtempSync(join(tmpdir(), 'mcpf-trigwire-'));
    try {
      const created = await createServerProject({
        spec: r.spec!,
        specDir: work,
        outDir: join(work, 'server'),
        runTests: false,
      });
      const bundle = readFileSync(created.bundle.file, 'utf8');
      expect(bundle).toContain('mcp_trigger_runs_total');
      const pkg = JSON.parse(readFileSync(join(work, 'server', 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
      };
      expect(Object.keys(pkg.dependencies)).toEqual(
        expect.arrayContaining([
          'croner',
          'standardwebhooks',
          'chokidar',
          'pg',
          'ioredis',
          'amqplib',
          '@nats-io/transport-node',
          '@nats-io/jetstream',
          'mqtt',
        ]),
      );
      const readme = readFileSync(join(work, 'server', 'README.md'), 'utf8');
      for (const name of [
        'HOOK_SECRET',
        'REDIS_URL',
        'NATS_URL',
        'MCP_TRIGGERS',
        'MCP_TRIGGER_STATE_DIR',
        'MCP_TRIGGER_FILE_ROOT',
      ])
        expect(readme).toContain(name);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('MCP_TRIGGERS', () => {
  it('runs triggers over http by default, over stdio only when on, and nowhere when off', () => {
    expect(triggersEnabled('http', undefined)).toBe(true);
    expect(triggersEnabled('stdio', undefined)).toBe(false);
    expect(triggersEnabled('stdio', 'on')).toBe(true);
    expect(triggersEnabled('http', 'off')).toBe(false);
    expect(triggersEnabled('http', ' OFF ')).toBe(false);
    expect(triggersEnabled('stdio', 'maybe')).toBe(false);
  });
});
