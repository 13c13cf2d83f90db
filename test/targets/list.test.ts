/** The one target list: a factory per name, each building the target of that name from one shared context. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerDeploymentTarget } from '../../src/deploy/targets/docker/target.js';
import { createTargets, describeTargetNames, isTargetName, TARGETS } from '../../src/deploy/targets/index.js';
import { SupervisorLink } from '../../src/deploy/targets/local/link.js';
import { LocalTarget } from '../../src/deploy/targets/local/target.js';
import { MicroVmTarget } from '../../src/deploy/targets/microvm/target.js';
import { DEFAULT_TARGET, TARGET_NAMES } from '../../src/deploy/targets/names.js';
import { homeLayout } from '../../src/platform/home.js';

const home = mkdtempSync(join(tmpdir(), 'mcpf-targets-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function build() {
  return createTargets({
    layout: homeLayout(home),
    registry: () => Promise.reject(new Error('not used by construction')),
    projectDir: async (server, revision) => join(home, server, String(revision)),
    options: { autoStart: false },
  });
}

describe('target list', () => {
  it('has one factory per name, and the default is one of them', () => {
    expect(Object.keys(TARGETS).sort()).toEqual([...TARGET_NAMES].sort());
    expect(TARGET_NAMES).toContain(DEFAULT_TARGET);
  });

  it('builds every target from one context, each under its own name', () => {
    const targets = build();
    for (const name of TARGET_NAMES) expect(targets[name].name).toBe(name);
    expect(targets.local).toBeInstanceOf(LocalTarget);
    expect((targets.local as LocalTarget).link).toBeInstanceOf(SupervisorLink);
    expect(targets.docker).toBeInstanceOf(DockerDeploymentTarget);
    expect(targets.microvm).toBeInstanceOf(MicroVmTarget);
  });

  it('keeps each target’s environment values apart', () => {
    const targets = build();
    targets.local.writeEnv('srv', { TOKEN: 'local' });
    targets.docker.writeEnv('srv', { TOKEN: 'docker' });
    targets.microvm.writeEnv('srv', { TOKEN: 'microvm' });
    expect(targets.local.readEnv('srv')).toEqual({ TOKEN: 'local' });
    expect(targets.docker.readEnv('srv')).toEqual({ TOKEN: 'docker' });
    expect(targets.microvm.readEnv('srv')).toEqual({ TOKEN: 'microvm' });
    for (const target of Object.values(targets)) target.removeEnv('srv');
    expect(targets.local.readEnv('srv')).toEqual({});
    expect(targets.docker.readEnv('srv')).toEqual({});
    expect(targets.microvm.readEnv('srv')).toEqual({});
  });

  it('the local target (its supervisor) and the microvm target (its warm pool) keep converging while the control plane waits', () => {
    const targets = build();
    expect(typeof targets.local.keepConverging).toBe('function');
    expect(typeof targets.microvm.keepConverging).toBe('function');
    expect(targets.docker.keepConverging).toBeUndefined();
  });

  it('recognises and describes the names', () => {
    for (const name of TARGET_NAMES) expect(isTargetName(name)).toBe(true);
    expect(isTargetName('nomad')).toBe(false);
    expect(describeTargetNames()).toBe('local, docker, microvm, swarm or kubernetes');
  });
});
