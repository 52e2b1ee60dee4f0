import { describe, expect, it } from 'vitest';
import type { ObservedInstance } from '../../src/plan/types.js';
import type { InstanceState } from '../../src/providers/types.js';
import {
  expectCase,
  fleet,
  input,
  inst,
  MINUTE,
  NOW,
  type PlanCase,
  plan,
  SECOND,
  shape,
  spec,
} from './helpers.js';

type Case = PlanCase;

/** Defaults: grace 300 s, timeout 120 s. Launched an hour ago, unhealthy for `minutes`. */
const sick = (id: string, minutes: number, o: Partial<ObservedInstance> = {}) =>
  inst(id, { health: 'unhealthy', healthSince: NOW - minutes * MINUTE, ...o });
const sickFleet = (healthy: number, unhealthy: number) => [
  ...fleet(healthy),
  ...Array.from({ length: unhealthy }, (_, i) => sick(`i-u${i + 1}`, 10)),
];

const cases: Case[] = [
  {
    desc: 'replaces an instance unhealthy past its timeout, launching the replacement first',
    spec: { size: 3 },
    instances: [...fleet(2), sick('i-3', 10)],
    actions: ['launch:replace:1', 'terminate:unhealthy:i-3'],
    summary: 'launch 1 (replace); terminate 1 unhealthy',
  },
  {
    desc: 'leaves an instance unhealthy for less than its timeout, and checks again when it ends',
    spec: { size: 3 },
    instances: [...fleet(2), sick('i-3', 1)],
    actions: [],
    nextCheckAt: NOW - MINUTE + 120 * SECOND,
  },
  {
    desc: 'leaves an unhealthy instance alone during its grace period',
    spec: { size: 1 },
    instances: [sick('i-1', 1, { launchedAt: NOW - MINUTE })],
    actions: [],
    nextCheckAt: NOW - MINUTE + 300 * SECOND,
  },
  {
    desc: 'starts the unhealthy timeout at the end of the grace period',
    spec: { size: 1 },
    instances: [sick('i-1', 6, { launchedAt: NOW - 6 * MINUTE })],
    actions: [],
    nextCheckAt: NOW - 6 * MINUTE + 300 * SECOND + 120 * SECOND,
  },
  {
    desc: 'treats an instance still unknown after grace and timeout as unhealthy',
    spec: { size: 2 },
    instances: [
      fleet(1)[0] as ObservedInstance,
      inst('i-2', { health: 'unknown', state: 'pending', healthSince: NOW - 59 * MINUTE }),
    ],
    actions: ['launch:replace:1', 'terminate:unhealthy:i-2'],
  },
  {
    desc: 'with maxSurge 0 terminates the unhealthy instance first, then launches',
    spec: { size: 3, update: { maxSurge: 0, maxUnavailable: 1 } },
    instances: [...fleet(2), sick('i-3', 10)],
    actions: ['terminate:unhealthy:i-3', 'launch:replace:1'],
  },
  {
    desc: 'terminates an unhealthy new instance first when a rolling update holds the surge room',
    spec: { size: 3, update: { maxSurge: 1, maxUnavailable: 0 } },
    instances: [...fleet(3, { configHash: 'old' }), sick('n-1', 10, { launchedAt: NOW - 20 * MINUTE })],
    actions: ['terminate:unhealthy:n-1', 'launch:replace:1'],
  },
  {
    desc: 'stops remediation above maxUnhealthyPercent and states the numbers',
    spec: { size: 10, health: { maxUnhealthyPercent: 30 } },
    instances: sickFleet(6, 4),
    actions: [],
    blocked: '4 of 10 instances unhealthy (40%) exceeds maxUnhealthyPercent 30: remediation stopped',
    summary: 'blocked: 4 of 10 instances unhealthy (40%) exceeds maxUnhealthyPercent 30: remediation stopped',
  },
  {
    desc: 'still scales up to size while remediation is stopped',
    spec: { size: 12, health: { maxUnhealthyPercent: 30 } },
    instances: sickFleet(6, 4),
    actions: ['launch:scale-up:2'],
    blocked: '4 of 10 instances unhealthy (40%) exceeds maxUnhealthyPercent 30: remediation stopped',
    summary:
      'launch 2 (scale-up 10→12); blocked: 4 of 10 instances unhealthy (40%) exceeds maxUnhealthyPercent 30: remediation stopped',
  },
  {
    desc: 'remediates when the unhealthy share equals maxUnhealthyPercent: launch-first within maxSurge, the rest terminate-first',
    spec: { size: 10, health: { maxUnhealthyPercent: 30 } },
    instances: sickFleet(7, 3),
    actions: ['terminate:unhealthy:i-u1,i-u2', 'launch:replace:3', 'terminate:unhealthy:i-u3'],
  },
  {
    desc: 'lets a single-instance group repair its only instance (one unhealthy instance may always be repaired)',
    spec: { size: 1 },
    instances: [sick('i-1', 10)],
    actions: ['launch:replace:1', 'terminate:unhealthy:i-1'],
  },
  {
    desc: 'compares the unhealthy share literally: 2 of 4 (50%) exceeds 40',
    spec: { size: 4, health: { maxUnhealthyPercent: 40 } },
    instances: sickFleet(2, 2),
    actions: [],
    blocked: '2 of 4 instances unhealthy (50%) exceeds maxUnhealthyPercent 40: remediation stopped',
  },
  {
    desc: 'repairs one unhealthy instance of two although that share (50%) exceeds 40',
    spec: { size: 2, health: { maxUnhealthyPercent: 40 } },
    instances: sickFleet(1, 1),
    actions: ['launch:replace:1', 'terminate:unhealthy:i-u1'],
  },
  {
    desc: 'never remediates with maxUnhealthyPercent 0',
    spec: { size: 5, health: { maxUnhealthyPercent: 0 } },
    instances: sickFleet(4, 1),
    actions: [],
    blocked: '1 of 5 instances unhealthy (20%) exceeds maxUnhealthyPercent 0: remediation stopped',
  },
  {
    desc: 'counts failed instances in the unhealthy share',
    spec: { size: 5, health: { maxUnhealthyPercent: 40 } },
    instances: [
      ...fleet(2),
      sick('i-3', 10),
      inst('i-4', { state: 'stopped' }),
      inst('i-5', { state: 'stopped' }),
    ],
    actions: [],
    blocked: '3 of 5 instances unhealthy (60%) exceeds maxUnhealthyPercent 40: remediation stopped',
  },
  {
    desc: 'launches a replacement first for a retiring instance and keeps it meanwhile',
    spec: { size: 3 },
    instances: fleet(3),
    opts: { retiring: new Map([['i-2', NOW + 2 * MINUTE]]) },
    actions: ['launch:replace:1'],
    nextCheckAt: NOW + 2 * MINUTE,
  },
  {
    desc: 'terminates a retiring instance once its replacement is healthy',
    spec: { size: 3 },
    instances: [...fleet(3), inst('n-1', { launchedAt: NOW - MINUTE, healthSince: NOW - 30 * SECOND })],
    opts: { retiring: new Map([['i-2', NOW + 2 * MINUTE]]) },
    actions: ['terminate:retiring:i-2'],
  },
  {
    desc: 'keeps a retiring instance while its replacement is still starting, even with maxUnavailable 1',
    spec: { size: 3, update: { maxUnavailable: 1 } },
    instances: [
      ...fleet(3),
      inst('n-1', {
        state: 'pending',
        health: 'unknown',
        launchedAt: NOW - MINUTE,
        healthSince: NOW - MINUTE,
      }),
    ],
    opts: { retiring: new Map([['i-2', NOW + 2 * MINUTE]]) },
    actions: [],
  },
  {
    desc: 'terminates a retiring instance at its deadline even if the replacement is not healthy yet',
    spec: { size: 3 },
    instances: [
      ...fleet(3),
      inst('n-1', {
        state: 'pending',
        health: 'unknown',
        launchedAt: NOW - MINUTE,
        healthSince: NOW - MINUTE,
      }),
    ],
    opts: { retiring: new Map([['i-2', NOW - SECOND]]) },
    actions: ['terminate:retiring:i-2'],
  },
  {
    desc: 'with maxSurge 0 keeps a retiring instance until its deadline, then replaces it',
    spec: { size: 3, update: { maxSurge: 0, maxUnavailable: 1 } },
    instances: fleet(3),
    opts: { retiring: new Map([['i-2', NOW]]) },
    actions: ['terminate:retiring:i-2', 'launch:replace:1'],
  },
  {
    desc: 'ignores a retiring entry for an instance it does not observe',
    spec: { size: 2 },
    instances: fleet(2),
    opts: { retiring: new Map([['i-gone', NOW + MINUTE]]) },
    actions: [],
  },
];

describe('plan: remediation', () => {
  it.each(cases)('$desc', (c) => {
    const p = expectCase(c);
    // A case without a blocked reason asserts that the plan is not blocked.
    expect(p.blocked?.reason).toBe(c.blocked);
  });

  it.each<InstanceState>(['stopped', 'stopping', 'shutting-down'])(
    'treats a %s instance as failed at once, even inside its grace period',
    (state) => {
      const s = spec({ size: 3 });
      const instances = [
        ...fleet(2),
        inst('i-3', { state, launchedAt: NOW - SECOND, healthSince: NOW - SECOND }),
      ];
      const p = plan(input(s, instances), NOW);
      expect(shape(p)).toEqual(['terminate:failed:i-3', 'launch:replace:1']);
    },
  );
});
