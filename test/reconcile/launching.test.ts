import { describe, expect, it } from 'vitest';
import type { LifecycleNotice } from '../../src/reconcile/drain.js';
import type { GroupSpecInput } from '../../src/spec/schema.js';
import { useDynalite } from '../helpers/dynalite.js';
import type { FakeProvider } from '../helpers/fake-provider.js';
import { crashOnce, fakeSpec, LEASE_TTL_MS, newWorld, settle, type World } from './harness.js';

/**
 * The `launching` lifecycle hook on the real engine and store (dynalite) with the fake provider: a
 * new instance is not in service until the hook is completed or times out, across passes and
 * crashes; `abandon` terminates and replaces it, and counts as a failed replacement of a rollout.
 */

const server = useDynalite();

async function world(): Promise<World & { provider: FakeProvider }> {
  return newWorld(server());
}

const hooked = (
  size: number,
  timeoutSeconds = 120,
  defaultResult: 'continue' | 'abandon' = 'continue',
  image = 'v1',
): GroupSpecInput => ({
  ...fakeSpec('web', { size }, { lifecycle: { launching: { timeoutSeconds, defaultResult } } }),
  instance: { provider: 'fake', properties: { image } },
});

const openLaunches = async (w: World) =>
  (await w.store.listOpenIntents('web')).filter((i) => i.kind === 'launch');

describe('launching lifecycle hook', () => {
  it('announces each new instance once and keeps it out of service until its hook is completed', async () => {
    const w = await world();
    const notices: LifecycleNotice[] = [];
    await w.put(hooked(2));
    const engine = w.engine(undefined, undefined, { announce: async (n) => void notices.push(n) });
    expect((await engine.reconcileGroup('web')).launched).toBe(2);
    const ids = w.provider
      .ofGroup('web')
      .map((i) => i.id)
      .sort();
    expect(notices.map((n) => [n.hook, n.instanceId, n.defaultResult, n.reason]).sort()).toEqual(
      ids.map((id) => ['launching', id, 'continue', 'scale-up']),
    );
    const [intent] = await openLaunches(w);
    expect(intent?.launchingUntil).toBe(w.clock.now() + 120_000);
    const events = (await w.store.listEvents('web')).items;
    expect(events.filter((e) => e.kind === 'instance-launching')).toHaveLength(2);

    // Waiting: healthy as far as the flavor can tell, yet not in service and never launched again.
    for (let i = 0; i < 3; i++) {
      w.clock.advance(10_000);
      await engine.reconcileGroup('web');
    }
    let status = await engine.status('web');
    expect(status?.converged).toBe(false);
    expect(status?.instances.map((i) => i.launching)).toEqual(
      ids.map(() => ({ until: intent?.launchingUntil })),
    );
    expect(w.provider.ofGroup('web')).toHaveLength(2);
    expect(notices).toHaveLength(2);

    await w.store.markLifecycleDone('web', ids[0] ?? '', 'continue', 'launching');
    await engine.reconcileGroup('web');
    expect(await openLaunches(w)).toHaveLength(1);
    await w.store.markLifecycleDone('web', ids[1] ?? '', 'continue', 'launching');
    await engine.reconcileGroup('web');
    expect(await openLaunches(w)).toEqual([]);
    await settle(engine, w.clock, ['web']);
    status = await engine.status('web');
    expect(status?.converged).toBe(true);
    expect(status?.instances.every((i) => i.launching === undefined)).toBe(true);
    expect(w.provider.calls.destroy).toEqual([]);
    // A launch's answer is kept apart from the terminating hook's (`<id>@launching`).
    expect(Object.keys((await w.store.getGroup('web'))?.state.lifecycleDone ?? {}).sort()).toEqual(
      ids.map((id) => `${id}@launching`),
    );
  });

  it('at the timeout applies the default result: continue puts the instance in service', async () => {
    const w = await world();
    await w.put(hooked(1, 60));
    const engine = w.engine();
    await engine.reconcileGroup('web');
    w.clock.advance(59_000);
    await engine.reconcileGroup('web');
    expect(await openLaunches(w)).toHaveLength(1);
    w.clock.advance(2_000);
    await engine.reconcileGroup('web');
    expect(await openLaunches(w)).toEqual([]);
    await settle(engine, w.clock, ['web']);
    expect((await engine.status('web'))?.converged).toBe(true);
    expect(w.provider.calls.destroy).toEqual([]);
  });

  it('abandon at the timeout terminates the new instance of a rollout, counts a failed replacement, keeps the old one and launches again', async () => {
    const w = await world();
    await w.put(fakeSpec('web', { size: 1 }));
    const engine = w.engine();
    await settle(engine, w.clock, ['web']);
    const [old] = w.provider.ofGroup('web').map((i) => i.id);
    await w.put({ ...hooked(1, 60, 'abandon', 'v2'), update: { maxSurge: 1, maxUnavailable: 0 } });
    await engine.reconcileGroup('web');
    const fresh = w.provider
      .ofGroup('web')
      .map((i) => i.id)
      .filter((id) => id !== old);
    expect(fresh).toHaveLength(1);
    // Not in service: the old instance stays, however healthy the new one looks.
    w.clock.advance(30_000);
    await engine.reconcileGroup('web');
    expect(w.provider.calls.destroy).toEqual([]);
    w.clock.advance(31_000);
    await engine.reconcileGroup('web');
    expect(w.provider.calls.destroy.map((d) => d.ids)).toEqual([fresh]);
    const status = await engine.status('web');
    expect(status?.rollout?.failedReplacements).toBe(1);
    expect(w.provider.ofGroup('web').map((i) => i.id)).toContain(old);
    const events = (await w.store.listEvents('web')).items;
    expect(events.some((e) => e.kind === 'launch-abandoned' && e.message.includes(fresh[0] ?? '?'))).toBe(
      true,
    );
    // The planner launches a successor, which waits in the hook in turn.
    await engine.reconcileGroup('web');
    const next = w.provider
      .ofGroup('web')
      .map((i) => i.id)
      .filter((id) => id !== old);
    expect(next).toHaveLength(1);
    expect(next).not.toEqual(fresh);
    expect((await engine.status('web'))?.instances.find((i) => i.id === next[0])?.launching).toBeDefined();
  });

  it('survives a controller crash while waiting: another reconciler applies the answer, announced once, abandoned exactly once', async () => {
    const w = await world();
    const notices: LifecycleNotice[] = [];
    await w.put(hooked(1, 600));
    const faults = crashOnce('release-lease', 'crash while waiting');
    const crashing = w.engine('crashing', faults, { announce: async (n) => void notices.push(n) });
    await expect(crashing.reconcileGroup('web')).rejects.toThrow();
    expect(faults.fired()).toBe(true);
    const [launched] = w.provider.ofGroup('web').map((i) => i.id);
    expect((await openLaunches(w))[0]?.launchingUntil).toEqual(expect.any(Number));
    w.clock.advance(LEASE_TTL_MS + 1_000);
    const other = w.engine('other', undefined, { announce: async (n) => void notices.push(n) });
    await other.reconcileGroup('web');
    expect(notices.map((n) => n.instanceId)).toEqual([launched]);
    await w.store.markLifecycleDone('web', launched ?? '', 'abandon', 'launching');
    // Crash again right after the abandon's terminate intent: the next pass does not write it twice.
    const afterTerminateIntent = crashOnce('complete-intent', 'crash after the terminate intent');
    await expect(w.engine('third', afterTerminateIntent).reconcileGroup('web')).rejects.toThrow();
    w.clock.advance(LEASE_TTL_MS + 1_000);
    for (let i = 0; i < 3; i++) await other.reconcileGroup('web');
    // Destroyed once, by the crashed pass; the open terminate intent it left is only completed.
    expect(w.provider.calls.destroy.flatMap((d) => d.ids).filter((id) => id === launched)).toHaveLength(1);
    const live = w.provider.ofGroup('web');
    expect(live).toHaveLength(1);
    expect(live[0]?.id).not.toBe(launched);
  });
});
