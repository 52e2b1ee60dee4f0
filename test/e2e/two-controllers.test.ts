import { DescribeInstancesCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { TAG_CONTROLLER, TAG_GROUP } from '../../src/tags.js';
import { motoAvailable } from '../helpers/moto.js';
import { AMI } from '../providers/ec2-fixtures.js';
import { converge, type Ec2World, ec2Spec, tagOf } from './ec2-world.js';
import { useMotoEc2 } from './moto-ec2.js';

/**
 * Two controllers in one account and region (a dev and a prod stack: two tables, two identities),
 * each with a group named `web`. Ownership is the controller's identity plus the group, so each
 * keeps exactly its own instances through scale-down, rollout and destroy, and never sends a
 * request naming the other's. An instance from before controller identities (group tag only) is
 * nobody's and stays untouched.
 */

const OTHER_AMI = 'ami-1e749f67';

const ids = (instances: { InstanceId?: string }[]) => instances.map((i) => i.InstanceId ?? '').sort();

/** Every instance id a world's mutating requests named (launches name none). */
function named(w: Ec2World): string[] {
  return w.sent
    .filter((r) => r.command !== 'DescribeInstancesCommand' && r.command !== 'DescribeInstanceStatusCommand')
    .flatMap((r) => [
      ...((r.input.InstanceIds as string[] | undefined) ?? []),
      ...((r.input.Resources as string[] | undefined) ?? []),
    ]);
}

const fx = useMotoEc2();

async function stateOf(id: string): Promise<string | undefined> {
  const out = await fx.raw.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

describe.runIf(motoAvailable())('two controllers sharing an account, each with a group `web`', () => {
  it('each keeps exactly its own 3 through scale-down, rollout and destroy', async () => {
    const dev = await fx.world({ controllerId: 'dev-stack' });
    const prod = await fx.world({ controllerId: 'prod-stack' });
    const legacy = await fx.raw.send(
      new RunInstancesCommand({
        ImageId: AMI,
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: TAG_GROUP, Value: 'web' }] }],
      }),
    );
    const legacyId = legacy.Instances?.[0]?.InstanceId ?? '';
    try {
      await dev.put(ec2Spec('web', 3, fx.net));
      await prod.put(ec2Spec('web', 3, fx.net));
      const devEngine = dev.engine();
      const prodEngine = prod.engine();
      await converge(devEngine, ['web']);
      await converge(prodEngine, ['web']);
      const devFirst = ids(await dev.live('web'));
      const prodFirst = ids(await prod.live('web'));
      expect(devFirst).toHaveLength(3);
      expect(prodFirst).toHaveLength(3);
      expect(devFirst.filter((id) => prodFirst.includes(id))).toEqual([]);
      for (const i of await dev.live('web')) expect(tagOf(i.Tags, TAG_CONTROLLER)).toBe('dev-stack');

      // Scale-down in dev: it picks from its own 3 only.
      await dev.put(ec2Spec('web', 1, fx.net));
      await converge(devEngine, ['web']);
      const devAfterScale = ids(await dev.live('web'));
      expect(devAfterScale).toHaveLength(1);
      expect(devFirst).toContain(devAfterScale[0]);
      expect(ids(await prod.live('web'))).toEqual(prodFirst);

      // Rollout in prod: its 3 are replaced, dev's 1 is not.
      await prod.put(ec2Spec('web', 3, fx.net, { imageId: OTHER_AMI }));
      await converge(prodEngine, ['web'], async () => {}, 30);
      const prodRolled = await prod.live('web');
      expect(prodRolled).toHaveLength(3);
      expect(prodRolled.every((i) => i.ImageId === OTHER_AMI)).toBe(true);
      expect(prod.terminated().sort()).toEqual(prodFirst);
      expect(ids(await dev.live('web'))).toEqual(devAfterScale);

      // Destroy dev: its instance goes, prod's 3 stay.
      await dev.store.markDestroying('web', dev.now());
      await converge(devEngine, ['web']);
      expect(await dev.live('web')).toEqual([]);
      expect(await dev.store.getGroup('web')).toBeUndefined();
      expect(ids(await prod.live('web'))).toEqual(ids(prodRolled));

      // Neither ever named the other's instances (nor the legacy one) in a mutating request.
      const prodAll = [...prodFirst, ...ids(prodRolled)];
      expect(named(dev).filter((id) => prodAll.includes(id) || id === legacyId)).toEqual([]);
      expect(named(prod).filter((id) => devFirst.includes(id) || id === legacyId)).toEqual([]);
      expect(dev.terminated().sort()).toEqual(devFirst);
      expect(await stateOf(legacyId)).toBe('running');
    } finally {
      dev.close();
      prod.close();
    }
  });
});
