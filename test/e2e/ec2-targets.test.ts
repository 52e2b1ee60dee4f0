import { CreateTagsCommand, DeleteTagsCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { DeregisterTargetsCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import type { TargetState } from '../../src/providers/types.js';
import type { LifecycleNotice } from '../../src/reconcile/drain.js';
import type { FaultHook } from '../../src/reconcile/types.js';
import { motoAvailable } from '../helpers/moto.js';
import { AMI } from '../providers/ec2-fixtures.js';
import { converge, type Ec2World, ec2Spec, LEASE_TTL_MS } from './ec2-world.js';
import { playedTargets, registered, registeredTargets, targetGroup } from './elb-fixtures.js';
import { useMotoEc2 } from './moto-ec2.js';

/**
 * Members in their target groups on moto's EC2 and ELBv2: registered at launch (or once their
 * launching hook is over), registration drift repaired, and target health as a health signal. moto reports every registered running instance
 * `healthy`; the target-health test plays `unhealthy` over its answers (`playedTargets`).
 */

const fx = useMotoEc2();
const world = fx.world;

const liveIds = async (w: Ec2World, id: string) => (await w.live(id)).map((i) => i.InstanceId ?? '').sort();
/** Instances asked of RunInstances so far (one intent may take several calls, one per subnet). */
const launches = (w: Ec2World) =>
  w.sent
    .filter((r) => r.command === 'RunInstancesCommand')
    .reduce((n, r) => n + Number(r.input.MaxCount ?? 0), 0);

describe.runIf(motoAvailable())('members in their target groups, on moto', () => {
  it('registers new instances on their port in every target group in the pass that launched them', async () => {
    const w = await world();
    const [a, b] = [await targetGroup(w, fx.net, 'reg-a', 300), await targetGroup(w, fx.net, 'reg-b', 300)];
    const lb = { loadBalancers: { targetGroupArns: [a, b], port: 8080 } };
    await w.put(ec2Spec('reg', 2, fx.net, {}, lb));
    const first = await w.engine().reconcileGroup('reg');
    expect(first.launched).toBe(2);
    const members = await liveIds(w, 'reg');
    for (const arn of [a, b])
      expect(await registeredTargets(w, arn)).toEqual(members.map((id) => ({ id, port: 8080 })));
    // Registered, then steady: a sweep reads the target groups and writes nothing at all.
    await converge(w.engine(), ['reg']);
    const writes = w.store.stats.writes;
    const steady = await w.engine().sweep({ ids: ['reg'] });
    expect(steady.results[0]?.outcome).toBe('steady');
    expect(w.store.stats.writes).toBe(writes);
  }, 120_000);

  it('a crash between the launch and the registration is finished by another reconciler, without a second launch', async () => {
    const w = await world();
    const arn = await targetGroup(w, fx.net, 'reg-crash', 300);
    await w.put(ec2Spec('reg-crash', 2, fx.net, {}, { loadBalancers: { targetGroupArns: [arn] } }));
    let armed = true;
    const faults: FaultHook = {
      before(step) {
        if (armed && step === 'register') {
          armed = false;
          throw new Error('crash before RegisterTargets');
        }
      },
    };
    await w
      .engine(faults)
      .reconcileGroup('reg-crash')
      .catch(() => undefined);
    expect(armed).toBe(false);
    const members = await liveIds(w, 'reg-crash');
    expect(members).toHaveLength(2);
    expect(await registered(w, arn)).toEqual([]);
    w.advance(LEASE_TTL_MS + 1_000);
    await converge(w.engine(), ['reg-crash']);
    expect(await registered(w, arn)).toEqual(members);
    expect(await liveIds(w, 'reg-crash')).toEqual(members);
    expect(launches(w)).toBe(2);
  }, 120_000);

  it('repairs drift: a member removed from its target group by hand is registered again', async () => {
    const w = await world();
    const arn = await targetGroup(w, fx.net, 'drift', 300);
    await w.put(ec2Spec('drift', 2, fx.net, {}, { loadBalancers: { targetGroupArns: [arn] } }));
    await converge(w.engine(), ['drift']);
    const members = await liveIds(w, 'drift');
    const [gone] = members;
    await w.rawElb.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: gone }] }));
    expect(await registered(w, arn)).toEqual(members.filter((m) => m !== gone));
    const mark = w.sent.length;
    const pass = await w.engine().sweep({ ids: ['drift'] });
    expect(pass.results[0]?.outcome).toBe('acted');
    expect(await registered(w, arn)).toEqual(members);
    const registrations = w.sent.slice(mark).filter((r) => r.command === 'RegisterTargetsCommand');
    expect(registrations.map((r) => r.input.Targets)).toEqual([[{ Id: gone }]]);
    // Nothing else was touched: no launch, no terminate.
    expect(w.terminated()).toEqual([]);
    expect(launches(w)).toBe(2);
    const events = await w.store.listEvents('drift');
    expect(events.items.some((e) => e.kind === 'register' && e.message.includes(gone ?? '?'))).toBe(true);
  }, 120_000);

  it('deregisters targets whose tags prove they left the group, and never a foreign target', async () => {
    const w = await world();
    const arn = await targetGroup(w, fx.net, 'former', 300);
    await w.put(ec2Spec('former', 3, fx.net, {}, { loadBalancers: { targetGroupArns: [arn] } }));
    await converge(w.engine(), ['former']);
    const [left, kept, retained] = await liveIds(w, 'former');
    // One member leaves by hand (its group tag removed), one is kept for forensics from this group.
    await fx.raw.send(new DeleteTagsCommand({ Resources: [left ?? ''], Tags: [{ Key: 'infrakit.group' }] }));
    await fx.raw.send(
      new DeleteTagsCommand({ Resources: [retained ?? ''], Tags: [{ Key: 'infrakit.group' }] }),
    );
    await fx.raw.send(
      new CreateTagsCommand({
        Resources: [retained ?? ''],
        Tags: [{ Key: 'infrakit.retained', Value: 'former' }],
      }),
    );
    // Foreign targets: nobody's instance, the same group name under another controller, another
    // group of this controller, and one of ours that left another group.
    const run = async (tags: Record<string, string>) => {
      const out = await fx.raw.send(
        new RunInstancesCommand({
          ImageId: AMI,
          MinCount: 1,
          MaxCount: 1,
          SubnetId: fx.net.subnets[0]?.id,
          TagSpecifications: [
            { ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
          ],
        }),
      );
      return out.Instances?.[0]?.InstanceId ?? '';
    };
    const foreign = [
      await run({ owner: 'someone' }),
      await run({ 'infrakit.controller': 'other-controller', 'infrakit.intent': 'former-abc-0123abcd' }),
      await run({ 'infrakit.controller': w.controllerId, 'infrakit.group': 'other' }),
      await run({ 'infrakit.controller': w.controllerId, 'infrakit.intent': 'former-2-abc-0123abcd' }),
    ];
    await w.rawElb.send(
      new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: foreign.map((Id) => ({ Id })) }),
    );
    const mark = w.sent.length;
    await converge(w.engine(), ['former']);
    const deregistrations = w.sent.slice(mark).filter((r) => r.command === 'DeregisterTargetsCommand');
    const gone = deregistrations.flatMap((r) => (r.input.Targets as { Id: string }[]).map((t) => t.Id));
    expect(gone.sort()).toEqual([left, retained].sort());
    const members = await liveIds(w, 'former');
    expect(members).toHaveLength(3);
    expect(members).toContain(kept);
    expect(await registered(w, arn)).toEqual([...members, ...foreign].sort());
    // Left alone: the instances that left keep running (leaving a group is not a termination).
    expect(w.terminated()).toEqual([]);
    // Foreign targets are looked up once per engine: its later passes read no tags and change nothing.
    const engine = w.engine();
    expect((await engine.sweep({ ids: ['former'] })).results[0]?.outcome).toBe('steady');
    const later = w.sent.length;
    expect((await engine.sweep({ ids: ['former'] })).results[0]?.outcome).toBe('steady');
    const lookups = w.sent
      .slice(later)
      .filter((r) => JSON.stringify(r.input.Filters ?? []).includes('instance-id'));
    expect(lookups).toEqual([]);
  }, 120_000);

  it('target health unhealthy past unhealthyTimeoutSeconds replaces the member: drained, terminated, its successor registered', async () => {
    const states = new Map<string, TargetState>();
    const draining = new Set<string>();
    const w = await world({ targets: (real) => playedTargets(real, { states, draining }) });
    const arn = await targetGroup(w, fx.net, 'tg-health', 30);
    const spec = ec2Spec(
      'tg-health',
      2,
      fx.net,
      {},
      {
        loadBalancers: { targetGroupArns: [arn] },
        health: {
          gracePeriodSeconds: 0,
          unhealthyTimeoutSeconds: 60,
          sources: ['ec2-status', 'target-group'],
        },
      },
    );
    await w.put(spec);
    await converge(w.engine(), ['tg-health']);
    const members = await liveIds(w, 'tg-health');
    const [sick, well] = members;
    states.set(sick ?? '', 'unhealthy');
    states.set(well ?? '', 'initial');
    const engine = w.engine();
    // Seen unhealthy now: dated from this pass, not replaced yet; `initial` never counts.
    await engine.sweep({ ids: ['tg-health'] });
    w.advance(30_000);
    await engine.sweep({ ids: ['tg-health'] });
    expect(w.terminated()).toEqual([]);
    expect(launches(w)).toBe(2);
    w.advance(31_000);
    // Past the timeout: replaced launch-first, and the sick one deregisters before it goes.
    await engine.sweep({ ids: ['tg-health'] });
    expect(draining.has(sick ?? '')).toBe(true);
    expect(w.terminated()).toEqual([]);
    w.advance(31_000); // the target group's 30 s delay has passed
    await converge(engine, ['tg-health']);
    expect(w.terminated()).toEqual([sick]);
    const now = await liveIds(w, 'tg-health');
    expect(now).toHaveLength(2);
    expect(now).toContain(well);
    expect(await registered(w, arn)).toEqual(now);
  }, 120_000);

  it('registers a new instance only once its hook is completed; abandon terminates it unregistered and launches a successor', async () => {
    const w = await world();
    const arn = await targetGroup(w, fx.net, 'booting', 300);
    await w.put(
      ec2Spec(
        'booting',
        2,
        fx.net,
        {},
        {
          loadBalancers: { targetGroupArns: [arn] },
          lifecycle: { launching: { timeoutSeconds: 300, defaultResult: 'continue' } },
        },
      ),
    );
    const notices: LifecycleNotice[] = [];
    const engine = w.engine(undefined, { announce: async (n) => void notices.push(n) });
    expect((await engine.reconcileGroup('booting')).launched).toBe(2);
    const [ready, doomed] = await liveIds(w, 'booting');
    expect(notices.map((n) => [n.hook, n.instanceId]).sort()).toEqual([
      ['launching', ready],
      ['launching', doomed],
    ]);
    // Running and healthy on moto, yet not in service: no registration, however many passes.
    w.advance(10_000);
    await engine.reconcileGroup('booting');
    expect(await registered(w, arn)).toEqual([]);
    const waiting = await engine.status('booting');
    expect(waiting?.instances.every((i) => i.launching?.until !== undefined)).toBe(true);
    expect(waiting?.converged).toBe(false);

    await w.store.markLifecycleDone('booting', ready ?? '', 'continue', 'launching');
    await w.store.markLifecycleDone('booting', doomed ?? '', 'abandon', 'launching');
    const mark = w.sent.length;
    await engine.reconcileGroup('booting');
    expect(await registered(w, arn)).toEqual([ready]);
    expect(w.terminated()).toEqual([doomed]);
    // The abandoned instance was never registered, so nothing was deregistered for it.
    const calls = w.sent.slice(mark).map((r) => r.command);
    expect(calls).not.toContain('DeregisterTargetsCommand');

    // Its successor is launched and waits in the hook in turn, out of the target group.
    await engine.reconcileGroup('booting');
    const live = await liveIds(w, 'booting');
    expect(live).toHaveLength(2);
    const successor = live.find((id) => id !== ready);
    expect(successor).not.toBe(doomed);
    expect(await registered(w, arn)).toEqual([ready]);
    const status = await engine.status('booting');
    const byId = new Map(status?.instances.map((i) => [i.id, i]));
    expect(byId.get(ready ?? '')?.targets).toEqual([{ targetGroupArn: arn, state: 'healthy' }]);
    expect(byId.get(ready ?? '')?.launching).toBeUndefined();
    expect(byId.get(successor ?? '')?.targets).toBeUndefined();
    expect(byId.get(successor ?? '')?.launching?.until).toEqual(expect.any(Number));
  }, 120_000);
});
