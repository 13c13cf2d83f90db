/**
 * What scripts/build-image.mjs sends as the image's build context (`--list`), without Docker: the CLI and the
 * runtime sources, the production dependencies and not the development ones, no tests, source maps or local
 * secrets, and every path the Dockerfile copies. Needs `npm run build` (dist/).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
let files: string[];

beforeAll(async () => {
  expect(existsSync(join(ROOT, 'dist', 'surfaces', 'cli', 'main.js')), 'run `npm run build` first').toBe(
    true,
  );
  const { stdout } = await promisify(execFile)(process.execPath, ['scripts/build-image.mjs', '--list'], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  files = stdout.split('\n').filter(Boolean);
}, 60_000);

const hasPackage = (name: string) => files.some((f) => f.startsWith(`node_modules/${name}/`));

describe('the image build context', () => {
  it('holds the CLI, its runtime sources and every production dependency', () => {
    for (const file of [
      'package.json',
      'bin/mcp-factory.mjs',
      'dist/surfaces/cli/main.js',
      'runtime/metrics.ts',
      'src/core/search/index.ts',
      'deploy/docker/Dockerfile',
      'deploy/docker/home/README.md',
    ])
      expect(files, file).toContain(file);
    for (const name of Object.keys(pkg.dependencies)) expect(hasPackage(name), name).toBe(true);
  });

  it('leaves out development dependencies, tests, source maps, local secrets and the rest of src/', () => {
    // Development-only packages that no production dependency needs.
    for (const name of ['vitest', '@biomejs/biome', 'vite', 'playwright-core', 'oidc-provider'])
      expect(hasPackage(name), name).toBe(false);
    expect(pkg.devDependencies.vitest).toBeDefined();
    const bad = files.filter(
      (f) =>
        f.endsWith('.map') ||
        f.endsWith('.test.ts') ||
        /(^|\/)\.env(\.|$)/.test(f) ||
        f.startsWith('test/') ||
        f.startsWith('.git/') ||
        (f.startsWith('src/') && !/^src\/core\/(search|rate|net|exec)\//.test(f)),
    );
    expect(bad).toEqual([]);
    // Nested node_modules are listed only when they are production packages themselves (npm ls --omit=dev).
    expect(files.some((f) => f.includes('/node_modules/.bin/'))).toBe(false);
  });

  it('has every source the Dockerfile copies', () => {
    const dockerfile = readFileSync(join(ROOT, 'deploy', 'docker', 'Dockerfile'), 'utf8');
    const sources = [...dockerfile.matchAll(/^COPY (?:--\S+ )*(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources)
      expect(
        files.some((f) => f === source || f.startsWith(source.endsWith('/') ? source : `${source}/`)),
        source,
      ).toBe(true);
  });
});
