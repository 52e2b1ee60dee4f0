import { DeleteTargetGroupCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import type { FaultHook } from '../../src/reconcile/types.js';
import { motoAvailable } from '../helpers/moto.js';
import { converge, type Ec2World, ec2Spec, LEASE_TTL_MS } from './ec2-world.js';
import { playedTargets, registered, targetGroup } from './elb-fixtures.js';
import { useMotoEc2 } from './moto-ec2.js';

/**
 * Deregister → wait → terminate on moto's EC2 and ELBv2, with the real engine and store. moto's
 * DeregisterTargets removes a target at once (no `draining` state), so the tests that prove the
 * wait play AWS's `draining` over moto's answers (`playedTargets`) and drive time with the
 * controller's own clock.
 */

const fx = useMotoEc2();
const world = fx.world;

/** The ELBv2 and EC2 mutations that named `id`, in order. */
function callsNaming(w: Ec2World, id: string, from = 0): string[] {
  return w.sent
    .slice(from)
    .filter((r) => {
      const targets = (r.input.Targets as { Id?: string }[] | undefined) ?? [];
      const instances = (r.input.InstanceIds as string[] | undefined) ?? [];
      return targets.some((t) => t.Id === id) || instances.includes(id);
    })
    .map((r) => r.command.replace(/Command$/, ''))
    .filter((c) => c !== 'DescribeInstances' && c !== 'DescribeInstanceStatus');
}

async function startGroup(w: Ec2World, id: string, arn: string, extra = {}): Promise<string[]> {
  await w.put(ec2Spec(id, 2, fx.net, {}, { loadBalancers: { targetGroupArns: [arn] }, ...extra }));
  await converge(w.engine(), [id]);
  const members = (await w.live(id)).map((i) => i.InstanceId ?? '').sort();
  expect(members).toHaveLength(2);
  // Registered by the passes that launched them.
  expect(await registered(w, arn)).toEqual(members);
  return members;
}

async function shrinkTo(w: Ec2World, id: string, arn: string, size: number, extra = {}) {
  await w.put(ec2Spec(id, size, fx.net, {}, { loadBalancers: { targetGroupArns: [arn] }, ...extra }));
}

describe.runIf(motoAvailable())('drain before terminate, on moto', () => {
  it('scale-down deregisters first and terminates on a later pass, call by call', async () => {
    const w = await world();
    const arn = await targetGroup(w, fx.net, 'drain-order', 300);
    const members = await startGroup(w, 'drain-order', arn);
    await shrinkTo(w, 'drain-order', arn, 1);
    const engine = w.engine();
    const mark = w.sent.length;

    const first = await engine.reconcileGroup('drain-order');
    expect(first.outcome).toBe('acted');
    expect(first.terminated).toBe(0);
    expect(w.terminated()).toEqual([]);
    const deregistered = w.sent.filter((r) => r.command === 'DeregisterTargetsCommand');
    expect(deregistered).toHaveLength(1);
    const gone = ((deregistered[0]?.input.Targets as { Id: string }[]) ?? []).map((t) => t.Id);
    expect(gone).toHaveLength(1);
    const victim = gone[0] ?? '';
    expect(await registered(w, arn)).toEqual(members.filter((m) => m !== victim));
    expect((await w.live('drain-order')).map((i) => i.InstanceId).sort()).toEqual(members);
    expect((await w.store.getGroup('drain-order'))?.state.openIntents).toHaveLength(1);

    const second = await engine.reconcileGroup('drain-order');
    expect(second.terminated).toBe(1);
    expect(callsNaming(w, victim, mark)).toEqual(['DeregisterTargets', 'TerminateInstances']);
    // The order across both APIs. Pass 1: target health read by the lock-free check and again
    // under the lease, the deregistration delay, the deregistration. Pass 2 (an open intent goes
    // straight under the lease): target health, then the terminate.
    const timeline = w.sent
      .slice(mark)
      .map((r) => r.command.replace(/Command$/, ''))
      .filter((c) => c !== 'DescribeInstances' && c !== 'DescribeInstanceStatus');
    expect(timeline).toEqual([
      'DescribeTargetHealth',
      'DescribeTargetHealth',
      'DescribeTargetGroupAttributes',
      'DeregisterTargets',
      'DescribeTargetHealth',
      'TerminateInstances',
    ]);
    expect(w.terminated()).toEqual([victim]);
    expect((await w.live('drain-order')).map((i) => i.InstanceId)).toEqual(
      members.filter((m) => m !== victim),
    );
    expect((await w.store.getGroup('drain-order'))?.state.openIntents).toEqual([]);
    expect(await converge(engine, ['drain-order'])).toBe(1);
  }, 120_000);

  it('a target group deleted during a drain blocks nothing: the termination goes on, with the reason in the events', async () => {
    const draining = new Set<string>();
    const w = await world({ targets: (real) => playedTargets(real, { draining }) });
    const arn = await targetGroup(w, fx.net, 'drain-deleted', 300);
    await startGroup(w, 'drain-deleted', arn);
    await shrinkTo(w, 'drain-deleted', arn, 1);
    const engine = w.engine();
    await engine.reconcileGroup('drain-deleted');
    expect(draining.size).toBe(1);
    w.advance(10_000);
    expect((await engine.reconcileGroup('drain-deleted')).terminated).toBe(0);
    await w.rawElb.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }));
    // Well before the 300 s delay: nothing is left to wait for in a target group that is gone.
    w.advance(10_000);
    expect((await engine.reconcileGroup('drain-deleted')).terminated).toBe(1);
    expect(w.terminated()).toEqual([...draining]);
    const events = (await w.store.listEvents('drain-deleted')).items;
    const missing = events.find((e) => e.kind === 'target-group-missing');
    expect(missing?.message).toContain(arn);
    // The group goes on: steady at its size, not blocked, its status readable.
    await converge(engine, ['drain-deleted']);
    expect(await w.live('drain-deleted')).toHaveLength(1);
    expect((await w.store.getGroup('drain-deleted'))?.state.blocked).toBeUndefined();
    expect((await engine.status('drain-deleted'))?.converged).toBe(true);
  }, 120_000);

  it('waits while the target drains, across passes, until the deregistration delay has passed', async () => {
    const draining = new Set<string>();
    const w = await world({ targets: (real) => playedTargets(real, { draining }) });
    const arn = await targetGroup(w, fx.net, 'drain-wait', 60);
    await startGroup(w, 'drain-wait', arn);
    await shrinkTo(w, 'drain-wait', arn, 1);
    const engine = w.engine();
    await engine.reconcileGroup('drain-wait');
    expect(draining.size).toBe(1);
    for (const step of [10_000, 20_000, 20_000]) {
      w.advance(step);
      const pass = await engine.reconcileGroup('drain-wait');
      expect(pass.terminated).toBe(0);
    }
    expect(w.terminated()).toEqual([]);
    w.advance(11_000); // 61 s after the drain started: the delay has passed
    expect((await engine.reconcileGroup('drain-wait')).terminated).toBe(1);
    expect(w.terminated()).toEqual([...draining]);
    // Re-deregistering a draining target is never needed: one DeregisterTargets in all.
    expect(w.sent.filter((r) => r.command === 'DeregisterTargetsCommand')).toHaveLength(1);
  }, 120_000);

  it('drainTimeoutSeconds caps a long deregistration delay; a target gone early ends the wait at once', async () => {
    const draining = new Set<string>();
    const w = await world({ targets: (real) => playedTargets(real, { draining }) });
    const arn = await targetGroup(w, fx.net, 'drain-cap', 3_000);
    const lifecycle = { lifecycle: { drainTimeoutSeconds: 30 } };
    await startGroup(w, 'drain-cap', arn, lifecycle);
    await shrinkTo(w, 'drain-cap', arn, 1, lifecycle);
    const engine = w.engine();
    await engine.reconcileGroup('drain-cap');
    w.advance(29_000);
    expect((await engine.reconcileGroup('drain-cap')).terminated).toBe(0);
    w.advance(2_000);
    expect((await engine.reconcileGroup('drain-cap')).terminated).toBe(1);

    // Scale to 0: the last member drains, and the target group says it is gone before any delay.
    await shrinkTo(w, 'drain-cap', arn, 0, lifecycle);
    await engine.reconcileGroup('drain-cap');
    expect(w.terminated()).toHaveLength(1);
    draining.clear();
    expect((await engine.reconcileGroup('drain-cap')).terminated).toBe(1);
    expect(await w.live('drain-cap')).toEqual([]);
  }, 120_000);

  for (const crashAt of ['view-targets', 'deregister', 'record-draining', 'destroy']) {
    it(`a crash at ${crashAt} is finished by another reconciler: deregistered, then terminated once`, async () => {
      const w = await world();
      const id = `drain-crash-${crashAt}`;
      const arn = await targetGroup(w, fx.net, id, 300);
      const members = await startGroup(w, id, arn);
      await shrinkTo(w, id, arn, 1);
      let armed = true;
      const faults: FaultHook = {
        before(step) {
          if (armed && step === crashAt) {
            armed = false;
            throw new Error(`crash at ${step}`);
          }
        },
      };
      const crashing = w.engine(faults);
      // The first pass deregisters; a crash at `destroy` needs the second one to get there.
      await crashing.reconcileGroup(id).catch(() => undefined);
      if (crashAt === 'destroy') await crashing.reconcileGroup(id).catch(() => undefined);
      expect(armed).toBe(false);
      w.advance(LEASE_TTL_MS + 1_000);
      const other = w.engine();
      await converge(other, [id]);
      const left = (await w.live(id)).map((i) => i.InstanceId ?? '');
      expect(left).toHaveLength(1);
      const victim = members.find((m) => !left.includes(m)) ?? '';
      expect(w.terminated()).toEqual([victim]);
      expect(await registered(w, arn)).toEqual(left);
      // Deregistered before it was terminated, whoever did each.
      const calls = callsNaming(w, victim);
      expect(calls.indexOf('DeregisterTargets')).toBeGreaterThanOrEqual(0);
      expect(calls.indexOf('DeregisterTargets')).toBeLessThan(calls.indexOf('TerminateInstances'));
      expect((await w.store.getGroup(id))?.state.openIntents).toEqual([]);
    }, 120_000);
  }
});
