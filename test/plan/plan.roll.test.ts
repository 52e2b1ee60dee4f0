import { describe, it } from 'vitest';
import type { ObservedInstance } from '../../src/plan/types.js';
import { expectCase, fleet, HASH, inst, MINUTE, NOW, OLD, type PlanCase, SECOND } from './helpers.js';

type Case = PlanCase;

const old = (n: number) => fleet(n, { configHash: OLD });
const fresh = (id: string, o: Partial<ObservedInstance> = {}) =>
  inst(id, { launchedAt: NOW - 2 * MINUTE, healthSince: NOW - MINUTE, ...o });
const booting = (id: string) =>
  fresh(id, { state: 'pending', health: 'unknown', healthSince: NOW - 2 * MINUTE });

const cases: Case[] = [
  {
    desc: 'starts a rolling update by launching maxSurge new instances and terminating nothing',
    spec: { size: 3, update: { maxSurge: 1, maxUnavailable: 0 } },
    instances: old(3),
    actions: ['launch:update:1'],
    summary: 'launch 1 updated (rolling update 0/3 done)',
  },
  {
    desc: 'launches up to a larger maxSurge at once',
    spec: { size: 3, update: { maxSurge: 2, maxUnavailable: 0 } },
    instances: old(3),
    actions: ['launch:update:2'],
  },
  {
    desc: 'waits while the new instance is still in its grace period',
    spec: { size: 3, update: { maxSurge: 1, maxUnavailable: 0 }, health: { gracePeriodSeconds: 300 } },
    instances: [...old(3), booting('n-1')],
    actions: [],
    summary: 'waiting: 3/3 healthy, 1 starting, rolling update 0/3 done',
    nextCheckAt: NOW - 2 * MINUTE + 300 * SECOND,
  },
  {
    desc: 'waits until the new instance has been healthy for minHealthySeconds',
    spec: { size: 3, update: { maxSurge: 1, maxUnavailable: 0, minHealthySeconds: 120 } },
    instances: [...old(3), fresh('n-1')],
    actions: [],
    nextCheckAt: NOW - MINUTE + 120 * SECOND,
  },
  {
    desc: 'terminates the oldest outdated instance once a new one is healthy long enough, and launches the next',
    spec: { size: 3, update: { maxSurge: 1, maxUnavailable: 0, minHealthySeconds: 30 } },
    instances: [...old(3), fresh('n-1')],
    actions: ['terminate:outdated:i-1', 'launch:update:1'],
    summary: 'terminate 1 outdated; launch 1 updated (rolling update 1/3 done)',
  },
  {
    desc: 'with maxSurge 0 terminates first, within maxUnavailable, then launches in the same plan',
    spec: { size: 3, update: { maxSurge: 0, maxUnavailable: 1 } },
    instances: old(3),
    actions: ['terminate:outdated:i-1', 'launch:update:1'],
  },
  {
    desc: 'uses maxSurge and maxUnavailable together',
    spec: { size: 4, update: { maxSurge: 2, maxUnavailable: 1 } },
    instances: old(4),
    actions: ['terminate:outdated:i-1', 'launch:update:3'],
  },
  {
    desc: 'counts an unhealthy instance as unavailable: no healthy outdated one goes while it is down',
    spec: { size: 3, update: { maxSurge: 1, maxUnavailable: 1 } },
    instances: [
      ...old(2),
      inst('i-3', { configHash: OLD, health: 'unhealthy', healthSince: NOW - 30 * SECOND }),
    ],
    actions: ['terminate:outdated:i-3', 'launch:update:2'],
  },
  {
    desc: 'combined with a scale-up, launches to size plus maxSurge and terminates nothing',
    spec: { size: 5, update: { maxSurge: 1, maxUnavailable: 0 } },
    instances: old(3),
    actions: ['launch:update:1', 'launch:scale-up:2'],
    summary: 'launch 1 updated (rolling update 0/5 done); launch 2 (scale-up 3→5)',
  },
  {
    desc: 'combined with a scale-down, stays within size plus maxSurge and keeps size available',
    spec: { size: 3, update: { maxSurge: 1, maxUnavailable: 0 } },
    instances: old(5),
    actions: ['terminate:outdated:i-1,i-2', 'launch:update:1'],
  },
  {
    desc: 'replaces a pending launch of the previous config like an outdated instance',
    spec: { size: 3, update: { maxSurge: 1, maxUnavailable: 0 } },
    instances: fleet(2),
    opts: { launches: [{ token: 't-old', count: 1, configHash: OLD }] },
    actions: ['launch:update:1'],
  },
  {
    desc: 'treats an instance without a config hash tag as outdated',
    spec: { size: 2, update: { maxSurge: 1, maxUnavailable: 0 } },
    instances: [inst('i-1', { configHash: '' }), inst('i-2')],
    actions: ['launch:update:1'],
  },
  {
    desc: 'finishes by terminating the last outdated instance once its replacement is available',
    spec: { size: 2, update: { maxSurge: 1, maxUnavailable: 0 } },
    instances: [inst('i-1', { configHash: OLD }), fresh('n-1'), fresh('n-2')],
    actions: ['terminate:outdated:i-1'],
    summary: 'terminate 1 outdated (rolling update 2/2 done)',
  },
];

describe('plan: rolling update', () => {
  it.each(cases)('$desc', (c) => {
    expectCase(c, { configHash: HASH });
  });
});
