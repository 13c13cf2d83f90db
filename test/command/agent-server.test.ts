/**
 * A generated server with agent-backed command tools, created by the factory pipeline and called over MCP
 * (stdio): the command runs on the host agent (a free loopback port), the server reads the agent's address
 * and key from the environment its spec names, and a program the server's spec allows but the agent's policy
 * does not is a tool error saying why — nothing created, nothing in the agent's audit as run. The bundle
 * carries the agent backend; a server without agent tools does not.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { connectStdio, textOf } from '../helpers/mcp.js';
import { AS_ROOT, healthy, KEY, KEY_ID, type RunningAgent, startTestAgent } from './agent-fixture.js';
import { runAsFor } from './helpers.js';

let work: string;
let rootDir: string;
let agent: RunningAgent;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-agent-server-'));
  chmodSync(work, 0o755);
  rootDir = join(work, 'root');
  mkdirSync(rootDir, { mode: 0o777 });
  chmodSync(rootDir, 0o777);
  agent = await startTestAgent(work, {
    backend: 'native',
    allowedPrograms: ['printf'],
    roots: { work: { path: rootDir, writable: true } },
    runAs: runAsFor(64_312),
  });
});

afterAll(async () => {
  await agent?.close();
  rmSync(work, { recursive: true, force: true });
});

const agentRef = { urlEnv: 'HOST_AGENT_URL', keyIdEnv: 'HOST_AGENT_KEY_ID', keyEnv: 'HOST_AGENT_KEY' };

describe.skipIf(!AS_ROOT)('a generated server on the agent backend', () => {
  it('runs a command through the host agent over MCP; the agent refuses what its policy does not allow', async () => {
    const marker = join(rootDir, 'made-by-touch');
    const result = validateSpec({
      name: 'agent-command-server',
      tools: [
        {
          name: 'remote_say',
          description: 'Prints the text on the agent host.',
          parameters: { text: { type: 'string', required: true } },
          command: {
            program: 'printf',
            args: ['%s\\n', '{{text}}'],
            policy: { backend: 'agent', agent: agentRef },
          },
        },
        {
          name: 'remote_touch',
          description: 'Allowed by this spec, not by the agent.',
          command: { program: 'touch', args: [marker], policy: { backend: 'agent', agent: agentRef } },
        },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const created = await createServerProject({
      spec: result.spec!,
      specDir: work,
      outDir: join(work, 'server'),
    });
    const runtimeDir = join(work, 'server', 'src', 'runtime');
    expect(existsSync(join(runtimeDir, 'command-agent.ts'))).toBe(true);
    expect(existsSync(join(runtimeDir, 'command-ssh.ts'))).toBe(false);
    expect(readdirSync(join(runtimeDir, 'exec')).sort()).toEqual([
      'agent-protocol.ts',
      'argv.ts',
      'backends.ts',
      'index.ts',
    ]);
    const client = await connectStdio(created.bundle.file, '2026-07-28', {
      HOST_AGENT_URL: agent.url,
      HOST_AGENT_KEY_ID: KEY_ID,
      HOST_AGENT_KEY: KEY,
    });
    try {
      const said = await client.callTool({ name: 'remote_say', arguments: { text: "it's $(id) ;" } });
      expect(said.structuredContent, textOf(said)).toMatchObject({ exitCode: 0, stdout: "it's $(id) ;\n" });
      expect(agent.ran().at(-1)?.argv).toEqual(['/usr/bin/printf', '%s\\n', "it's $(id) ;"]);
      const ranBefore = agent.ran().length;
      const touched = await client.callTool({ name: 'remote_touch', arguments: {} });
      expect(touched.isError).toBe(true);
      expect(textOf(touched)).toMatch(/host agent refused the command: program "touch" is not allowed/);
      expect(existsSync(marker)).toBe(false);
      expect(agent.ran().length).toBe(ranBefore);
      expect(await healthy(agent.url)).toBe(true);
    } finally {
      await client.close();
    }
  }, 120_000);

  it('a server without agent tools bundles neither the agent backend nor the shared exec module', async () => {
    const result = validateSpec({
      name: 'plain-server',
      tools: [{ name: 'hello', description: 'Says hello.', static: { text: 'hello' } }],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const { runtimeFiles } = await import('../../src/platform/factory-files.js');
    const { runtimeFilesFor } = await import('../../src/build/generator/server-code.js');
    const names = Object.keys(runtimeFilesFor(result.spec!, runtimeFiles()));
    expect(names.some((n) => n.startsWith('exec/') || n.startsWith('command'))).toBe(false);
    expect(names.length).toBeGreaterThan(0);
  });
});
