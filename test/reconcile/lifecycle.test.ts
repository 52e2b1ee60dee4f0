import { describe, expect, it } from 'vitest';
import type { LifecycleNotice } from '../../src/reconcile/drain.js';
import { useDynalite } from '../helpers/dynalite.js';
import type { FakeProvider } from '../helpers/fake-provider.js';
import { crashOnce, fakeSpec, LEASE_TTL_MS, newWorld, type World } from './harness.js';

/**
 * The `terminating` lifecycle hook on the real engine and store (dynalite) with the fake provider:
 * a termination waits for the completion call or the timeout, across passes, and survives a crash.
 */

const server = useDynalite();

async function world(): Promise<World & { provider: FakeProvider }> {
  return newWorld(server());
}

const hooked = (size: number, timeoutSeconds = 120, defaultResult: 'continue' | 'abandon' = 'continue') =>
  fakeSpec('web', { size }, { lifecycle: { terminating: { timeoutSeconds, defaultResult } } });

/** A group of 2 scaled to 1: returns the instance whose termination waits on the hook. */
async function scaleDownWaiting(
  w: World & { provider: FakeProvider },
  notices: LifecycleNotice[],
  timeout = 120,
) {
  await w.put(hooked(2, timeout));
  const engine = w.engine(undefined, undefined, { announce: async (n) => void notices.push(n) });
  await engine.reconcileGroup('web');
  await w.put(hooked(1, timeout));
  const pass = await engine.reconcileGroup('web');
  expect(pass.terminated).toBe(0);
  const [intent] = await w.store.listOpenIntents('web');
  const victim = intent?.ids?.[0] ?? '';
  expect(victim).not.toBe('');
  return { engine, victim };
}

describe('terminating lifecycle hook', () => {
  it('announces the instance, waits across passes, and terminates once the hook is completed', async () => {
    const w = await world();
    const notices: LifecycleNotice[] = [];
    const { engine, victim } = await scaleDownWaiting(w, notices);
    expect(notices).toEqual([
      {
        groupId: 'web',
        instanceId: victim,
        hook: 'terminating',
        deadline: expect.any(Number),
        defaultResult: 'continue',
        reason: 'scale-down',
      },
    ]);
    const events = (await w.store.listEvents('web')).items;
    expect(events.some((e) => e.kind === 'instance-terminating' && e.message.includes(victim))).toBe(true);
    for (let i = 0; i < 3; i++) {
      w.clock.advance(10_000);
      expect((await engine.reconcileGroup('web')).terminated).toBe(0);
    }
    expect(w.provider.calls.destroy).toEqual([]);
    // Announced once, however many passes wait.
    expect(notices).toHaveLength(1);
    await w.store.markLifecycleDone('web', victim, 'continue');
    expect((await engine.reconcileGroup('web')).terminated).toBe(1);
    expect(w.provider.calls.destroy.map((d) => d.ids)).toEqual([[victim]]);
    // The answer is consumed with the instance: nothing is left on the record.
    await engine.reconcileGroup('web');
    expect((await w.store.getGroup('web'))?.state.lifecycleDone).toEqual({});
  });

  it('goes on at the timeout with the default result when nobody completes the hook', async () => {
    const w = await world();
    const { engine, victim } = await scaleDownWaiting(w, [], 60);
    w.clock.advance(59_000);
    expect((await engine.reconcileGroup('web')).terminated).toBe(0);
    w.clock.advance(2_000);
    expect((await engine.reconcileGroup('web')).terminated).toBe(1);
    expect(w.provider.calls.destroy.map((d) => d.ids)).toEqual([[victim]]);
  });

  it('survives a controller crash while waiting: another reconciler finishes after the completion, without a second notice', async () => {
    const w = await world();
    const notices: LifecycleNotice[] = [];
    await w.put(hooked(2));
    await w.engine().reconcileGroup('web');
    await w.put(hooked(1));
    const faults = crashOnce('release-lease', 'crash while waiting');
    const crashing = w.engine('crashing', faults, { announce: async (n) => void notices.push(n) });
    await expect(crashing.reconcileGroup('web')).rejects.toThrow();
    expect(faults.fired()).toBe(true);
    const [intent] = await w.store.listOpenIntents('web');
    const victim = intent?.ids?.[0] ?? '';
    expect(intent?.drainingSince).toEqual(expect.any(Number));
    w.clock.advance(LEASE_TTL_MS + 1_000);
    const other = w.engine('other', undefined, { announce: async (n) => void notices.push(n) });
    expect((await other.reconcileGroup('web')).terminated).toBe(0);
    await w.store.markLifecycleDone('web', victim, 'abandon');
    expect((await other.reconcileGroup('web')).terminated).toBe(1);
    expect(w.provider.calls.destroy.map((d) => d.ids)).toEqual([[victim]]);
    expect(notices.map((n) => n.instanceId)).toEqual([victim]);
    expect(w.provider.ofGroup('web')).toHaveLength(1);
  });
});
