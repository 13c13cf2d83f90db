#!/usr/bin/env node
/**
 * Build the factory's own container image (deploy/docker/Dockerfile) offline, from this checkout.
 *
 *   node scripts/build-image.mjs [--tag mcp-factory:0.1.0] [--base node:22-bookworm-slim] [--local-node]
 *                                [--context-dir DIR] [--list] [--json]
 *
 * The build context is what `npm pack` would ship (package.json "files": bin/, dist/, runtime/, schema/, the
 * shared src/core modules, README.md) plus the production node_modules of this checkout (`npm ls --omit=dev`),
 * so no `npm ci` runs inside the build and nothing is downloaded. By default the context goes straight to the
 * Docker engine (dockerode, DOCKER_HOST or the local socket); --context-dir copies it to DIR instead, for
 * `docker build DIR`, buildah or kaniko; --list prints the context's files. --local-node first imports this machine's node as the base image
 * (air-gapped machines, CI). Needs `npm run build` first (dist/).
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DOCKERFILE = 'deploy/docker/Dockerfile';
const HOME_SEED = 'deploy/docker/home';
/** Browser bundles no factory code loads (the factory imports node-sql-parser/build/<dialect>.js). */
const BROWSER_ONLY = new Set(['node_modules/node-sql-parser/umd']);
/** Source maps: Node ignores them without --enable-source-maps; they are a quarter of node_modules. */
const isSourceMap = (name) => name.endsWith('.map');

/** Every file under `dir` (relative to ROOT), skipping nested node_modules (listed on their own by npm ls). */
function filesUnder(dir, { skipNodeModules = false } = {}) {
  const out = [];
  const walk = (abs) => {
    for (const entry of readdirSync(abs)) {
      const full = join(abs, entry);
      const stat = lstatSync(full);
      if (stat.isDirectory()) {
        if (skipNodeModules && entry === 'node_modules') continue;
        if (BROWSER_ONLY.has(relative(ROOT, full))) continue;
        walk(full);
      } else if ((stat.isFile() || stat.isSymbolicLink()) && !isSourceMap(entry))
        out.push(relative(ROOT, full));
    }
  };
  walk(join(ROOT, dir));
  return out;
}

/** The installed production packages (nested ones too), as folders relative to ROOT. */
function productionPackages() {
  const text = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith(`${join(ROOT, 'node_modules')}${sep}`))
    .map((line) => relative(ROOT, line));
}

/** The build context: package files, production node_modules, the home seed and the Dockerfile. */
export function contextFiles() {
  if (!existsSync(join(ROOT, 'dist', 'surfaces', 'cli', 'main.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const files = new Set(['package.json', DOCKERFILE, ...filesUnder(HOME_SEED)]);
  for (const entry of pkg.files) {
    const full = join(ROOT, entry);
    if (!existsSync(full)) continue;
    if (statSync(full).isDirectory()) for (const f of filesUnder(entry)) files.add(f);
    else files.add(entry);
  }
  for (const dir of productionPackages())
    for (const f of filesUnder(dir, { skipNodeModules: true })) files.add(f);
  return [...files].filter((f) => !f.endsWith('.test.ts')).sort();
}

function gitRevision() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

function copyContext(files, target) {
  for (const file of files) {
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(target, file));
  }
  copyFileSync(join(ROOT, DOCKERFILE), join(target, 'Dockerfile'));
}

async function followProgress(docker, stream, onLine) {
  await new Promise((resolvePromise, reject) => {
    docker.modem.followProgress(
      stream,
      (error, output) => {
        const failed = error?.message ?? output?.find((o) => o.error)?.error;
        if (failed) reject(new Error(failed));
        else resolvePromise();
      },
      (event) => {
        const line = (event.stream ?? event.status ?? '').trim();
        if (line) onLine(line);
      },
    );
  });
}

/** Shared libraries the native addons of the context link to (argon2 needs librt, which node does not). */
function addonLibraries(files) {
  const libs = new Set();
  for (const file of files.filter((f) => f.endsWith('.node'))) {
    let out = '';
    try {
      out = execFileSync('ldd', [join(ROOT, file)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      continue; // an addon for another platform (or a static one): nothing to add
    }
    for (const lib of out.match(/\/\S+/g) ?? []) libs.add(lib);
  }
  return [...libs].sort();
}

/**
 * The base image from this machine's node (importLocalNodeImage) plus the libraries the native addons need, as
 * one more layer: for air-gapped machines and CI, where nothing can be pulled.
 */
async function importLocalBase(docker, tag, files, onLine) {
  const { importLocalNodeImage } = await import('../dist/deploy/targets/docker/engine.js');
  const nodeOnly = `${tag}-node`;
  await importLocalNodeImage(docker, nodeOnly);
  const root = mkdtempSync(join(tmpdir(), 'mcpf-image-base-'));
  try {
    for (const lib of addonLibraries(files)) {
      mkdirSync(join(root, 'rootfs', dirname(lib)), { recursive: true });
      copyFileSync(realpathSync(lib), join(root, 'rootfs', lib));
    }
    mkdirSync(join(root, 'rootfs'), { recursive: true });
    writeFileSync(join(root, 'Dockerfile'), `FROM ${nodeOnly}\nCOPY rootfs/ /\n`);
    const stream = await docker.buildImage(
      { context: root, src: ['Dockerfile', 'rootfs'] },
      { t: tag, pull: false, rm: true },
    );
    await followProgress(docker, stream, onLine);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Build the image; returns its tag, id, size and how many context files were sent. */
export async function buildImage({ tag, base, localNode = false, onLine = () => undefined }) {
  const { default: Docker } = await import('dockerode');
  const docker = new Docker();
  const files = contextFiles();
  if (localNode) await importLocalBase(docker, base, files, onLine);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const stream = await docker.buildImage(
    { context: ROOT, src: files },
    {
      t: tag,
      dockerfile: DOCKERFILE,
      pull: false,
      rm: true,
      forcerm: true,
      buildargs: {
        NODE_IMAGE: base,
        VERSION: pkg.version,
        REVISION: gitRevision(),
        CREATED: new Date().toISOString(),
        SOURCE: typeof pkg.repository === 'string' ? pkg.repository : (pkg.repository?.url ?? ''),
      },
    },
  );
  await followProgress(docker, stream, onLine);
  const info = await docker.getImage(tag).inspect();
  return { tag, id: info.Id, sizeBytes: info.Size, files: files.length };
}

function defaultBase() {
  return process.env.MCP_FACTORY_NODE_IMAGE || `node:${process.versions.node.split('.')[0]}-bookworm-slim`;
}

async function main() {
  const { values } = parseArgs({
    options: {
      tag: { type: 'string' },
      base: { type: 'string' },
      'local-node': { type: 'boolean', default: false },
      'context-dir': { type: 'string' },
      list: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]}*/\n`);
    return;
  }
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  if (values.list) {
    process.stdout.write(`${contextFiles().join('\n')}\n`);
    return;
  }
  if (values['context-dir']) {
    const target = resolve(values['context-dir']);
    if (existsSync(target) && readdirSync(target).length > 0)
      throw new Error(`${target} is not empty: give a new or empty folder`);
    const files = contextFiles();
    copyContext(files, target);
    process.stdout.write(`Build context in ${target} (${files.length} files): docker build ${target}\n`);
    return;
  }
  const base = values.base ?? (values['local-node'] ? 'mcp-factory-node:local' : defaultBase());
  const started = Date.now();
  const result = await buildImage({
    tag: values.tag ?? `mcp-factory:${pkg.version}`,
    base,
    localNode: values['local-node'],
    onLine: values.json ? () => undefined : (line) => process.stderr.write(`${line}\n`),
  });
  const seconds = (Date.now() - started) / 1000;
  if (values.json) process.stdout.write(`${JSON.stringify({ ...result, base, seconds })}\n`);
  else
    process.stdout.write(
      `Built ${result.tag} (${Math.round(result.sizeBytes / 1e6)} MB, ${result.files} files, base ${base}) in ${seconds.toFixed(1)} s\n`,
    );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`build-image: ${error.message}\n`);
    process.exitCode = 1;
  });
}
