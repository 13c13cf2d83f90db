/**
 * The browser harness of the console's e2e tests: a real factory (`mcp-factory serve`, bundled CLI, temp home,
 * free loopback port) and headless Chromium driven by playwright-core. Every page visited is checked with axe-core
 * (injected through the DevTools protocol, so the page's strict CSP stays on) and saved as a screenshot under
 * test-results/console/. Console errors and CSP violations are collected; the tests assert there are none.
 * Without Chromium the tests skip visibly, and fail under MCP_FACTORY_REQUIRE_SERVICES=1.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensureBuilt, ROOT } from '../helpers/build.js';
import { runProcess } from '../helpers/run.js';
import { REQUIRE_SERVICES } from '../helpers/services.js';

const require = createRequire(import.meta.url);
export const CHROMIUM = process.env.MCP_FACTORY_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = join(ROOT, 'test-results', 'console');
const CONSOLE_INDEX = join(ROOT, 'dist', 'console', 'index.html');

/** Why the browser tests cannot run here (printed), or undefined. */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const why = `console browser tests need Chromium at ${CHROMIUM} (apt-get install chromium, or set MCP_FACTORY_CHROMIUM)`;
  if (!REQUIRE_SERVICES) process.stderr.write(`\n[skip] ${why}\n`);
  return why;
}

/** Build dist/console when it is missing (vite build of console/; one build at a time is vite's own concern). */
export function ensureConsoleBuilt(): void {
  if (existsSync(CONSOLE_INDEX)) return;
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'console/vite.config.ts',
      '--logLevel',
      'error',
    ],
    { cwd: ROOT, stdio: 'pipe' },
  );
}

export interface Factory {
  url: string;
  home: string;
  token: string;
  /** A JSON request with the bearer token (test setup and checks by effect). */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  stderr(): string;
  stop(): Promise<void>;
}

const BIN = join(ROOT, 'bin', 'mcp-factory.mjs');

/**
 * `mcp-factory serve` from dist/ (built when stale): the real CLI, whose local target starts the real supervisor
 * (a bundled copy of the CLI cannot: the supervisor's entry is a file of dist/).
 */
export async function startFactory(tokenArgs: string[] = []): Promise<Factory> {
  ensureBuilt();
  const home = mkdtempSync(join(tmpdir(), 'mcpf-console-e2e-'));
  const env = { ...process.env, MCP_FACTORY_REGISTRY_URL: '', MCP_FACTORY_HOME: home };
  const created = await runProcess(
    process.execPath,
    [BIN, 'token', 'create', 'console-e2e', '--home', home, ...tokenArgs],
    { env },
  );
  if (created.code !== 0) throw new Error(`token create failed: ${created.err}`);
  const token = created.out.trim();
  // A snapshot of the built console: another build of the shared checkout during the run would swap the hashed
  // chunks under the page (a lazily loaded chunk would then fail to load).
  const consoleDir = join(home, 'console-snapshot');
  cpSync(join(ROOT, 'dist', 'console'), consoleDir, { recursive: true });
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--home', home, '--port', '0', '--console-dir', consoleDir],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 60_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-20_000);
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
  });
  return {
    url,
    home,
    token,
    async api(method, path, body) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as never };
    },
    stderr: () => stderr,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      // The local target's supervisor and servers stop with the factory's home: stop them, then remove it.
      await runProcess(process.execPath, [BIN, 'supervisor', 'stop', '--stop-servers', '--home', home], {
        env,
      }).catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface Browsing {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors and CSP violations seen so far (with the page they happened on). */
  problems: string[];
  /** API answers of 400 or more: `STATUS METHOD PATH (on PAGE)`. */
  failedRequests: string[];
  close(): Promise<void>;
}

export async function openBrowser(): Promise<Browsing> {
  const { chromium } = await import('playwright-core');
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: root ? ['--no-sandbox'] : [],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const problems: string[] = [];
  const failedRequests: string[] = [];
  const where = () => new URL(page.url()).pathname;
  page.on('console', (message) => {
    // A failed request is also logged as a console error: those are checked as requests (failedRequests).
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      problems.push(`console: ${message.text()} (on ${where()})`);
  });
  page.on('pageerror', (error) => problems.push(`page: ${error.message} (on ${where()})`));
  page.on('response', (response) => {
    if (response.status() >= 400) {
      const url = new URL(response.url());
      const line = `${response.status()} ${response.request().method()} ${url.pathname}${url.search} (on ${where()})`;
      failedRequests.push(line);
      // The API's error code and message make a failure readable in the test output.
      void response
        .json()
        .then((body: { error?: string; message?: string }) => {
          const i = failedRequests.indexOf(line);
          if (i >= 0 && body?.error)
            failedRequests[i] = `${line}: ${body.error} ${body.message ?? ''}`.trim();
        })
        .catch(() => undefined);
    }
  });
  // A CSP violation is also reported as an event in the page: record it from an init script (CDP, not inline).
  await context.exposeBinding('__cspViolation', (_source, text: string) =>
    problems.push(`csp: ${text} (on ${where()})`),
  );
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { __cspViolation(text: string): void }).__cspViolation(
        `${event.violatedDirective} blocked ${event.blockedURI}`,
      );
    });
  });
  return {
    browser,
    context,
    page,
    problems,
    failedRequests,
    async close() {
      await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
    },
  };
}

const AXE_SOURCE = () => readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: number;
}

/** Run axe-core on the page (evaluated through the DevTools protocol: no CSP change needed). */
export async function axe(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(AXE_SOURCE());
  return page.evaluate(async () => {
    const runner = (
      window as unknown as {
        axe: {
          run(
            context: Document,
            options: object,
          ): Promise<{
            violations: Array<{ id: string; impact: string | null; help: string; nodes: unknown[] }>;
          }>;
        };
      }
    ).axe;
    const result = await runner.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.length,
    }));
  });
}

/** Screenshot the page as test-results/console/NAME.png and return axe's serious and critical violations. */
export async function checkPage(page: Page, name: string): Promise<AxeViolation[]> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  return (await axe(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
