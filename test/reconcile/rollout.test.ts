import { describe, expect, it } from 'vitest';
import { InvalidConfigurationError } from '../../src/errors.js';
import { configHash, type GroupSpecInput, validateSpec } from '../../src/spec/index.js';
import { TAG_CONFIG_HASH } from '../../src/tags.js';
import { useDynalite } from '../helpers/dynalite.js';
import type { FakeProvider } from '../helpers/fake-provider.js';
import { fakeSpec, newWorld, settle, type World } from './harness.js';

const server = useDynalite();

const guard = { maxSurge: 1, maxUnavailable: 0, maxFailedReplacements: 2, progressDeadlineSeconds: 3600 };
const v1 = fakeSpec('web', { size: 3 }, { update: guard });
const v2: GroupSpecInput = { ...v1, instance: { provider: 'fake', properties: { image: 'v2-broken' } } };
const hashOf = (s: GroupSpecInput) => configHash(validateSpec(s));

/** Every instance of `hash` reports impaired from now on (moto and the fake cannot fail on their own). */
function breakConfig(w: World & { provider: FakeProvider }, hash: string): void {
  for (const i of w.provider.ofGroup('web'))
    if (i.tags[TAG_CONFIG_HASH] === hash) w.provider.setHealth(i.id, { status: 'impaired' });
}

describe('reconcile engine: a failing rollout', () => {
  it('halts after maxFailedReplacements, rolls back as a new version naming the failed one, and never loses an old instance', async () => {
    const w = await newWorld(server());
    await w.put(v1);
    const engine = w.engine();
    await settle(engine, w.clock);
    const oldIds = new Set(w.provider.ofGroup('web').map((i) => i.id));
    await w.put(v2);

    const bad = hashOf(v2);
    let passes = 0;
    for (; passes < 40; passes += 1) {
      await engine.reconcileGroup('web');
      breakConfig(w, bad);
      // Checked after every pass: all three old instances are still there.
      const live = new Set(w.provider.ofGroup('web').map((i) => i.id));
      for (const id of oldIds) expect(live.has(id)).toBe(true);
      w.clock.advance(30_000);
      const record = await w.store.getGroup('web');
      if (record && record.version === 3) break;
    }
    expect(passes).toBeLessThan(40);

    // The rollback is a new version: the old config again, naming the failed version.
    const record = await w.store.getGroup('web');
    expect(record?.version).toBe(3);
    expect(configHash(record?.spec ?? validateSpec(v1))).toBe(hashOf(v1));
    expect(record?.note).toMatch(/^automatic rollback of version 2 \(config [0-9a-f]+\): rollout of config/);
    const history = await w.store.listVersions('web');
    expect(history.items[0]?.note).toBe(record?.note);
    expect(record?.state.blocked).toContain('2 new instances in a row never became healthy');
    expect(record?.state.blocked).toContain('rolled back: version 3 restores the config of version 1');
    const kinds = (await w.store.listEvents('web')).items.map((e) => e.kind);
    expect(kinds).toContain('rollout-halted');
    expect(kinds).toContain('rollback');

    // The next passes remove what is left of the bad config and settle on the three old instances.
    await settle(engine, w.clock);
    const final = w.provider.ofGroup('web');
    expect(final.map((i) => i.id).sort()).toEqual([...oldIds].sort());
    const status = await engine.status('web');
    expect(status?.blocked).toBeUndefined();
    expect(status?.lastRollback).toContain('rolled back: version 3');
    w.close();
  });

  it('new instances that vanish before they were healthy (a process that exits) count as failed replacements', async () => {
    const w = await newWorld(server());
    await w.put({ ...v1, health: { gracePeriodSeconds: 300 } });
    const engine = w.engine();
    await settle(engine, w.clock);
    await w.put({ ...v2, health: { gracePeriodSeconds: 300 } });
    const bad = hashOf(v2);
    for (let n = 0; n < 12; n += 1) {
      await engine.reconcileGroup('web');
      if ((await w.store.getGroup('web'))?.version === 3) break;
      // Still inside their grace period, the new instances die on their own.
      for (const i of w.provider.ofGroup('web')) if (i.tags[TAG_CONFIG_HASH] === bad) w.provider.kill(i.id);
      w.clock.advance(5_000);
    }
    const record = await w.store.getGroup('web');
    expect(record?.version).toBe(3);
    expect(record?.state.blocked).toContain('2 new instances in a row never became healthy');
    w.close();
  });

  it('a config the provider rejects halts the rollout at once and rolls back', async () => {
    const w = await newWorld(server());
    await w.put(v1);
    const engine = w.engine();
    await settle(engine, w.clock);
    await w.put(v2);
    w.provider.faults.provisionError = new InvalidConfigurationError('image v2-broken does not exist');
    await engine.reconcileGroup('web');
    const record = await w.store.getGroup('web');
    expect(record?.version).toBe(3);
    expect(configHash(record?.spec ?? validateSpec(v1))).toBe(hashOf(v1));
    expect(record?.state.blocked).toContain('configuration rejected by the provider');
    w.close();
  });

  it('with autoRollback false, halts and stays halted: blocked with the reason, no new version', async () => {
    const w = await newWorld(server());
    const noRollback = { ...v1, update: { ...guard, autoRollback: false } };
    await w.put(noRollback);
    const engine = w.engine();
    await settle(engine, w.clock);
    await w.put({ ...noRollback, instance: v2.instance });
    const bad = hashOf(v2);
    for (let n = 0; n < 12; n += 1) {
      await engine.reconcileGroup('web');
      breakConfig(w, bad);
      w.clock.advance(30_000);
    }
    const record = await w.store.getGroup('web');
    expect(record?.version).toBe(2);
    expect(record?.state.blocked).toMatch(/^rollout of config [0-9a-f]+ halted/);
    // Halted: nothing more is launched, however many passes follow.
    const launched = w.provider.launchedTotal;
    for (let n = 0; n < 3; n += 1) {
      await engine.reconcileGroup('web');
      w.clock.advance(30_000);
    }
    expect(w.provider.launchedTotal).toBe(launched);
    const status = await engine.status('web', { explain: true });
    expect(status?.holds.filter((h) => h.reason === 'rollout-halted')).toHaveLength(3);
    expect(status?.explain?.length).toBeGreaterThanOrEqual(3);
    w.close();
  });

  it('update.paused stops the rollout but a killed instance is still replaced', async () => {
    const w = await newWorld(server());
    await w.put(v1);
    const engine = w.engine();
    await settle(engine, w.clock);
    await w.put({
      ...v2,
      instance: { provider: 'fake', properties: { image: 'v2' } },
      update: { ...guard, paused: true },
    });
    const victim = w.provider.ofGroup('web')[0]?.id ?? '';
    w.provider.kill(victim);
    await settle(engine, w.clock);
    const live = w.provider.ofGroup('web');
    expect(live).toHaveLength(3);
    // The replacement is on the new config (a launch is always of the current spec); the others wait.
    expect(live.filter((i) => i.tags[TAG_CONFIG_HASH] === hashOf(v1))).toHaveLength(2);
    const status = await engine.status('web');
    expect(status?.holds.map((h) => h.reason)).toEqual(['rollout-paused', 'rollout-paused']);
    w.close();
  });
});
