import { describe, expect, it } from 'vitest';
import type { ObservedInstance } from '../../src/plan/types.js';
import { expectCase, fleet, input, inst, MINUTE, NOW, OLD, type PlanCase, plan, spec } from './helpers.js';

type Case = PlanCase;

const sick = { health: 'unhealthy' as const, healthSince: NOW - 10 * MINUTE };
const guarded = (id: string, o: Partial<ObservedInstance> = {}) => inst(id, { protected: true, ...o });

describe('plan: paused', () => {
  it('takes no action at all while paused, and says so', () => {
    // Prepare: missing, unhealthy, failed and outdated instances: normally all of these act.
    const s = spec({ size: 5, paused: true });
    const instances = [
      inst('i-1'),
      inst('i-2', { configHash: OLD }),
      inst('i-3', sick),
      inst('i-4', { state: 'stopped' }),
    ];
    // Act
    const p = plan(input(s, instances, { retiring: new Map([['i-1', NOW + MINUTE]]) }), NOW);
    // Assess
    expect(p.actions).toEqual([]);
    expect(p.blocked?.reason).toBe('paused: spec.paused is true, no action is taken');
    expect(p.summary).toBe('paused: no actions (2/5 healthy)');
    expect(p.nextCheckAt).toBeUndefined();
  });

  it('pauses pets too', () => {
    const p = plan(input(spec({ logicalIds: ['a', 'b'], paused: true }), []), NOW);
    expect(p.actions).toEqual([]);
    expect(p.summary).toBe('paused: no actions (0/2 healthy)');
  });
});

const cases: Case[] = [
  {
    desc: 'never updates a protected outdated instance',
    spec: { size: 2 },
    instances: [guarded('i-1', { configHash: OLD }), inst('i-2')],
    actions: [],
    notes: ['protected instance i-1 left alone (outdated)'],
  },
  {
    desc: 'never remediates a protected unhealthy instance, which keeps its slot',
    spec: { size: 2 },
    instances: [guarded('i-1', sick), inst('i-2')],
    actions: [],
    notes: ['protected instance i-1 left alone (unhealthy)'],
  },
  {
    desc: 'never terminates a protected failed instance',
    spec: { size: 2 },
    instances: [guarded('i-1', { state: 'stopped' }), inst('i-2')],
    actions: [],
    notes: ['protected instance i-1 left alone (failed)'],
  },
  {
    desc: 'never scales down a protected instance and takes the next in order instead',
    spec: { size: 2 },
    instances: fleet(3).map((i) => (i.id === 'i-1' ? { ...i, protected: true } : i)),
    actions: ['terminate:scale-down:i-2'],
    notes: ['protected instance i-1 left alone (scale-down)'],
  },
  {
    desc: 'keeps protected instances at size 0 and names them',
    spec: { size: 0 },
    instances: [guarded('i-1'), inst('i-2')],
    actions: ['terminate:scale-down:i-2'],
    notes: ['protected instance i-1 left alone (scale-down)'],
  },
  {
    desc: 'never terminates a protected retiring instance',
    spec: { size: 2 },
    instances: [guarded('i-1'), inst('i-2')],
    opts: { retiring: new Map([['i-1', NOW - MINUTE]]) },
    actions: [],
    notes: ['protected instance i-1 left alone (retiring)'],
  },
  {
    desc: 'keeps a protected pet duplicate and a protected pet with an unknown ID',
    spec: { logicalIds: ['zk1'] },
    instances: [
      inst('i-1', { logicalId: 'zk1' }),
      guarded('i-2', { logicalId: 'zk1' }),
      guarded('i-3', { logicalId: 'zk7' }),
    ],
    actions: ['terminate:duplicate-logical-id:i-1'],
    notes: ['protected instance i-3 left alone (unknown logical ID)'],
  },
  {
    desc: 'never replaces a protected outdated pet',
    spec: { logicalIds: ['zk1', 'zk2'], update: { maxSurge: 0, maxUnavailable: 1 } },
    instances: [guarded('i-1', { logicalId: 'zk1', configHash: OLD }), inst('i-2', { logicalId: 'zk2' })],
    actions: [],
    notes: ['protected instance i-1 left alone (outdated)'],
  },
];

describe('plan: protected instances', () => {
  it.each(cases)('$desc', (c) => {
    expect(c.notes).toBeDefined();
    expectCase(c);
  });
});
