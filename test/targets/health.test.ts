/** Deployment health shared by every target: one sample's verdict, and on-demand probes of deployments. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { probeDeployments, sampleReport } from '../../src/deploy/health.js';
import type { HealthSample } from '../../src/platform/mcp-client/probe.js';
import type { DeploymentRecord } from '../../src/store/index.js';

const at = Date.parse('2026-01-02T03:04:05.000Z');
const ok = (ms: number): HealthSample => ({ ok: true, ms, at });

describe('sampleReport', () => {
  it('healthy when it answered, with the time rounded to 0.1 ms', () => {
    expect(sampleReport(ok(12.345))).toEqual({
      health: 'healthy',
      responseMs: 12.3,
      checkedAt: '2026-01-02T03:04:05.000Z',
    });
  });

  it('degraded when slower than slowMs, healthy without a threshold', () => {
    expect(sampleReport(ok(1500), { slowMs: 1000 }).health).toBe('degraded');
    expect(sampleReport(ok(900), { slowMs: 1000 }).health).toBe('healthy');
    expect(sampleReport(ok(1500)).health).toBe('healthy');
  });

  it('unhealthy without a time when it failed; the detail is the error unless given', () => {
    const failed: HealthSample = { ok: false, ms: 3000, at, error: 'refused' };
    expect(sampleReport(failed)).toEqual({
      health: 'unhealthy',
      checkedAt: '2026-01-02T03:04:05.000Z',
      detail: 'refused',
    });
    expect(sampleReport(failed, { detail: 'one-off' }).detail).toBe('one-off');
  });
});

function deployment(fields: Partial<DeploymentRecord>): DeploymentRecord {
  return {
    id: 1,
    server: 'srv',
    target: 'local',
    revision: 1,
    desired: 'running',
    status: 'running',
    port: null,
    endpoint: null,
    processId: null,
    lastError: null,
    ...fields,
  } as DeploymentRecord;
}

describe('probeDeployments', () => {
  it('probes running deployments with an endpoint, with the credential their spec requires', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    try {
      const reports = await probeDeployments(
        [
          deployment({ id: 1, endpoint }),
          deployment({ id: 2, endpoint, status: 'stopped' }),
          deployment({ id: 3, endpoint: null }),
        ],
        {
          spec: async () => ({ auth: { type: 'bearer', envVar: 'TOKEN' } }),
          env: () => ({ TOKEN: 'secret' }),
          classify: (sample) => sampleReport(sample, { detail: sample.ok ? 'up' : 'down' }),
        },
      );
      expect([...reports.keys()]).toEqual([1]);
      expect(reports.get(1)).toMatchObject({ health: 'unhealthy', detail: 'down' });
      expect(seen.length).toBeGreaterThan(0);
      expect(seen[0]!.authorization).toBe('Bearer secret');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
