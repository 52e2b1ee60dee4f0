import { describe, expect, it } from 'vitest';
import { configHash, validateSpec } from '../../src/spec/index.js';
import { TAG_CONFIG_HASH, TAG_CONTROLLER, TAG_GROUP, TAG_INTENT, TAG_LOGICAL_ID } from '../../src/tags.js';
import { useDynalite } from '../helpers/dynalite.js';
import { type FakeProvider, TEST_CONTROLLER_ID } from '../helpers/fake-provider.js';
import { fakeSpec, newWorld, settle, type World } from './harness.js';

const server = useDynalite();

async function world(): Promise<World & { provider: FakeProvider }> {
  return newWorld(server());
}

describe('reconcile engine: scaling and identity', () => {
  it('scales a new group up to its size, tagging every instance at launch', async () => {
    const w = await world();
    const spec = await w.put(fakeSpec('web', { size: 3 }));
    const result = await w.engine().reconcileGroup('web');
    expect(result).toMatchObject({ outcome: 'acted', launched: 3 });
    const live = w.provider.ofGroup('web');
    expect(live).toHaveLength(3);
    for (const i of live) {
      expect(i.tags[TAG_CONFIG_HASH]).toBe(configHash(validateSpec(spec)));
      expect(i.tags[TAG_INTENT]).toMatch(/^web-/);
    }
    const record = await w.store.getGroup('web');
    expect(record?.state.openIntents).toEqual([]);
    expect(record?.state.lease).toBeUndefined();
    const events = await w.store.listEvents('web');
    expect(events.items.map((e) => e.kind)).toContain('launch');
    w.close();
  });

  it('performs no store writes at all in a steady-state sweep', async () => {
    const w = await world();
    await w.put(fakeSpec('a', { size: 2 }));
    await w.put(fakeSpec('b', { logicalIds: ['x', 'y'] }));
    const engine = w.engine();
    await settle(engine, w.clock);
    const before = { ...w.store.stats };
    const report = await engine.sweep();
    expect(report.results.map((r) => r.outcome).sort()).toEqual(['steady', 'steady']);
    expect(w.store.stats.writes - before.writes).toBe(0);
    // One listGroups page and nothing else: the open-intent set says there is nothing to load.
    expect(w.store.stats.reads - before.reads).toBe(1);
    w.close();
  });

  it('an urgent pass goes straight to the lease: one describe instead of two, same result', async () => {
    // Prepare
    const w = await world();
    await w.put(fakeSpec('web', { size: 3 }));
    const engine = w.engine();
    await settle(engine, w.clock);
    const victim = w.provider.ofGroup('web')[0]?.id ?? '';
    w.provider.kill(victim);
    w.provider.resetCalls();
    // Act
    const result = await engine.reconcileGroup('web', { urgent: true });
    // Assess
    expect(result).toMatchObject({ outcome: 'acted', launched: 1 });
    expect(w.provider.ofGroup('web')).toHaveLength(3);
    expect(w.provider.calls.describe.filter((s) => s.tags?.[TAG_GROUP] === 'web')).toHaveLength(1);
    w.close();
  });

  it('scales down to the new size and terminates exactly the surplus', async () => {
    const w = await world();
    await w.put(fakeSpec('web', { size: 4 }));
    const engine = w.engine();
    await settle(engine, w.clock);
    await w.put(fakeSpec('web', { size: 1 }));
    const result = await engine.reconcileGroup('web');
    expect(result).toMatchObject({ outcome: 'acted', terminated: 3, launched: 0 });
    expect(w.provider.ofGroup('web')).toHaveLength(1);
    w.close();
  });

  it('keeps one instance per logical ID and relaunches only a killed pet', async () => {
    const w = await world();
    await w.put(fakeSpec('zk', { logicalIds: ['zk1', 'zk2', 'zk3'] }));
    const engine = w.engine();
    await settle(engine, w.clock);
    const byId = () =>
      w.provider
        .ofGroup('zk')
        .map((i) => i.tags[TAG_LOGICAL_ID])
        .sort();
    expect(byId()).toEqual(['zk1', 'zk2', 'zk3']);
    const zk2 = w.provider.ofGroup('zk').find((i) => i.tags[TAG_LOGICAL_ID] === 'zk2');
    w.provider.kill(zk2?.id ?? '');
    w.provider.resetCalls();
    await engine.reconcileGroup('zk');
    expect(w.provider.calls.provision.flat().map((r) => r.logicalId)).toEqual(['zk2']);
    expect(byId()).toEqual(['zk1', 'zk2', 'zk3']);
    w.close();
  });

  it('rolls a config change within maxSurge, ending with only new instances', async () => {
    const w = await world();
    await w.put(fakeSpec('web', { size: 3 }));
    const engine = w.engine();
    await settle(engine, w.clock);
    const next = await w.put({
      ...fakeSpec('web', { size: 3 }),
      instance: { provider: 'fake', properties: { image: 'v2' } },
    });
    const hash = configHash(validateSpec(next));
    for (let pass = 0; pass < 20; pass++) {
      const r = await engine.reconcileGroup('web');
      const live = w.provider.ofGroup('web');
      expect(live.length).toBeGreaterThanOrEqual(3);
      expect(live.length).toBeLessThanOrEqual(4);
      if (r.outcome === 'steady') break;
      w.clock.advance(1_000);
    }
    const live = w.provider.ofGroup('web');
    expect(live).toHaveLength(3);
    expect(live.every((i) => i.tags[TAG_CONFIG_HASH] === hash)).toBe(true);
    w.close();
  });

  it('adopts instances tagged for the group that the store knows nothing about', async () => {
    const w = await world();
    const spec = validateSpec(await w.put(fakeSpec('web', { size: 2 })));
    for (let i = 0; i < 2; i++)
      w.provider.inject({
        [TAG_CONTROLLER]: TEST_CONTROLLER_ID,
        [TAG_GROUP]: 'web',
        [TAG_CONFIG_HASH]: configHash(spec),
        [TAG_INTENT]: 'old-token',
      });
    const engine = w.engine();
    await settle(engine, w.clock);
    expect(w.provider.calls.provision).toHaveLength(0);
    expect(w.provider.calls.destroy).toHaveLength(0);
    expect(w.provider.ofGroup('web')).toHaveLength(2);
    w.close();
  });

  it('launches nothing while paused and reports the group blocked', async () => {
    const w = await world();
    await w.put(fakeSpec('web', { size: 3 }, { paused: true }));
    const engine = w.engine();
    const first = await engine.reconcileGroup('web');
    expect(first.outcome).toBe('blocked');
    expect(w.provider.calls.provision).toHaveLength(0);
    expect((await w.store.getGroup('web'))?.state.blocked).toBeTruthy();
    const before = w.store.stats.writes;
    expect((await engine.reconcileGroup('web')).outcome).toBe('blocked');
    expect(w.store.stats.writes).toBe(before);
    w.close();
  });

  it('terminates everything of a destroying group, then removes it', async () => {
    const w = await world();
    await w.put(fakeSpec('web', { size: 3 }, { paused: true }));
    await w.put(fakeSpec('web', { size: 3 }));
    const engine = w.engine();
    await settle(engine, w.clock);
    await w.put(fakeSpec('web', { size: 3 }, { paused: true }));
    await w.store.markDestroying('web', w.clock.now());
    const results = [];
    for (let i = 0; i < 5; i++) {
      const r = await engine.reconcileGroup('web');
      results.push(r.outcome);
      if (r.outcome === 'removed' || r.outcome === 'missing') break;
    }
    expect(results).toContain('removed');
    expect(w.provider.ofGroup('web')).toHaveLength(0);
    expect(await w.store.getGroup('web')).toBeUndefined();
    w.close();
  });
});

describe('reconcile engine: sweep, status and pretend', () => {
  it('a pass that plans without acting brings the status engine.status would answer', async () => {
    const w = await world();
    await w.put(fakeSpec('a', { size: 2 }));
    const engine = w.engine();
    await settle(engine, w.clock);
    const result = await engine.reconcileGroup('a');
    expect(result.outcome).toBe('steady');
    expect(result.status?.instances).toHaveLength(2);
    expect(result.status).toEqual(await engine.status('a'));
    w.close();
  });

  it('observes all groups of a provider with a single describe per sweep', async () => {
    const w = await world();
    for (const id of ['a', 'b', 'c', 'd']) await w.put(fakeSpec(id, { size: 1 }));
    const engine = w.engine();
    await settle(engine, w.clock);
    w.provider.resetCalls();
    await engine.sweep();
    expect(w.provider.calls.describe).toEqual([
      { tags: { [TAG_CONTROLLER]: TEST_CONTROLLER_ID }, tagKeys: [TAG_GROUP] },
    ]);
    w.close();
  });

  it('a sweep that only has state to record describes once in all and writes once per group, without the lease', async () => {
    // Prepare: four groups whose instances exist already (launched by an earlier controller run
    // with this identity): nothing to do, but every group's summary and health are new.
    const w = await world();
    for (const id of ['a', 'b', 'c', 'd']) {
      const spec = validateSpec(await w.put(fakeSpec(id, { size: 2 })));
      for (let i = 0; i < 2; i++)
        w.provider.inject({
          [TAG_CONTROLLER]: TEST_CONTROLLER_ID,
          [TAG_GROUP]: id,
          [TAG_CONFIG_HASH]: configHash(spec),
          [TAG_INTENT]: `${id}-old`,
        });
    }
    const engine = w.engine();
    const before = { ...w.store.stats };
    // Act
    const report = await engine.sweep();
    // Assess: one describe for the sweep, no group described again alone; one write per group.
    expect(report.results.map((r) => r.outcome)).toEqual(['steady', 'steady', 'steady', 'steady']);
    expect(w.provider.calls.describe).toHaveLength(1);
    expect(w.provider.calls.provision).toEqual([]);
    expect(w.store.stats.writes - before.writes).toBe(4);
    for (const id of ['a', 'b', 'c', 'd']) {
      const record = await w.store.getGroup(id);
      expect(record?.state.lastSummary).toMatch(/2\/2/);
      expect(record?.state.lease).toBeUndefined();
    }
    // The next sweep finds nothing new: no writes at all.
    const after = { ...w.store.stats };
    expect((await engine.sweep()).results.every((r) => r.outcome === 'steady')).toBe(true);
    expect(w.store.stats.writes - after.writes).toBe(0);
    w.close();
  });

  it('stops taking new groups once the deadline is near and reports them skipped', async () => {
    const w = await world();
    for (const id of ['a', 'b']) await w.put(fakeSpec(id, { size: 1 }));
    const report = await w.engine().sweep({ deadline: w.clock.now() + 1_000 });
    expect([...report.skipped].sort()).toEqual(['a', 'b']);
    expect(report.results).toHaveLength(0);
    expect(w.provider.calls.provision).toHaveLength(0);
    w.close();
  });

  it('pretend plans against the live observation without writing', async () => {
    const w = await world();
    await w.put(fakeSpec('web', { size: 1 }));
    const engine = w.engine();
    await settle(engine, w.clock);
    const writes = w.store.stats.writes;
    const planned = await engine.pretend(validateSpec(fakeSpec('web', { size: 3 })));
    expect(planned.actions).toEqual([expect.objectContaining({ kind: 'launch', count: 2 })]);
    expect(w.store.stats.writes).toBe(writes);
    expect(w.provider.calls.provision).toHaveLength(1);
    w.close();
  });

  it('status lists the observed instances and whether the group has converged', async () => {
    const w = await world();
    await w.put(fakeSpec('web', { size: 2 }));
    const engine = w.engine();
    expect((await engine.status('web'))?.converged).toBe(false);
    await settle(engine, w.clock);
    const status = await engine.status('web');
    expect(status?.converged).toBe(true);
    expect(status?.instances).toHaveLength(2);
    expect(status?.lastReconcileAt).toBeLessThanOrEqual(w.clock.now());
    expect(await engine.status('nope')).toBeUndefined();
    w.close();
  });

  it('keeps health dates on the group record only where the plan needs them (item size stays bounded)', async () => {
    const w = await world();
    await w.put(fakeSpec('web', { size: 3 }));
    await w.put(
      fakeSpec('warm', { size: 2 }, { update: { maxSurge: 1, maxUnavailable: 0, minHealthySeconds: 60 } }),
    );
    const engine = w.engine();
    await settle(engine, w.clock, ['web']);
    // Healthy instances of a group without minHealthySeconds need no date at all.
    expect((await w.store.getGroup('web'))?.state.healthSince).toEqual({});
    // An unhealthy one keeps its date, for the unhealthy timeout.
    const [sick] = w.provider.ofGroup('web');
    if (!sick) throw new Error('no instance');
    sick.health = { status: 'impaired' };
    await engine.reconcileGroup('web');
    const dates = (await w.store.getGroup('web'))?.state.healthSince ?? {};
    expect(Object.keys(dates)).toEqual([sick.id]);
    expect(dates[sick.id]?.health).toBe('unhealthy');
    // With minHealthySeconds, healthy dates are kept: they decide when an instance counts.
    await engine.reconcileGroup('warm');
    await engine.reconcileGroup('warm');
    expect(Object.keys((await w.store.getGroup('warm'))?.state.healthSince ?? {})).toHaveLength(2);
    w.close();
  });

  it('status is not converged while a launch is pending, even though no action is planned', async () => {
    const w = await world();
    await w.put(fakeSpec('web', { size: 3 }));
    const engine = w.engine();
    // The launch fails with an unknown outcome: its intent stays open and counts as pending.
    w.provider.faults.provisionError = new Error('connection reset');
    await engine.reconcileGroup('web');
    const waiting = await engine.status('web');
    expect(waiting?.instances).toHaveLength(0);
    expect(waiting?.summary).toMatch(/^waiting: 0\/3 healthy, 3 starting/);
    expect(waiting?.converged).toBe(false);
    w.close();
  });
});
