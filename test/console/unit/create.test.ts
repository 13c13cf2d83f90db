import { describe, expect, it } from 'vitest';
import {
  buildValue,
  fieldFromSchema,
  initialRaw,
} from '../../../console/src/components/schema-form/model.ts';
import {
  issueLocation,
  issueRange,
  issuesFrom,
  offsetOf,
  pathSegments,
  rangeOfPath,
} from '../../../console/src/pages/create/issues.ts';
import {
  createdServer,
  foldJobEvent,
  initialProgress,
  type JobView,
} from '../../../console/src/pages/create/jobs.ts';
import { templateRequest, templateSchema } from '../../../console/src/pages/create/template-schema.ts';

const yamlSpec = `name: demo
tools:
  - name: one
    parameters:
      limit: { type: integer, default: 5 }
  - name: two
    description:
`;

describe('validation issues → editor ranges', () => {
  it('splits JSON paths into segments', () => {
    expect(pathSegments('tools[1].parameters.limit.default')).toEqual([
      'tools',
      1,
      'parameters',
      'limit',
      'default',
    ]);
    expect(pathSegments('tools.0.name')).toEqual(['tools', 0, 'name']);
    expect(pathSegments('')).toEqual([]);
  });

  it('places an issue with line and column there (1-based), clamped to the text', () => {
    expect(offsetOf('ab\ncd\n', 2, 2)).toBe(4);
    expect(offsetOf('ab', 9, 1)).toBe(2);
    expect(offsetOf('ab\ncd', 2, 99)).toBe(5);
    const range = issueRange(yamlSpec, { code: 'X', message: 'm', path: '', line: 3, column: 5 });
    expect(yamlSpec.slice(range.from, range.to)).toBe('name: one');
  });

  it('finds an issue by its JSON path in YAML and in JSON', () => {
    const at = (text: string, path: string) => {
      const r = issueRange(text, { code: 'X', message: 'm', path });
      return text.slice(r.from, r.to);
    };
    expect(at(yamlSpec, 'tools[0].parameters.limit.default')).toBe('5');
    expect(at(yamlSpec, 'tools[1].name')).toBe('two');
    // An empty value: the key is marked.
    expect(at(yamlSpec, 'tools[1].description')).toBe('description');
    // A missing property: its closest existing parent.
    expect(at(yamlSpec, 'tools[0].parameters.limit.maximum')).toContain('type: integer');
    const json = '{\n  "name": "demo",\n  "tools": [{ "name": 3 }]\n}';
    expect(at(json, 'tools[0].name')).toBe('3');
  });

  it('marks the first line when the path cannot be placed, and never throws on broken text', () => {
    expect(issueRange('name: x\nother: y', { code: 'X', message: 'm', path: 'nowhere.deep' })).toEqual({
      from: 0,
      to: 7,
    });
    expect(rangeOfPath('{{{ not: [yaml', ['a'])).toBeUndefined();
    expect(issueRange('', { code: 'X', message: 'm', path: 'a' })).toEqual({ from: 0, to: 0 });
  });

  it('describes where an issue is as line:column', () => {
    expect(issueLocation(yamlSpec, { code: 'X', message: 'm', path: 'tools[1].name' })).toBe(
      'line 6:11 (tools[1].name)',
    );
    expect(issueLocation(yamlSpec, { code: 'X', message: 'm', path: '', line: 2, column: 1 })).toBe(
      'line 2:1',
    );
  });

  it('reads issues from validation answers and API error details, dropping malformed ones', () => {
    expect(
      issuesFrom({
        issues: [
          { code: 'SPEC_INVALID_VALUE', message: 'bad', path: 'a', hint: 'fix', line: 2, column: 3 },
          { message: 'no code' },
          null,
          { code: 'X' },
          'text',
        ],
      }),
    ).toEqual([
      { code: 'SPEC_INVALID_VALUE', message: 'bad', path: 'a', hint: 'fix', line: 2, column: 3 },
      { code: 'SPEC_INVALID', message: 'no code', path: '' },
    ]);
    expect(issuesFrom(undefined)).toEqual([]);
    expect(issuesFrom({ issues: 'nope' })).toEqual([]);
  });
});

describe('job progress from server-sent events', () => {
  const event = (type: string, data: unknown) => ({ type, data: JSON.stringify(data) });
  const job: JobView = {
    id: 'job_1',
    operation: 'create_server',
    state: 'succeeded',
    progress: { fraction: 1, message: null },
    result: { name: 'demo', revision: 1, version: '0.1.0', steps: [] },
    error: null,
    createdAt: '',
    finishedAt: '2026-01-01T00:00:00Z',
  };

  it('lists each step once, keeps the fraction monotonic and ends with the job', () => {
    let p = initialProgress;
    p = foldJobEvent(
      p,
      event('state', { id: 1, at: 't1', kind: 'queued', state: 'queued', progress: 0, message: null }),
    );
    p = foldJobEvent(
      p,
      event('progress', {
        id: 2,
        at: 't2',
        kind: 'progress',
        state: 'running',
        progress: 0.5,
        message: 'generate: ok',
      }),
    );
    p = foldJobEvent(
      p,
      event('progress', {
        id: 2,
        at: 't2',
        kind: 'progress',
        state: 'running',
        progress: 0.5,
        message: 'generate: ok',
      }),
    );
    p = foldJobEvent(
      p,
      event('progress', {
        id: 3,
        at: 't3',
        kind: 'progress',
        state: 'running',
        progress: 0.2,
        message: 'typecheck: ok',
      }),
    );
    expect(p.steps.map((s) => s.message)).toEqual(['queued', 'generate: ok', 'typecheck: ok']);
    expect(p.fraction).toBe(0.5);
    expect(p.state).toBe('running');
    p = foldJobEvent(p, event('end', job));
    expect(p.state).toBe('succeeded');
    expect(p.fraction).toBe(1);
    expect(createdServer(p.job)?.name).toBe('demo');
  });

  it('ignores garbage and unknown events, and records a stream error', () => {
    let p = foldJobEvent(initialProgress, { type: 'progress', data: '{oops' });
    expect(p).toBe(initialProgress);
    p = foldJobEvent(p, event('mystery', { id: 1 }));
    expect(p).toBe(initialProgress);
    p = foldJobEvent(p, event('error', { error: 'JOB_NOT_FOUND', message: 'pruned' }));
    expect(p.streamError).toBe('pruned');
    expect(createdServer({ ...job, result: null })).toBeUndefined();
  });
});

describe('template variables → form', () => {
  const template = {
    name: 'postgres',
    title: 'PostgreSQL',
    category: 'database',
    description: 'd',
    variables: [
      { name: 'schema', description: 'Schema', default: 'public' },
      { name: 'mode', description: 'Mode', enum: ['read', 'write'], required: true },
      { name: 'table', description: 'Table', required: true },
    ],
    environment: [],
  };

  it('builds a form with the server name first and required variables marked', () => {
    const field = fieldFromSchema(templateSchema(template), '', true);
    if (field.kind !== 'object') throw new Error('object expected');
    expect(field.fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ['name', 'string', true],
      ['var:schema', 'string', false],
      ['var:mode', 'enum', true],
      ['var:table', 'string', true],
    ]);
    const raw = { ...(initialRaw(field) as Record<string, string>), 'var:mode': '1', 'var:table': 'orders' };
    const built = buildValue(field, raw);
    expect(built.errors).toEqual([]);
    expect(templateRequest(built.value as Record<string, unknown>)).toEqual({
      name: 'postgres',
      set: { schema: 'public', mode: 'write', table: 'orders' },
    });
  });

  it('refuses a server name the factory would refuse', () => {
    const field = fieldFromSchema(templateSchema(template), '', true);
    for (const name of ['Bad Name', '-x', 'a'.repeat(65), '../etc'])
      expect(
        buildValue(field, {
          ...(initialRaw(field) as Record<string, string>),
          name,
          'var:mode': '0',
          'var:table': 't',
        }).errors.map((e) => e.path),
        name,
      ).toContain('name');
  });
});
