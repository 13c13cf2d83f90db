/**
 * `mcp-factory export kubernetes` end to end on a real created server: the written YAML validates against the
 * pinned Kubernetes schemas, holds no secret value unless --include-secrets, refuses hostile arguments with
 * nothing written, refuses a non-empty --out without --force, and --helm writes a chart whose templates use
 * only values it defines.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { createControlPlane, type LocalControlPlane } from '../../src/deploy/control-plane.js';
import { writeEnvFile } from '../../src/platform/secrets.js';
import type { CliIo } from '../../src/surfaces/cli/io.js';
import { runCli } from '../../src/surfaces/cli/main.js';
import { createText } from '../supervisor/helpers.js';
import { type Loose, validateObject } from './kubernetes-helpers.js';

const SERVER = 'text.tools';
const SECRET_VALUE = 'sup3r-s3cret-v4lue-9f1c';
let home: string;
let work: string;
let cp: LocalControlPlane;

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    isTTY: false,
  };
  const code = await runCli([...args, '--home', home], io);
  return { code, stdout, stderr };
}

/** Every file under dir, relative, recursively. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path, `${prefix}${entry}/`) : [`${prefix}${entry}`];
  });
}

const allText = (dir: string) =>
  filesUnder(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'mcpf-k8s-export-'));
  work = mkdtempSync(join(tmpdir(), 'mcpf-k8s-out-'));
  cp = createControlPlane({ home, autoStartSupervisor: false });
  await createText(cp, SERVER, { auth: { type: 'api_key', header: 'X-API-Key', envVar: 'MCP_API_KEY' } });
  writeEnvFile(cp.layout.envFile(SERVER), { MCP_API_KEY: SECRET_VALUE });
}, 120_000);

afterAll(async () => {
  await cp?.close();
  rmSync(home, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('export kubernetes', () => {
  it('writes one file per kind, each validating, without the secret value', async () => {
    const out = join(work, 'plain');
    const result = await cli([
      'export',
      'kubernetes',
      SERVER,
      '--out',
      out,
      '--replicas',
      '3',
      '--format',
      'json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ server: SERVER, revision: 1 });
    const files = filesUnder(out).sort();
    expect(files).toEqual([
      'deployment.yaml',
      'networkpolicy.yaml',
      'poddisruptionbudget.yaml',
      'secret.yaml',
      'service.yaml',
    ]);
    for (const file of files) {
      const docs = parseAllDocuments(readFileSync(join(out, file), 'utf8'));
      expect(docs).toHaveLength(1);
      const object = (docs[0] as { toJS(): Loose }).toJS();
      expect(() => validateObject(object), file).not.toThrow();
      expect(object.metadata.name).toMatch(/^text-tools(-env)?$/);
    }
    expect(allText(out)).not.toContain(SECRET_VALUE);
    const secretText = readFileSync(join(out, 'secret.yaml'), 'utf8');
    expect(secretText).toContain('kubectl create secret generic text-tools-env --from-literal=MCP_API_KEY=');
    expect(parse(secretText).stringData).toEqual({ MCP_API_KEY: '' });
  });

  it('writes the value with --include-secrets, owner-only', async () => {
    const out = join(work, 'with-secrets');
    const result = await cli(['export', 'kubernetes', SERVER, '--out', out, '--include-secrets']);
    expect(result.code, result.stderr).toBe(0);
    expect(parse(readFileSync(join(out, 'secret.yaml'), 'utf8')).stringData).toEqual({
      MCP_API_KEY: SECRET_VALUE,
    });
    expect(statSync(join(out, 'secret.yaml')).mode & 0o077).toBe(0);
  });

  it('refuses a non-empty --out unless --force', async () => {
    const out = join(work, 'busy');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const refused = await cli(['export', 'kubernetes', SERVER, '--out', out]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('is not empty');
    expect(readdirSync(out)).toEqual(['keep.txt']);
    const forced = await cli(['export', 'kubernetes', SERVER, '--out', out, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(out)).toContain('deployment.yaml');
  });

  const ATTACKS: [string, string[]][] = [
    ['a server name with ../', ['../etc']],
    ['a namespace with a quote', [SERVER, '--namespace', 'a"b']],
    ['a namespace with a newline', [SERVER, '--namespace', 'ns\nkind: Secret']],
    ['an upper-case namespace', [SERVER, '--namespace', 'Prod']],
    ['a host with a document separator', [SERVER, '--ingress-host', 'a.example.com\n---\nkind: Pod']],
    ['a host with ../', [SERVER, '--ingress-host', '../a.example.com']],
    ['an image prefix with ../', [SERVER, '--image-prefix', 'registry.example.com/../']],
    ['an image prefix with a quote', [SERVER, '--image-prefix', 'r.example.com/"x/']],
    ['an upper-case image prefix', [SERVER, '--image-prefix', 'Registry.example.com/']],
    ['replicas with a suffix', [SERVER, '--replicas', '3; rm -rf /']],
    ['an hpa with a newline', [SERVER, '--hpa', '1:2:50\n---']],
    ['a missing server', ['no-such-server']],
  ];
  for (const [label, args] of ATTACKS)
    it(`refuses ${label} and writes nothing`, async () => {
      const out = mkdtempSync(join(work, 'attack-'));
      const result = await cli(['export', 'kubernetes', ...args, '--out', out, '--helm']);
      expect(result.code).not.toBe(0);
      expect(readdirSync(out)).toEqual([]);
      expect(readdirSync(work).filter((f) => !/^(attack-|plain|with-secrets|busy|helm)/.test(f))).toEqual([]);
    });

  it('--helm writes a chart whose templates reference only defined values', async () => {
    const out = join(work, 'helm');
    const result = await cli(['export', 'kubernetes', SERVER, '--out', out, '--helm', '--hpa', '2:5:70']);
    expect(result.code, result.stderr).toBe(0);
    const chart = parse(readFileSync(join(out, 'Chart.yaml'), 'utf8'));
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'text-tools', type: 'application' });
    const values = parse(readFileSync(join(out, 'values.yaml'), 'utf8'));
    expect(values).toMatchObject({
      replicaCount: 2,
      image: { repository: 'mcp-factory/text.tools', tag: 'r1' },
    });
    expect(values.ingress).toEqual({ enabled: false, host: '' });
    expect(values.env).toEqual({ MCP_API_KEY: '' });
    const templates = filesUnder(join(out, 'templates'));
    expect(templates).toContain('ingress.yaml');
    expect(templates).toContain('horizontalpodautoscaler.yaml');
    for (const file of templates) {
      const text = readFileSync(join(out, 'templates', file), 'utf8');
      for (const [, path] of text.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g)) {
        let node: Loose = values;
        for (const key of (path as string).split('.')) {
          expect(node && typeof node === 'object' && key in node, `${file}: .Values.${path}`).toBe(true);
          node = node[key];
        }
      }
      // Without the template directives the rest is plain YAML (the objects themselves).
      const literal = text.replace(/^\s*\{\{-? (if|end)[^}]*\}\}\s*$/gm, '').replace(/\{\{[^}]*\}\}/g, 'x');
      expect(() => parse(literal), file).not.toThrow();
    }
    expect(allText(out)).not.toContain(SECRET_VALUE);
  });

  it("takes the server's kubernetes.json with flags overriding it; a hostile file writes nothing", async () => {
    const settings = join(cp.layout.serverDir(SERVER), 'kubernetes.json');
    try {
      writeFileSync(
        settings,
        JSON.stringify({ namespace: 'from-file', replicas: 2, ingressHost: 'mcp.example.com' }),
      );
      const out = join(work, 'file-options');
      const result = await cli(['export', 'kubernetes', SERVER, '--out', out, '--replicas', '4']);
      expect(result.code, result.stderr).toBe(0);
      const deployment = parse(readFileSync(join(out, 'deployment.yaml'), 'utf8'));
      expect(deployment.metadata.namespace).toBe('from-file');
      expect(deployment.spec.replicas).toBe(4); // the flag wins
      expect(filesUnder(out)).toContain('ingress.yaml');

      const hostile = [
        '{"__proto__": {"polluted": true}}',
        '{"replicas": 1e308}',
        '{"namespace": ["ns"]}',
        '{"nodeSelector": {"a": "b"}}',
      ];
      for (const [i, text] of hostile.entries()) {
        writeFileSync(settings, text);
        const refusedOut = join(work, `file-hostile-${i}`);
        const refused = await cli(['export', 'kubernetes', SERVER, '--out', refusedOut]);
        expect(refused.code, text).not.toBe(0);
        expect(refused.stderr, text).toContain(settings);
        expect(existsSync(refusedOut), text).toBe(false);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();

      // A link to a file of valid options is refused all the same (the target is not the server's file).
      const elsewhere = join(work, 'elsewhere.json');
      writeFileSync(elsewhere, '{"namespace": "linked"}');
      rmSync(settings);
      symlinkSync(elsewhere, settings);
      const linkedOut = join(work, 'file-linked');
      const linked = await cli(['export', 'kubernetes', SERVER, '--out', linkedOut]);
      expect(linked.code).not.toBe(0);
      expect(linked.stderr).toMatch(/symbolic link/);
      expect(existsSync(linkedOut)).toBe(false);
    } finally {
      rmSync(settings, { force: true });
    }
  });
});
