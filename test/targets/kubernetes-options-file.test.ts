/**
 * `<home>/servers/<name>/kubernetes.json` as untrusted input: known keys of the right types only, the same range
 * checks as the flags, no links or oversized files; every refusal is INVALID_ARGUMENTS naming the file (details
 * and issue) and the key. Flags override the file key by key. The kubernetes target refuses such a file before
 * it talks to the cluster (checked by effect on a recording fake API: nothing applied).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FactoryError } from '../../src/core/errors/index.js';
import type { KubernetesApi } from '../../src/deploy/targets/kubernetes/cluster.js';
import {
  kubernetesOptionsFile,
  mergeKubernetesOptions,
  readKubernetesOptionsFile,
} from '../../src/deploy/targets/kubernetes/options-file.js';
import { KubernetesTarget } from '../../src/deploy/targets/kubernetes/target.js';
import { homeLayout } from '../../src/platform/home.js';

let dir: string;
let n = 0;
const file = (text: string) => {
  const path = join(dir, `k${n++}.json`);
  writeFileSync(path, text);
  return path;
};
const refusal = (path: string): FactoryError => {
  try {
    readKubernetesOptionsFile(path);
  } catch (error) {
    return error as FactoryError;
  }
  return expect.fail(`${path} was accepted`);
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcpf-k8s-opts-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kubernetes.json', () => {
  it('reads every option; absent means none', () => {
    const options = {
      namespace: 'mcp',
      replicas: 3,
      imagePrefix: 'registry.example.com:5000/team/',
      ingressHost: 'mcp.example.com',
      hpa: { min: 2, max: 10, cpuPercent: 80 },
      resources: { cpuRequest: '100m', cpuLimit: '1', memoryRequest: '128Mi', memoryLimit: '1Gi' },
    };
    expect(readKubernetesOptionsFile(file(JSON.stringify(options)))).toEqual(options);
    expect(readKubernetesOptionsFile(join(dir, 'absent.json'))).toEqual({});
  });

  const ATTACKS: Array<[string, string, string]> = [
    ['a prototype key', '{"__proto__": {"replicas": 2}}', '__proto__'],
    ['a constructor key', '{"constructor": {"prototype": {"x": 1}}}', 'constructor'],
    ['an unknown key', '{"namespace": "a", "hostNetwork": true}', 'hostNetwork'],
    ['an unknown hpa key', '{"hpa": {"min": 1, "max": 2, "cpuPercent": 50, "__proto__": {}}}', 'hpa'],
    ['a huge number', '{"replicas": 1e308}', 'replicas'],
    ['a number beyond doubles', '{"hpa": {"min": 1, "max": 1e400, "cpuPercent": 50}}', 'hpa.max'],
    ['a fractional replica count', '{"replicas": 1.5}', 'replicas'],
    ['a number as a string', '{"replicas": "3"}', 'replicas'],
    ['an array for a string', '{"namespace": ["mcp"]}', 'namespace'],
    ['an object for a string', '{"imagePrefix": {"toString": "x"}}', 'imagePrefix'],
    ['YAML smuggled in a namespace', '{"namespace": "a\\n---\\nkind: Pod"}', 'namespace'],
    [
      'a resource that is not a quantity',
      '{"resources": {"cpuRequest": "1; rm", "cpuLimit": "1", "memoryRequest": "1Mi", "memoryLimit": "1Mi"}}',
      'resources',
    ],
    ['a partial resources object', '{"resources": {"cpuRequest": "1"}}', 'resources.cpuLimit'],
    ['a null hpa', '{"hpa": null}', 'hpa'],
  ];
  for (const [label, text, key] of ATTACKS)
    it(`refuses ${label}, naming the file and the key`, () => {
      const path = file(text);
      const error = refusal(path);
      expect(error.code).toBe('INVALID_ARGUMENTS');
      expect(error.details?.path).toBe(path);
      expect(error.message).toContain(path);
      expect(error.issues[0]).toMatchObject({ file: path, path: key });
      expect(({} as Record<string, unknown>).replicas).toBeUndefined();
      expect(({} as Record<string, unknown>).x).toBeUndefined();
    });

  it('refuses what is not one small JSON object in a regular file', () => {
    for (const text of ['not json', '[1]', 'null', '"mcp"', '3'])
      expect(refusal(file(text)).details?.path).toBeTruthy();
    const big = file(`{"namespace": "mcp", "pad": "${'x'.repeat(70_000)}"}`);
    expect(refusal(big).message).toMatch(/larger than/);
    const good = file('{"namespace": "linked"}');
    const link = join(dir, 'link.json');
    symlinkSync(good, link);
    expect(refusal(link).message).toMatch(/symbolic link/);
    const folder = join(dir, 'folder.json');
    mkdirSync(folder);
    expect(refusal(folder).code).toBe('INVALID_ARGUMENTS');
  });

  it('lets every flag given override the file, key by key', () => {
    const fromFile = { namespace: 'mcp', replicas: 2, ingressHost: 'a.example.com' };
    expect(mergeKubernetesOptions(fromFile, { replicas: 5, namespace: undefined })).toEqual({
      namespace: 'mcp',
      replicas: 5,
      ingressHost: 'a.example.com',
    });
  });

  it('a hostile file stops a kubernetes deploy before the cluster is asked anything', async () => {
    const layout = homeLayout(join(dir, 'home'));
    const calls: string[] = [];
    const api = new Proxy({} as KubernetesApi, {
      get: (_, name) => async () => {
        calls.push(String(name));
        return undefined;
      },
    });
    const target = new KubernetesTarget({
      layout,
      registry: () => Promise.reject(new Error('not needed')),
      api: async () => api,
    });
    const settings = kubernetesOptionsFile(layout, 'svc');
    mkdirSync(join(settings, '..'), { recursive: true });
    writeFileSync(settings, '{"replicas": 2, "privileged": true}');
    await expect(target.ensureAvailable({ server: 'svc', projectDir: dir })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENTS',
      details: { path: settings },
    });
    expect(calls).toEqual([]);
  });
});
