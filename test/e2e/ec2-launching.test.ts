import type { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LifecycleNotice } from '../../src/reconcile/drain.js';
import { type DynamoTestServer, startDynalite } from '../helpers/dynalite.js';
import { type MotoServer, motoAvailable, startMoto } from '../helpers/moto.js';
import { createNetwork, ec2Client, type TestNetwork } from '../providers/ec2-fixtures.js';
import { type Ec2World, ec2Spec, newEc2World } from './ec2-world.js';
import { registered, targetGroup } from './elb-fixtures.js';

/**
 * The `launching` lifecycle hook on moto's EC2 and ELBv2: a new instance stays out of its target
 * groups until its hook is completed; `abandon` terminates it (never registered) and launches a
 * successor, which waits in turn. The live status shows the hook and each member's target health.
 */

let moto: MotoServer;
let dynamo: DynamoTestServer;
let raw: EC2Client;
let net: TestNetwork;
const worlds: Ec2World[] = [];

const liveIds = async (w: Ec2World, id: string) => (await w.live(id)).map((i) => i.InstanceId ?? '').sort();

describe.runIf(motoAvailable())('launching lifecycle hook, on moto', () => {
  beforeAll(async () => {
    [moto, dynamo] = await Promise.all([startMoto(), startDynalite()]);
    await moto.reset();
    raw = ec2Client(moto.endpoint);
    net = await createNetwork(raw);
  }, 60_000);

  afterEach(() => {
    for (const w of worlds.splice(0)) w.close();
  });

  afterAll(async () => {
    raw?.destroy();
    await Promise.all([moto?.stop(), dynamo?.stop()]);
  });

  it('registers a new instance only once its hook is completed; abandon terminates it unregistered and launches a successor', async () => {
    const w = await newEc2World(moto.endpoint, dynamo);
    worlds.push(w);
    const arn = await targetGroup(w, net, 'booting', 300);
    await w.put(
      ec2Spec(
        'booting',
        2,
        net,
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
