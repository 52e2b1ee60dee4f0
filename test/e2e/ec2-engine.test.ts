import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import { configHash, validateSpec } from '../../src/spec/index.js';
import { TAG_CONFIG_HASH, TAG_GROUP, TAG_INTENT } from '../../src/tags.js';
import { motoAvailable } from '../helpers/moto.js';
import { converge, type Ec2World, ec2Spec, launchForeign, liveInstances, tagOf } from './ec2-world.js';
import { useMotoEc2 } from './moto-ec2.js';

/**
 * The engine, the DynamoDB store and the EC2 provider together against moto: what a user of the
 * deployed controller would see happen to their account. Each test owns its group (and table);
 * moto is shared by the file, so the instances of another system launched once at the start are
 * around for every test, and every test checks that they were never touched.
 */

const OTHER_AMI = 'ami-1e749f67';

const fx = useMotoEc2();
const world = (): Promise<Ec2World> => fx.world();
let foreign: string[];
let foreignTags: Map<string, string>;

/** State and tags of the foreign instances, as one comparable string per instance. */
async function foreignSnapshot(): Promise<Map<string, string>> {
  const out = await fx.raw.send(new DescribeInstancesCommand({ InstanceIds: foreign }));
  const all = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  return new Map(
    all.map((i) => [
      i.InstanceId ?? '',
      `${i.State?.Name}|${JSON.stringify([...(i.Tags ?? [])].sort((a, b) => (a.Key ?? '').localeCompare(b.Key ?? '')))}`,
    ]),
  );
}

/** The instances of other systems are still running with their tags, and no request of ours named them. */
async function expectForeignUntouched(w: Ec2World): Promise<void> {
  expect(await foreignSnapshot()).toEqual(foreignTags);
  for (const state of (await foreignSnapshot()).values()) expect(state.startsWith('running|')).toBe(true);
  const named = w.sent
    .filter((r) => r.command !== 'DescribeInstancesCommand' && r.command !== 'DescribeInstanceStatusCommand')
    .flatMap((r) => [
      ...((r.input.InstanceIds as string[] | undefined) ?? []),
      ...((r.input.Resources as string[] | undefined) ?? []),
    ]);
  expect(named.filter((id) => foreign.includes(id))).toEqual([]);
}

const ids = (instances: { InstanceId?: string }[]) => instances.map((i) => i.InstanceId ?? '').sort();

describe.runIf(motoAvailable())('engine + EC2 provider on moto, end to end', () => {
  beforeAll(async () => {
    foreign = await launchForeign(fx.raw, fx.net);
    foreignTags = await foreignSnapshot();
  });

  it('launches a group of 5 tagged at launch on instances and volumes, spread across the subnets', async () => {
    // Prepare
    const w = await world();
    const spec = validateSpec(await w.put(ec2Spec('web', 5, fx.net)));
    // Act
    await converge(w.engine(), ['web']);
    // Assess
    const live = await w.live('web');
    expect(live).toHaveLength(5);
    const intents = new Set(live.map((i) => tagOf(i.Tags, TAG_INTENT)));
    expect(intents.size).toBe(1);
    const [token] = [...intents];
    expect(token).toMatch(/^web-/);
    for (const instance of live) {
      expect(instance.State?.Name).toBe('running');
      expect(tagOf(instance.Tags, TAG_GROUP)).toBe('web');
      expect(tagOf(instance.Tags, TAG_CONFIG_HASH)).toBe(configHash(spec));
      expect(tagOf(instance.Tags, 'team')).toBe('e2e');
      const volumes = await fx.raw.send(
        new DescribeVolumesCommand({
          Filters: [{ Name: 'attachment.instance-id', Values: [instance.InstanceId ?? ''] }],
        }),
      );
      expect(volumes.Volumes?.length).toBeGreaterThan(0);
      for (const v of volumes.Volumes ?? []) {
        expect(tagOf(v.Tags, TAG_GROUP)).toBe('web');
        expect(tagOf(v.Tags, TAG_CONFIG_HASH)).toBe(configHash(spec));
        expect(tagOf(v.Tags, TAG_INTENT)).toBe(token);
      }
    }
    // Tags travel with the launch request: never a CreateTags afterwards.
    expect(w.sent.filter((r) => r.command === 'CreateTagsCommand')).toEqual([]);
    const perSubnet = fx.net.subnets.map((s) => live.filter((i) => i.SubnetId === s.id).length).sort();
    expect(perSubnet).toEqual([1, 2, 2]);
    await expectForeignUntouched(w);
  });

  it('restores exactly the 2 instances terminated out of band, and launches no more', async () => {
    // Prepare
    const w = await world();
    await w.put(ec2Spec('heal', 5, fx.net));
    const engine = w.engine();
    await converge(engine, ['heal']);
    const before = ids(await w.live('heal'));
    const killed = before.slice(0, 2);
    await fx.raw.send(new TerminateInstancesCommand({ InstanceIds: killed }));
    // Act
    const report = await engine.sweep({ ids: ['heal'] });
    // Assess
    expect(report.results[0]).toMatchObject({ outcome: 'acted', launched: 2, terminated: 0 });
    const after = ids(await w.live('heal'));
    expect(after).toHaveLength(5);
    expect(after.filter((id) => before.includes(id))).toEqual(before.slice(2));
    // Later passes find nothing to do: no extra launch although moto ignores ClientToken.
    w.provider.calls.reset();
    await converge(engine, ['heal']);
    await converge(engine, ['heal']);
    expect(ids(await w.live('heal'))).toEqual(after);
    expect(w.provider.calls.snapshot().RunInstances).toBeUndefined();
    expect(w.terminated()).toEqual([]);
    await expectForeignUntouched(w);
  });

  it('scales 5 down to 2 by terminating exactly 3: the failed, then the outdated, then the oldest', async () => {
    // Prepare: 3 instances from the first launch, then 2 newer replacements of killed ones.
    const w = await world();
    await w.put(ec2Spec('shrink', 5, fx.net));
    const engine = w.engine();
    await converge(engine, ['shrink']);
    const first = ids(await w.live('shrink'));
    // moto dates launches to the second: make the replacements strictly younger.
    await new Promise((r) => setTimeout(r, 1_100));
    await fx.raw.send(new TerminateInstancesCommand({ InstanceIds: first.slice(0, 2) }));
    await converge(engine, ['shrink']);
    const originals = first.slice(2);
    const replacements = ids(await w.live('shrink')).filter((id) => !first.includes(id));
    expect(replacements).toHaveLength(2);
    // One replacement fails (stopped behind our back), the other carries an old config.
    const [failed = '', outdated = ''] = replacements;
    await fx.raw.send(new StopInstancesCommand({ InstanceIds: [failed] }));
    await fx.raw.send(
      new CreateTagsCommand({ Resources: [outdated], Tags: [{ Key: TAG_CONFIG_HASH, Value: 'stale' }] }),
    );
    // The oldest of the healthy, current originals (launch time, then id, as the planner orders).
    const live = await w.live('shrink');
    const oldest = live
      .filter((i) => originals.includes(i.InstanceId ?? ''))
      .sort(
        (a, b) =>
          (a.LaunchTime?.getTime() ?? 0) - (b.LaunchTime?.getTime() ?? 0) ||
          (a.InstanceId ?? '').localeCompare(b.InstanceId ?? ''),
      )[0]?.InstanceId;
    const terminatedBefore = w.terminated().length;
    // Act
    await w.put(ec2Spec('shrink', 2, fx.net));
    await converge(engine, ['shrink']);
    // Assess
    const gone = w.terminated().slice(terminatedBefore);
    expect(gone.sort()).toEqual([failed, outdated, oldest].sort());
    expect(ids(await w.live('shrink'))).toEqual(originals.filter((id) => id !== oldest));
    await expectForeignUntouched(w);
  });

  it('rolls a new imageId through with maxSurge 1, maxUnavailable 0, never leaving 5..6 live', async () => {
    // Prepare
    const w = await world();
    await w.put(ec2Spec('roll', 5, fx.net));
    const engine = w.engine();
    await converge(engine, ['roll']);
    const old = ids(await w.live('roll'));
    const spec = validateSpec(await w.put(ec2Spec('roll', 5, fx.net, { imageId: OTHER_AMI })));
    const rollStart = w.sent.length;
    const counts: number[] = [];
    // Act
    const passes = await converge(
      engine,
      ['roll'],
      async () => {
        counts.push((await w.live('roll')).length);
      },
      30,
    );
    // Assess
    expect(counts.every((n) => n >= 5 && n <= 6)).toBe(true);
    expect(counts).toContain(6); // it surged rather than terminating first
    // Also after every single EC2 call inside the passes (moto changes state at once): replay the
    // launches and terminations in the order they were sent.
    let live = 5;
    for (const r of w.sent.slice(rollStart)) {
      if (r.command === 'RunInstancesCommand') live += Number(r.input.MaxCount);
      if (r.command === 'TerminateInstancesCommand') live -= (r.input.InstanceIds as string[]).length;
      expect(live, `after ${r.command}`).toBeGreaterThanOrEqual(5);
      expect(live, `after ${r.command}`).toBeLessThanOrEqual(6);
    }
    expect(passes).toBeGreaterThan(5); // one instance at a time
    const final = await w.live('roll');
    expect(final).toHaveLength(5);
    for (const i of final) {
      expect(i.ImageId).toBe(OTHER_AMI);
      expect(tagOf(i.Tags, TAG_CONFIG_HASH)).toBe(configHash(spec));
    }
    expect(w.terminated().sort()).toEqual(old);
    await expectForeignUntouched(w);
  });

  it('destroys a group marked destroying: every instance terminated, then the group removed', async () => {
    // Prepare
    const w = await world();
    await w.put(ec2Spec('doomed', 5, fx.net));
    const engine = w.engine();
    await converge(engine, ['doomed']);
    const before = ids(await w.live('doomed'));
    // Act: what DELETE /groups/{id} does, then the passes that follow.
    await w.store.markDestroying('doomed', w.now());
    const outcomes: string[] = [];
    await converge(engine, ['doomed'], async (report) => {
      outcomes.push(...report.results.map((r) => r.outcome));
    });
    // Assess
    expect(await w.live('doomed')).toEqual([]);
    expect(outcomes).toContain('removed');
    expect(await w.store.getGroup('doomed')).toBeUndefined();
    expect(w.terminated().sort()).toEqual(before);
    await expectForeignUntouched(w);
  });

  it('sweeping every group of the table never acts on instances it does not own', async () => {
    // Prepare: a group that exists next to the foreign instances, and a sweep over the whole table.
    const w = await world();
    await w.put(ec2Spec('neighbour', 2, fx.net));
    const engine = w.engine();
    // Act
    await converge(engine, ['neighbour']);
    const report = await engine.sweep();
    // Assess
    expect(report.results.map((r) => r.outcome)).toEqual(['steady']);
    expect(
      await liveInstances(fx.raw, [
        { Name: `tag:${TAG_GROUP}`, Values: ['a-group-this-table-does-not-know'] },
      ]),
    ).toHaveLength(1);
    expect(await w.live('neighbour')).toHaveLength(2);
    await expectForeignUntouched(w);
  });
});
