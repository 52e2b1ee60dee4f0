import { describe, expect, it } from 'vitest';
import type { ObservedInstance } from '../../src/plan/types.js';
import {
  expectCase,
  HASH,
  input,
  inst,
  MINUTE,
  NOW,
  OLD,
  type PlanCase,
  plan,
  shape,
  spec,
} from './helpers.js';

type Case = PlanCase;

const ZK = ['zk1', 'zk2', 'zk3'];
const pet = (id: string, logicalId: string, o: Partial<ObservedInstance> = {}) =>
  inst(id, { logicalId, ...o });
const pets = (o: Partial<ObservedInstance> = {}) => ZK.map((z, i) => pet(`i-${i + 1}`, z, o));
const sick = { health: 'unhealthy' as const, healthSince: NOW - 10 * MINUTE };

const cases: Case[] = [
  {
    desc: 'launches every missing logical ID with its ID',
    spec: { logicalIds: ZK },
    instances: [],
    actions: ['launch:missing-logical-id:3:zk1,zk2,zk3'],
    summary: 'launch 3 (missing zk1, zk2, zk3)',
  },
  {
    desc: 'launches only the IDs nobody holds',
    spec: { logicalIds: ZK },
    instances: [pet('i-2', 'zk2')],
    actions: ['launch:missing-logical-id:2:zk1,zk3'],
  },
  {
    desc: 'does not launch an ID that a pending launch already carries',
    spec: { logicalIds: ZK },
    instances: [pet('i-2', 'zk2')],
    opts: { launches: [{ token: 't1', count: 1, logicalIds: ['zk1'], configHash: HASH }] },
    actions: ['launch:missing-logical-id:1:zk3'],
  },
  {
    desc: 'waits until the old instance of an ID is gone before launching that ID again',
    spec: { logicalIds: ZK },
    instances: [...pets().slice(0, 2), pet('i-3', 'zk3', { state: 'shutting-down' })],
    opts: { terminations: ['i-3'] },
    actions: [],
  },
  {
    desc: 'keeps the older of two healthy instances holding one ID and terminates the other',
    spec: { logicalIds: ZK },
    instances: [...pets(), pet('i-9', 'zk2', { launchedAt: NOW - 5 * MINUTE })],
    actions: ['terminate:duplicate-logical-id:i-9'],
  },
  {
    desc: 'keeps the healthy duplicate over an older unhealthy one',
    spec: { logicalIds: ['zk1'] },
    instances: [pet('i-1', 'zk1', sick), pet('i-9', 'zk1', { launchedAt: NOW - 5 * MINUTE })],
    actions: ['terminate:duplicate-logical-id:i-1'],
  },
  {
    desc: 'keeps the duplicate on the current config over an older outdated one',
    spec: { logicalIds: ['zk1'] },
    instances: [pet('i-1', 'zk1', { configHash: OLD }), pet('i-9', 'zk1', { launchedAt: NOW - 5 * MINUTE })],
    actions: ['terminate:duplicate-logical-id:i-1'],
  },
  {
    desc: 'terminates an instance whose logical ID is not declared, and one without any',
    spec: { logicalIds: ZK },
    instances: [...pets(), pet('i-8', 'zk9'), inst('i-9')],
    actions: ['terminate:unknown-logical-id:i-8,i-9'],
    summary: 'terminate 2 unknown logical ID',
  },
  {
    desc: 'replaces an outdated pet in place: terminate first, within maxUnavailable, no launch yet',
    spec: { logicalIds: ZK, update: { maxSurge: 0, maxUnavailable: 1 } },
    instances: pets({ configHash: OLD }),
    actions: ['terminate:outdated:i-1'],
    summary: 'terminate 1 outdated (rolling update 0/3 done)',
  },
  {
    desc: 'replaces up to maxUnavailable pets at once, in declared order',
    spec: { logicalIds: ['b', 'a', 'c'], update: { maxSurge: 0, maxUnavailable: 2 } },
    instances: [
      pet('i-1', 'a', { configHash: OLD }),
      pet('i-2', 'b', { configHash: OLD }),
      pet('i-3', 'c', { configHash: OLD }),
    ],
    actions: ['terminate:outdated:i-1,i-2'],
  },
  {
    desc: 'with maxUnavailable 0 still replaces one pet at a time, since pets cannot surge, and says so',
    spec: { logicalIds: ZK, update: { maxSurge: 1, maxUnavailable: 0 } },
    instances: pets({ configHash: OLD }),
    actions: ['terminate:outdated:i-1'],
    notes: [
      'pets cannot surge (one instance per logical ID): replacing 1 at a time although maxUnavailable is 0',
    ],
  },
  {
    desc: 'relaunches the replaced ID and touches no other pet until it is available',
    spec: { logicalIds: ZK, update: { maxSurge: 0, maxUnavailable: 1 } },
    instances: pets({ configHash: OLD }).slice(1),
    actions: ['launch:missing-logical-id:1:zk1'],
  },
  {
    desc: 'terminates failed and unhealthy pets without waiting for the budget',
    spec: {
      logicalIds: ZK,
      update: { maxSurge: 0, maxUnavailable: 1 },
      health: { maxUnhealthyPercent: 100 },
    },
    instances: [pet('i-1', 'zk1', { state: 'stopped' }), pet('i-2', 'zk2', sick), pet('i-3', 'zk3')],
    actions: ['terminate:failed:i-1', 'terminate:unhealthy:i-2'],
  },
  {
    desc: 'terminates the pet of an ID removed from the list',
    spec: { logicalIds: ['zk1', 'zk2'] },
    instances: pets(),
    actions: ['terminate:unknown-logical-id:i-3'],
  },
  {
    desc: 'replaces a retiring pet early within maxUnavailable',
    spec: { logicalIds: ZK, update: { maxSurge: 0, maxUnavailable: 1 } },
    instances: pets(),
    opts: { retiring: new Map([['i-2', NOW + 10 * MINUTE]]) },
    actions: ['terminate:retiring:i-2'],
  },
  {
    desc: 'is steady with one healthy instance per ID',
    spec: { logicalIds: ZK },
    instances: pets(),
    actions: [],
    summary: 'steady: 3/3 healthy',
  },
];

describe('plan: pets', () => {
  it.each(cases)('$desc', (c) => {
    expectCase(c);
  });

  it('stops remediating pets above maxUnhealthyPercent but still launches missing IDs', () => {
    const s = spec({ logicalIds: ZK, health: { maxUnhealthyPercent: 40 } });
    const p = plan(input(s, [pet('i-1', 'zk1', sick), pet('i-2', 'zk2', { state: 'stopped' })]), NOW);
    expect(shape(p)).toEqual(['launch:missing-logical-id:1:zk3']);
    expect(p.blocked?.reason).toBe(
      '2 of 2 instances unhealthy (100%) exceeds maxUnhealthyPercent 40: remediation stopped',
    );
  });
});
