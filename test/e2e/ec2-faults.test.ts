import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LAUNCH_SETTLE_MS } from '../../src/reconcile/context.js';
import { PassAbandonedError } from '../../src/reconcile/index.js';
import type { Engine } from '../../src/reconcile/types.js';
import { TAG_INTENT } from '../../src/tags.js';
import { motoAvailable } from '../helpers/moto.js';
import { awsError } from '../providers/ec2-fixtures.js';
import { converge, type Ec2World, ec2Spec, LEASE_TTL_MS, tagOf } from './ec2-world.js';
import { useMotoEc2 } from './moto-ec2.js';

/**
 * Faults at the SDK boundary, seen through the whole engine on moto: EC2 throttling, missing
 * capacity, a reconciler dying around RunInstances, a DescribeInstances page failing. Whatever
 * happens, no healthy instance is terminated, nothing is launched twice, and the group converges
 * to exactly its size once the faults clear. Provider-level reactions to the same faults are in
 * test/providers/ec2.faults.test.ts.
 */

const fx = useMotoEc2();
const world = (): Promise<Ec2World> => fx.world();

const ids = (instances: { InstanceId?: string }[]) => instances.map((i) => i.InstanceId ?? '').sort();
const sentCount = (w: Ec2World, command: string) => w.sent.filter((r) => r.command === command).length;

/** A small deterministic generator, so a failing storm can be replayed. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** Converges `id` and returns its instance ids. */
async function ready(w: Ec2World, engine: Engine, id: string, size: number): Promise<string[]> {
  await w.put(ec2Spec(id, size, fx.net));
  await converge(engine, [id]);
  const live = ids(await w.live(id));
  expect(live).toHaveLength(size);
  return live;
}

describe.runIf(motoAvailable())('engine + EC2 provider on moto, with faults at the SDK boundary', () => {
  it('rides out a throttling storm without flooding or terminating, then heals to exactly 5', async () => {
    // Prepare: a healthy group that lost 2 instances, so the storm hits launches too.
    const w = await world();
    const engine = w.engine();
    const before = await ready(w, engine, 'storm', 5);
    await fx.raw.send(new TerminateInstancesCommand({ InstanceIds: before.slice(0, 2) }));
    const random = seeded(7);
    let throttled = 0;
    w.fault = () => {
      if (random() >= 0.6) return;
      throttled += 1;
      throw awsError('RequestLimitExceeded', 'Request limit exceeded.');
    };
    // Act: passes under the storm, looking after each.
    const seen: number[] = [];
    for (let pass = 0; pass < 6; pass++) {
      await engine.sweep({ ids: ['storm'] });
      seen.push((await w.live('storm')).length);
    }
    w.fault = undefined;
    await converge(engine, ['storm']);
    // Assess
    expect(throttled).toBeGreaterThan(10);
    expect(seen.every((n) => n >= 3 && n <= 5)).toBe(true);
    expect(ids(await w.live('storm'))).toHaveLength(5);
    expect(w.terminated()).toEqual([]);
    const events = await w.store.listEvents('storm', { limit: 100 });
    expect(events.items.some((e) => e.kind === 'observe-failed' || e.kind === 'throttled')).toBe(true);
  });

  it('falls back to the next instance type on capacity errors and waits while none has capacity', async () => {
    // Prepare
    const w = await world();
    const engine = w.engine();
    await w.put(ec2Spec('capacity', 5, fx.net, { instanceType: 'c5.large', instanceTypes: ['m5.large'] }));
    w.fault = (command) => {
      if (command === 'RunInstancesCommand') throw awsError('InsufficientInstanceCapacity');
    };
    // Act: no capacity anywhere for two passes.
    for (let pass = 0; pass < 2; pass++) await engine.sweep({ ids: ['capacity'] });
    // Assess: nothing launched, the group is waiting, not blocked.
    expect(await w.live('capacity')).toEqual([]);
    expect((await w.store.getGroup('capacity'))?.state.blocked).toBeUndefined();
    const events = await w.store.listEvents('capacity', { limit: 100 });
    expect(events.items.some((e) => e.kind === 'capacity')).toBe(true);
    // Act: the first type stays short, the fallback has capacity again.
    w.fault = (command, input) => {
      if (command === 'RunInstancesCommand' && input.InstanceType === 'c5.large')
        throw awsError('InsufficientInstanceCapacity');
    };
    await converge(engine, ['capacity']);
    // Assess
    const live = await w.live('capacity');
    expect(live.map((i) => i.InstanceType)).toEqual(Array(5).fill('m5.large'));
    expect(w.terminated()).toEqual([]);
  });

  it('completes a launch intent recorded by a reconciler that died before RunInstances', async () => {
    // Prepare: the first reconciler dies right after writing its intent.
    const w = await world();
    await w.put(ec2Spec('crash-before', 5, fx.net));
    const dying = w.engine({
      before(step) {
        if (step === 'provision') throw new Error('killed');
      },
    });
    // Act
    await expect(dying.reconcileGroup('crash-before')).rejects.toBeInstanceOf(PassAbandonedError);
    // Assess: intent recorded, nothing launched.
    const [intent] = await w.store.listOpenIntents('crash-before');
    expect(intent).toMatchObject({ kind: 'launch', count: 5 });
    expect(sentCount(w, 'RunInstancesCommand')).toBe(0);
    expect(await w.live('crash-before')).toEqual([]);
    // Act: another reconciler waits out the dead one's lease, then finishes the work.
    const survivor = w.engine();
    expect((await survivor.reconcileGroup('crash-before')).outcome).toBe('busy');
    w.advance(LEASE_TTL_MS + 1_000);
    // The launch may still be on the way (a stalled holder): it is left alone until it settles.
    expect((await survivor.reconcileGroup('crash-before')).launched).toBe(0);
    w.advance(DEFAULT_LAUNCH_SETTLE_MS);
    await converge(survivor, ['crash-before']);
    // Assess: exactly 5, launched under the recorded intent's token, which is now closed.
    const live = await w.live('crash-before');
    expect(live).toHaveLength(5);
    expect(new Set(live.map((i) => tagOf(i.Tags, TAG_INTENT)))).toEqual(new Set([intent?.token]));
    expect(await w.store.listOpenIntents('crash-before')).toEqual([]);
    expect(w.terminated()).toEqual([]);
  });

  it('never relaunches what a reconciler launched before dying, although moto ignores ClientToken', async () => {
    // Prepare: RunInstances succeeds, then the reconciler dies before recording what it launched.
    const w = await world();
    await w.put(ec2Spec('crash-after', 5, fx.net));
    const dying = w.engine({
      before(step) {
        if (step === 'record-launched') throw new Error('killed');
      },
    });
    await expect(dying.reconcileGroup('crash-after')).rejects.toBeInstanceOf(PassAbandonedError);
    const launched = ids(await w.live('crash-after'));
    expect(launched).toHaveLength(5);
    const runsBefore = sentCount(w, 'RunInstancesCommand');
    // Act
    w.advance(LEASE_TTL_MS + 1_000);
    await converge(w.engine(), ['crash-after']);
    // Assess: the same 5, found by their intent tag; not one more RunInstances.
    expect(ids(await w.live('crash-after'))).toEqual(launched);
    expect(sentCount(w, 'RunInstancesCommand')).toBe(runsBefore);
    expect(await w.store.listOpenIntents('crash-after')).toEqual([]);
    expect(w.terminated()).toEqual([]);
  });

  it('keeps a launch intent open while RunInstances fails, and resumes it with the same token', async () => {
    // Prepare
    const w = await world();
    const engine = w.engine();
    await w.put(ec2Spec('run-fails', 5, fx.net));
    w.fault = (command) => {
      if (command === 'RunInstancesCommand')
        throw awsError('InternalError', 'An internal error has occurred');
    };
    // Act
    const failing = await engine.reconcileGroup('run-fails');
    // Assess: intent recorded, nothing launched.
    expect(failing.launched).toBe(0);
    const [intent] = await w.store.listOpenIntents('run-fails');
    expect(intent).toMatchObject({ kind: 'launch', count: 5 });
    expect(await w.live('run-fails')).toEqual([]);
    // Act: the fault clears. An InternalError leaves the outcome unknown, so the remainder waits
    // out the settle time before it is launched again.
    w.fault = undefined;
    expect((await engine.reconcileGroup('run-fails')).launched).toBe(0);
    w.advance(DEFAULT_LAUNCH_SETTLE_MS);
    await converge(engine, ['run-fails']);
    // Assess
    const live = await w.live('run-fails');
    expect(live).toHaveLength(5);
    expect(new Set(live.map((i) => tagOf(i.Tags, TAG_INTENT)))).toEqual(new Set([intent?.token]));
    expect(w.terminated()).toEqual([]);
  });

  it('plans nothing when a DescribeInstances page fails mid-pagination, then heals once it reads whole', async () => {
    // Prepare: 5 instances over 3 subnets (3 reservations), 2 of them lost out of band.
    const w = await world();
    const engine = w.engine();
    const before = await ready(w, engine, 'pages', 5);
    await fx.raw.send(new TerminateInstancesCommand({ InstanceIds: before.slice(0, 2) }));
    const runs = sentCount(w, 'RunInstancesCommand');
    // One reservation per page, so the listing takes several; every page after the first fails.
    w.fault = (command, input) => {
      if (command !== 'DescribeInstancesCommand') return;
      input.MaxResults = 1;
      if (input.NextToken) throw awsError('InternalError', 'An internal error has occurred');
    };
    let pagesFailed = 0;
    const outcomes: string[] = [];
    // Act: whole sweeps and single-group passes.
    for (let pass = 0; pass < 2; pass++) {
      const report = await engine.sweep({ ids: ['pages'] });
      outcomes.push(...report.results.map((r) => r.outcome));
      outcomes.push((await engine.reconcileGroup('pages')).outcome);
    }
    pagesFailed = w.sent.filter((r) => r.command === 'DescribeInstancesCommand' && r.input.NextToken).length;
    // Assess: the failure really was mid-pagination, and nothing was planned from a partial read.
    expect(pagesFailed).toBeGreaterThan(0);
    expect(outcomes).toEqual(Array(4).fill('observe-failed'));
    expect(sentCount(w, 'RunInstancesCommand')).toBe(runs);
    expect(ids(await w.live('pages'))).toEqual(before.slice(2));
    // Act: reads are whole again.
    w.fault = undefined;
    await converge(engine, ['pages']);
    // Assess
    expect(await w.live('pages')).toHaveLength(5);
    expect(w.terminated()).toEqual([]);
  });
});
