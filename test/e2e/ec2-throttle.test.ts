import { afterAll, describe, expect, it } from 'vitest';
import { TAG_CONTROLLER, TAG_GROUP } from '../../src/tags.js';
import { motoAvailable } from '../helpers/moto.js';
import { awsError } from '../providers/ec2-fixtures.js';
import { converge, type Ec2World, ec2Spec, liveInstances, tagOf } from './ec2-world.js';
import { useMotoEc2 } from './moto-ec2.js';

/**
 * A whole sweep under EC2 throttling, on moto with faults injected at the SDK boundary: while every
 * Describe* call is refused with `RequestLimitExceeded`, a sweep of many groups costs one shared
 * describe and its retries, and nothing per group (a failed shared observation plans nothing, so no
 * group describes itself, launches or terminates); once the storm clears, every group converges.
 */

/** Groups in the sweep. */
const GROUPS = 100;
/** The provider's attempts per call (its default), the first included. */
const ATTEMPTS = 5;
/** Sweeps run while the storm lasts. */
const STORM_SWEEPS = 3;

let world: Ec2World | undefined;

const fx = useMotoEc2();

describe.runIf(motoAvailable())('a sweep of many EC2 groups under throttling', () => {
  afterAll(() => {
    world?.close();
  });

  it(`sends ${ATTEMPTS} EC2 requests per sweep of ${GROUPS} groups while every Describe is throttled (the shared DescribeInstances and its retries, nothing per group), then converges`, async () => {
    // Prepare: 100 groups of one instance each, none launched yet.
    const w = await fx.world({
      retryAttempts: ATTEMPTS,
      controllerId: 'throttle-controller',
    });
    world = w;
    const engine = w.engine();
    const ids = Array.from({ length: GROUPS }, (_, i) => `throttle-${String(i).padStart(3, '0')}`);
    const subnetIds = [fx.net.subnets[0]?.id ?? ''];
    for (const id of ids) await w.put(ec2Spec(id, 1, fx.net, { subnetIds }));
    let throttled = 0;
    w.fault = (command) => {
      if (!command.startsWith('Describe')) return;
      throttled += 1;
      throw awsError('RequestLimitExceeded', 'Request limit exceeded.');
    };

    // Act: sweeps while the storm lasts.
    for (let sweep = 0; sweep < STORM_SWEEPS; sweep++) {
      const before = w.sent.length;
      const report = await engine.sweep();
      // Assess: the bound. One sweep = the one shared DescribeInstances of all groups, tried
      // ATTEMPTS times (it never gets as far as DescribeInstanceStatus); no call for any group: a
      // failed shared observation plans nothing, so no group is described alone, launched or
      // terminated.
      expect(w.sent.slice(before).map((r) => r.command)).toEqual(
        Array(ATTEMPTS).fill('DescribeInstancesCommand'),
      );
      expect(report.results).toHaveLength(GROUPS);
      expect(report.results.filter((r) => r.outcome !== 'observe-failed')).toEqual([]);
    }
    expect(throttled).toBe(STORM_SWEEPS * ATTEMPTS);

    // Act: the storm clears.
    w.fault = undefined;
    // One sweep launches every group's instance, the next finds all of them steady.
    expect(await converge(engine, ids)).toBe(2);

    // Assess: exactly one instance per group, nothing terminated.
    const live = await liveInstances(fx.raw, [{ Name: `tag:${TAG_CONTROLLER}`, Values: [w.controllerId] }]);
    const perGroup = new Map<string, number>();
    for (const i of live) {
      const group = tagOf(i.Tags, TAG_GROUP) ?? '';
      perGroup.set(group, (perGroup.get(group) ?? 0) + 1);
    }
    expect([...perGroup.keys()].sort()).toEqual(ids);
    expect([...perGroup.values()].every((n) => n === 1)).toBe(true);
    expect(w.terminated()).toEqual([]);
  });
});
