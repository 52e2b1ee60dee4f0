import { describe, expect, it } from 'vitest';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import { configHash } from '../../src/spec/index.js';
import { TAG_CONFIG_HASH } from '../../src/tags.js';
import { motoAvailable } from '../helpers/moto.js';
import { BAD_AMI, failingFlavor, runBadRollout } from './bad-rollout.js';
import { converge, tagOf } from './ec2-world.js';
import { useMotoEc2 } from './moto-ec2.js';

/**
 * The proof on moto: v1 healthy, v2 whose instances never pass health. The rollout halts
 * after maxFailedReplacements, rolls back by itself, and ends with `size` instances of v1, none of
 * the original v1 instances lost at any point (no TerminateInstances ever named one, and each was
 * running after every sweep).
 */

const fx = useMotoEc2();

describe.runIf(motoAvailable())('a bad rollout on moto, end to end', () => {
  it('halts after maxFailedReplacements, rolls back as a new version, and ends with size v1 instances, none lost', async () => {
    const w = await fx.world();
    try {
      const run = await runBadRollout(w, fx.net, {
        groupId: 'bad-ami',
        size: 3,
        maxUnavailable: 0,
        maxFailedReplacements: 2,
        maxSweeps: 20,
      });
      expect(run.v1Ids).toHaveLength(3);
      expect(run.sweepsToRollback).toBeDefined();
      expect(run.v1Terminated).toEqual([]);
      expect(run.lowestHealthy).toBe(3);

      const record = await w.store.getGroup('bad-ami');
      expect(record?.version).toBe(3);
      expect(
        configHash(
          record?.spec ?? {
            instance: { provider: '', properties: {} },
            flavor: { kind: '', properties: {} },
          },
        ),
      ).toBe(run.v1Hash);
      expect(record?.note).toContain('automatic rollback of version 2');
      const events = (await w.store.listEvents('bad-ami')).items.map((e) => e.kind);
      expect(events).toEqual(expect.arrayContaining(['rollout-halted', 'rollback']));
      // Exactly two bad instances were launched before the halt (maxFailedReplacements).
      const launchedBad = w.sent.filter(
        (r) => r.command === 'RunInstancesCommand' && r.input.ImageId === BAD_AMI,
      );
      expect(launchedBad).toHaveLength(2);

      // Then the group settles on the three original v1 instances; the bad ones are gone.
      const engine = w.engine(undefined, {
        flavors: new Map([[vanillaFlavor.kind, failingFlavor(run.v2Hash)]]),
      });
      await converge(engine, ['bad-ami']);
      const live = await w.live('bad-ami');
      expect(live.map((i) => i.InstanceId).sort()).toEqual([...run.v1Ids]);
      for (const i of live) expect(tagOf(i.Tags, TAG_CONFIG_HASH)).toBe(run.v1Hash);
      expect(w.terminated().filter((id) => run.v1Ids.includes(id))).toEqual([]);
    } finally {
      w.close();
    }
  });
});
