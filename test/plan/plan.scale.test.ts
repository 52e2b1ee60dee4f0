import { describe, expect, it } from 'vitest';
import {
  expectCase,
  fleet,
  HASH,
  input,
  inst,
  MINUTE,
  NOW,
  OLD,
  type PlanCase,
  plan,
  SECOND,
  spec,
} from './helpers.js';

type Case = PlanCase;

// An instance unhealthy for 30 s, well past its grace period but not yet past the 120 s timeout.
const unhealthyRecently = { health: 'unhealthy' as const, healthSince: NOW - 30 * SECOND };

const cases: Case[] = [
  {
    desc: 'launches up to size from nothing',
    spec: { size: 3 },
    instances: [],
    actions: ['launch:scale-up:3'],
    summary: 'launch 3 (scale-up 0→3)',
  },
  {
    desc: 'launches only the difference when some instances exist',
    spec: { size: 5 },
    instances: fleet(3),
    actions: ['launch:scale-up:2'],
    summary: 'launch 2 (scale-up 3→5)',
  },
  {
    desc: 'counts unobserved pending launches so nothing is over-provisioned',
    spec: { size: 5 },
    instances: fleet(3),
    opts: { launches: [{ token: 't1', count: 2, configHash: HASH }] },
    actions: [],
    summary: 'waiting: 3/5 healthy, 2 starting',
  },
  {
    desc: 'launches the remainder when a pending intent covers part of the gap',
    spec: { size: 5 },
    instances: fleet(2),
    opts: { launches: [{ token: 't1', count: 1, configHash: HASH }] },
    actions: ['launch:scale-up:2'],
  },
  {
    desc: 'does not count instances with an unfinished terminate intent, and does not terminate them again',
    spec: { size: 3 },
    instances: fleet(3),
    opts: { terminations: ['i-2'] },
    actions: ['launch:scale-up:1'],
  },
  {
    desc: 'counts instances still in their grace period as filling the group',
    spec: { size: 2 },
    instances: fleet(2, {
      state: 'pending',
      health: 'unknown',
      launchedAt: NOW - MINUTE,
      healthSince: NOW - MINUTE,
    }),
    actions: [],
    summary: 'waiting: 0/2 healthy, 2 starting',
  },
  {
    desc: 'scales down the oldest first when all are healthy and current',
    spec: { size: 2 },
    instances: fleet(4),
    actions: ['terminate:scale-down:i-1,i-2'],
    summary: 'terminate 2 (scale-down 4→2)',
  },
  {
    desc: 'scales down an unhealthy instance before older healthy ones',
    spec: { size: 2 },
    instances: [...fleet(2), inst('i-9', { launchedAt: NOW - MINUTE * 30, ...unhealthyRecently })],
    actions: ['terminate:scale-down:i-9'],
  },
  {
    desc: 'scales down an outdated instance before older current ones',
    spec: { size: 2 },
    instances: [...fleet(2), inst('i-9', { launchedAt: NOW - MINUTE * 30, configHash: OLD })],
    actions: ['terminate:outdated:i-9'],
  },
  {
    desc: 'scale-down order is unhealthy, then outdated, then oldest',
    spec: { size: 2 },
    instances: [
      inst('i-a', { launchedAt: NOW - 300 * MINUTE }),
      inst('i-b', { launchedAt: NOW - 10 * MINUTE, ...unhealthyRecently }),
      inst('i-c', { launchedAt: NOW - 20 * MINUTE, configHash: OLD }),
      inst('i-d', { launchedAt: NOW - 200 * MINUTE }),
      inst('i-e', { launchedAt: NOW - 100 * MINUTE }),
    ],
    actions: ['terminate:outdated:i-c', 'terminate:scale-down:i-a,i-b'],
  },
  {
    desc: 'breaks launch-time ties by id',
    spec: { size: 1 },
    instances: [inst('i-z'), inst('i-y'), inst('i-x')],
    actions: ['terminate:scale-down:i-x,i-y'],
  },
  {
    desc: 'terminates everything at size 0',
    spec: { size: 0 },
    instances: [...fleet(2), inst('i-9', { configHash: OLD }), inst('i-8', { state: 'stopped' })],
    actions: ['terminate:failed:i-8', 'terminate:outdated:i-9', 'terminate:scale-down:i-1,i-2'],
  },
  {
    desc: 'is steady at size 0 with nothing observed',
    spec: { size: 0 },
    instances: [],
    actions: [],
    summary: 'steady: 0/0 healthy',
  },
  {
    desc: 'counts an instance reported twice only once',
    spec: { size: 3 },
    instances: [...fleet(2), inst('i-1', { launchedAt: NOW - 120 * MINUTE })],
    actions: ['launch:scale-up:1'],
  },
  {
    desc: 'is steady when exactly the declared instances are healthy',
    spec: { size: 5 },
    instances: fleet(5),
    actions: [],
    summary: 'steady: 5/5 healthy',
  },
  {
    desc: 'waits for a pending launch to show up before scaling down a healthy instance (maxUnavailable 0)',
    spec: { size: 2 },
    instances: fleet(2),
    opts: { launches: [{ token: 't1', count: 1, configHash: HASH }] },
    actions: [],
  },
  {
    desc: 'scales down a healthy instance while a launch is pending when maxUnavailable allows',
    spec: { size: 2, update: { maxUnavailable: 1 } },
    instances: fleet(2),
    opts: { launches: [{ token: 't1', count: 1, configHash: HASH }] },
    actions: ['terminate:scale-down:i-1'],
  },
];

describe('plan: scaling', () => {
  it.each(cases)('$desc', (c) => {
    const p = expectCase(c);
    expect(p.blocked).toBeUndefined();
  });

  it('reports when the grace period of a starting instance ends as the next check', () => {
    const s = spec({ size: 1, health: { gracePeriodSeconds: 300 } });
    const launchedAt = NOW - MINUTE;
    const p = plan(
      input(s, [inst('i-1', { health: 'unknown', state: 'pending', launchedAt, healthSince: launchedAt })]),
      NOW,
    );
    expect(p.nextCheckAt).toBe(launchedAt + 300 * SECOND);
  });

  it('has no next check when nothing is waiting on a timer', () => {
    expect(plan(input(spec({ size: 2 }), fleet(2)), NOW).nextCheckAt).toBeUndefined();
  });
});
