/**
 * planFailover (deploy/failover.ts), pure: which of a gone node's deployments this node takes over. Every live
 * node computes the same plan from the same registry, so the shares add up to every stranded deployment, once.
 */
import { describe, expect, it } from 'vitest';
import { type FailoverInput, planFailover } from '../../src/deploy/failover.js';

const node = (name: string, silentMs: number) => ({ name, url: null, silentMs, startedAt: '' });

function input(over: Partial<FailoverInput> = {}): FailoverInput {
  return {
    me: 'a',
    nodes: [node('a', 100), node('b', 200), node('gone', 90_000)],
    placements: new Map([
      [1, 'gone'],
      [2, 'gone'],
      [3, 'gone'],
      [4, 'gone'],
      [5, 'a'],
      [6, 'b'],
    ]),
    deployments: [1, 2, 3, 4, 5, 6].map((id) => ({ id, desired: 'running' })),
    deadAfterMs: 15_000,
    failoverAfterMs: 60_000,
    ...over,
  };
}

const ids = (i: FailoverInput) => planFailover(i).map((m) => m.deploymentId);

describe('planFailover', () => {
  it('splits a gone node’s deployments over the live nodes, least loaded first, each exactly once', () => {
    const a = ids(input());
    const b = ids(input({ me: 'b' }));
    expect(a).toEqual([1, 3]);
    expect(b).toEqual([2, 4]);
    expect(planFailover(input())[0]).toMatchObject({ from: 'gone', silentMs: 90_000 });
    // A busier node takes fewer (its load counted from the placements: 5, 7 and 8 run on a; 6 is stopped).
    const busy = input({
      placements: new Map([...input().placements, [7, 'a'], [8, 'a']]),
      deployments: [1, 2, 3, 4, 5, 6, 7, 8].map((id) => ({ id, desired: id === 6 ? 'stopped' : 'running' })),
    });
    expect(ids(busy)).toEqual([4]);
    expect(ids({ ...busy, me: 'b' })).toEqual([1, 2, 3]);
  });

  it('gives the rest to the other node from a snapshot taken part-way through one node’s moves', () => {
    // a takes 1 and 3 from the full snapshot; b's snapshot may come before, between or after a's moves.
    expect(ids(input())).toEqual([1, 3]);
    const snapshot = (moved: number[]) =>
      input({
        me: 'b',
        placements: new Map([...input().placements, ...moved.map((id) => [id, 'a'] as const)]),
      });
    expect(ids(snapshot([]))).toEqual([2, 4]);
    expect(ids(snapshot([1]))).toEqual([2, 4]);
    expect(ids(snapshot([1, 3]))).toEqual([2, 4]);
  });

  it('leaves alone: a node not yet gone, stopped deployments, its own, unknown nodes, and failover 0', () => {
    expect(ids(input({ nodes: [node('a', 0), node('b', 0), node('gone', 59_000)] }))).toEqual([]);
    expect(ids(input({ deployments: [1, 2, 3, 4].map((id) => ({ id, desired: 'stopped' })) }))).toEqual([]);
    expect(ids(input({ failoverAfterMs: 0 }))).toEqual([]);
    // Placed on a node with no heartbeat record yet: a supervisor about to start, not a gone one.
    expect(ids(input({ nodes: [node('a', 0), node('b', 0)] }))).toEqual([]);
    // Never shorter than the dead-after time.
    expect(ids(input({ failoverAfterMs: 1, nodes: [node('a', 0), node('gone', 10_000)] }))).toEqual([]);
  });

  it('counts this node live even when its last heartbeat is old, and a dead peer takes nothing', () => {
    const lone = input({ nodes: [node('a', 20_000), node('b', 20_000), node('gone', 90_000)] });
    expect(ids(lone)).toEqual([1, 2, 3, 4]);
  });

  it('offers a deployment stranded for three failover periods to every live node', () => {
    const late = input({ nodes: [node('a', 0), node('b', 0), node('gone', 200_000)] });
    expect(ids(late)).toEqual([1, 2, 3, 4]);
    expect(ids({ ...late, me: 'b' })).toEqual([1, 2, 3, 4]);
  });
});
