import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import type {
  CallOptions,
  DescribeSelector,
  InstanceDescription,
  ProvisionRequest,
  ProvisionResult,
} from '../../src/providers/types.js';
import { engineContext } from '../../src/reconcile/context.js';
import { LeaseKeeper } from '../../src/reconcile/lease.js';
import { CallTimeoutError, withTimeout } from '../../src/reconcile/timeout.js';
import { LeaseLostError } from '../../src/store/errors.js';
import type { GroupStore, LeaseState } from '../../src/store/types.js';
import { useDynalite } from '../helpers/dynalite.js';
import { FakeProvider, TEST_CONTROLLER_ID } from '../helpers/fake-provider.js';
import { fakeSpec, flavors, newWorld } from './harness.js';

/**
 * Cancellation in the engine: a provider call the engine stops waiting for (a timeout, a lost
 * lease, the engine's owner shutting down) is aborted through its signal, not left running.
 */

/** Settles once `signal` aborts, with its reason. */
function aborted(signal: AbortSignal | undefined): Promise<unknown> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve(signal.reason);
    else signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}

/** A fake provider that can stall a describe or a provision until the call is aborted, recording why. */
class StallingProvider extends FakeProvider {
  stallDescribe = false;
  stallProvision = false;
  /** The abort reasons of stalled calls, in order. */
  readonly abortReasons: unknown[] = [];
  /** Resolves when a stalled call has started. */
  stalled: Promise<void>;
  private started: () => void = () => {};

  constructor(now: () => number) {
    super({ now });
    this.stalled = this.nextStall();
  }

  private nextStall(): Promise<void> {
    return new Promise((resolve) => {
      this.started = resolve;
    });
  }

  private async stall(signal: AbortSignal | undefined): Promise<never> {
    this.started();
    const reason = await aborted(signal);
    this.abortReasons.push(reason);
    throw reason;
  }

  override async describe(
    selector: DescribeSelector,
    options?: CallOptions,
  ): Promise<readonly InstanceDescription[]> {
    if (this.stallDescribe) return this.stall(options?.signal);
    return super.describe(selector);
  }

  override async provision(
    properties: Record<string, unknown>,
    requests: readonly ProvisionRequest[],
    options?: CallOptions,
  ): Promise<ProvisionResult> {
    if (this.stallProvision) return this.stall(options?.signal);
    return super.provision(properties, requests);
  }
}

describe('withTimeout', () => {
  it('aborts the call’s signal when late, and rejects at once even if the call ignores it', async () => {
    let seen: AbortSignal | undefined;
    const late = withTimeout(
      (signal) => {
        seen = signal;
        return new Promise<never>(() => {});
      },
      20,
      'fake describe',
    );
    await expect(late).rejects.toThrow(new CallTimeoutError('fake describe timed out after 20 ms'));
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBeInstanceOf(CallTimeoutError);
  });

  it('aborts with a parent’s reason, never calls at all when a parent is aborted already, and unhooks from its parents', async () => {
    const parent = new AbortController();
    let seen: AbortSignal | undefined;
    const running = withTimeout(
      (signal) => {
        seen = signal;
        return aborted(signal).then((r) => Promise.reject(r));
      },
      60_000,
      'fake provision',
      [parent.signal, undefined],
    );
    const reason = new Error('lease lost');
    parent.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(seen?.reason).toBe(reason);

    let called = false;
    const never = withTimeout(
      async () => {
        called = true;
      },
      60_000,
      'x',
      [AbortSignal.abort(reason)],
    );
    await expect(never).rejects.toBe(reason);
    expect(called).toBe(false);

    // A long-lived parent (a controller's) keeps no listener per finished call.
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) await withTimeout(async () => i, 60_000, 'x', [controller.signal]);
    await expect(
      withTimeout(() => Promise.reject(new Error('no')), 60_000, 'x', [controller.signal]),
    ).rejects.toThrow('no');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('LeaseKeeper', () => {
  it('aborts the pass’s signal with the LeaseLostError when a renewal finds the lease taken, and when the pass ends', async () => {
    let t = 1_000_000;
    const lost = new LeaseLostError('web');
    const store = {
      renewLease: () => Promise.reject(lost),
    } as unknown as GroupStore;
    const ctx = engineContext({
      store,
      providers: new Map(),
      flavors,
      owner: 'o',
      controllerId: TEST_CONTROLLER_ID,
      now: () => t,
      leaseTtlMs: 60_000,
    });
    const lease: LeaseState = { owner: 'o', token: 'tok', expiresAt: t + 60_000 };
    const keeper = new LeaseKeeper(ctx, 'web', lease);
    await keeper.keep();
    expect(keeper.signal.aborted).toBe(false);
    t += 30_000;
    await expect(keeper.keep()).rejects.toBe(lost);
    expect(keeper.signal.reason).toBe(lost);

    const other = new LeaseKeeper(ctx, 'web', lease);
    other.end();
    expect(other.signal.aborted).toBe(true);
    expect((other.signal.reason as Error).name).toBe('PassOverError');
  });
});

describe('engine cancellation', () => {
  const server = useDynalite();

  it('aborts a sweep’s describe when its timeout fires', async () => {
    const w = await newWorld(server(), (clock) => new StallingProvider(clock.now));
    await w.put(fakeSpec('web', { size: 1 }));
    w.provider.stallDescribe = true;
    const report = await w.engine(undefined, undefined, { describeTimeoutMs: 50 }).sweep();
    expect(report.results.map((r) => r.outcome)).toEqual(['observe-failed']);
    expect(w.provider.abortReasons).toHaveLength(1);
    expect(w.provider.abortReasons[0]).toBeInstanceOf(CallTimeoutError);
    w.close();
  });

  it('aborts a provision in flight when the engine’s signal aborts; the pass records it and releases its lease', async () => {
    const w = await newWorld(server(), (clock) => new StallingProvider(clock.now));
    await w.put(fakeSpec('web', { size: 2 }));
    const shutdown = new AbortController();
    const engine = w.engine('stopping', undefined, { signal: shutdown.signal });
    w.provider.stallProvision = true;
    const pass = engine.reconcileGroup('web');
    await w.provider.stalled;
    const reason = new Error('the controller is stopping');
    shutdown.abort(reason);
    const result = await pass;
    expect(w.provider.abortReasons).toEqual([reason]);
    expect(result.outcome).toBe('acted');
    expect(result.launched).toBe(0);
    const events = (await w.store.listEvents('web')).items;
    expect(events.some((e) => e.kind === 'launch-failed' && e.message.includes(reason.message))).toBe(true);
    // A stopped engine takes no further group.
    const report = await engine.sweep();
    expect(report.results).toEqual([]);
    expect(report.skipped).toEqual(['web']);
    // The lease was released: another engine acts at once rather than finding the group busy.
    w.provider.stallProvision = false;
    const next = await w.engine('next').reconcileGroup('web');
    expect(next.outcome).toBe('acted');
    w.close();
  });
});
