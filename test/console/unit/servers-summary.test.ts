import { describe, expect, it } from 'vitest';
import type { Deployment, ServerRecord } from '../../../console/src/api/types.ts';
import { describeDetails } from '../../../console/src/pages/servers/DeploymentsTab.tsx';
import {
  leadDeployments,
  mergeHealthSamples,
  withSummaries,
} from '../../../console/src/pages/servers/summary.ts';

function deployment(id: number, server: string, status: string, extra: Partial<Deployment> = {}): Deployment {
  return {
    id,
    server,
    revision: 1,
    target: 'local',
    status,
    desired: 'running',
    port: null,
    endpoint: `http://127.0.0.1:${4000 + id}/mcp`,
    processId: null,
    lastError: null,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    startedAt: '2026-01-01T00:00:00Z',
    stoppedAt: null,
    replicasDesired: null,
    replicasActual: null,
    ...extra,
  };
}

function server(name: string): ServerRecord {
  return {
    name,
    status: 'running',
    currentRevision: 1,
    currentVersion: '1.0.0',
    latestRevision: 1,
    lastError: null,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    removedAt: null,
  };
}

describe('servers list figures from one deployments request', () => {
  it('picks the newest live deployment per server, else the newest', () => {
    const lead = leadDeployments([
      deployment(1, 'a', 'running'),
      deployment(2, 'a', 'stopped'),
      deployment(3, 'b', 'stopped'),
      deployment(4, 'b', 'failed'),
      deployment(5, 'c', 'running', { target: 'docker' }),
      deployment(6, 'c', 'running', { target: 'kubernetes' }),
    ]);
    expect(lead.get('a')?.id).toBe(1);
    expect(lead.get('b')?.id).toBe(4);
    expect(lead.get('c')?.target).toBe('kubernetes');
  });

  it('fills target, endpoint and start time; a stopped server has a target but no endpoint', () => {
    const rows = withSummaries(
      [server('a'), server('b'), server('never')],
      [deployment(1, 'a', 'running', { target: 'docker' }), deployment(2, 'b', 'stopped')],
    );
    expect(rows[0]!.summary).toMatchObject({
      target: 'docker',
      endpoint: 'http://127.0.0.1:4001/mcp',
      startedAt: '2026-01-01T00:00:00Z',
    });
    expect(rows[1]!.summary).toMatchObject({ target: 'local', endpoint: null, startedAt: null });
    expect(rows[2]!.summary).toBeUndefined();
    // Without the deployments answer the records are shown as they are.
    expect(withSummaries([server('a')], undefined)[0]!.summary).toBeUndefined();
  });

  it('prefers the figures the API sends with the record', () => {
    const record = {
      ...server('a'),
      summary: {
        target: 'swarm',
        endpoint: null,
        health: 'healthy' as const,
        startedAt: null,
        calls: 10,
        errors: 1,
      },
    };
    const [row] = withSummaries([record], [deployment(1, 'a', 'running')]);
    expect(row!.summary).toMatchObject({ target: 'swarm', health: 'healthy', calls: 10, errors: 1 });
  });

  it('summarises history details as text, ignoring nested values', () => {
    expect(describeDetails({ revision: 3, target: 'docker', nested: { a: 1 } })).toBe(
      ' (revision 3, target docker)',
    );
    expect(describeDetails(null)).toBe('');
    expect(describeDetails({ evil: '<script>' })).toBe('');
  });

  it('collects each health check once, oldest first, capped', () => {
    const check = (id: number, at: string, health: 'healthy' | 'unhealthy') =>
      deployment(id, 'a', 'running', { health: { health, checkedAt: at, responseMs: 5 } });
    let samples = mergeHealthSamples(
      [],
      [check(1, '2026-01-01T00:00:10Z', 'healthy'), deployment(2, 'a', 'stopped')],
    );
    expect(samples).toEqual([
      { key: '1:2026-01-01T00:00:10Z', checkedAt: '2026-01-01T00:00:10Z', health: 'healthy', responseMs: 5 },
    ]);
    // The same check seen again on the next refresh adds nothing (and keeps the array identity).
    expect(mergeHealthSamples(samples, [check(1, '2026-01-01T00:00:10Z', 'healthy')])).toBe(samples);
    samples = mergeHealthSamples(samples, [
      check(1, '2026-01-01T00:00:20Z', 'unhealthy'),
      check(3, '2026-01-01T00:00:05Z', 'healthy'),
    ]);
    expect(samples.map((s) => s.checkedAt)).toEqual([
      '2026-01-01T00:00:05Z',
      '2026-01-01T00:00:10Z',
      '2026-01-01T00:00:20Z',
    ]);
    expect(
      mergeHealthSamples(samples, [check(1, '2026-01-01T00:00:30Z', 'healthy')], 2).map((s) => s.checkedAt),
    ).toEqual(['2026-01-01T00:00:20Z', '2026-01-01T00:00:30Z']);
  });
});
