import type { Flavor } from '../../src/flavors/types.js';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import { configHash, type GroupSpecInput, validateSpec } from '../../src/spec/index.js';
import { TAG_CONFIG_HASH } from '../../src/tags.js';
import type { TestNetwork } from '../providers/ec2-fixtures.js';
import { type Ec2World, ec2Spec, tagOf } from './ec2-world.js';

/** Another AMI moto knows: "v2" of the group, the one whose instances never pass health. */
export const BAD_AMI = 'ami-1e749f67';

export interface BadRolloutOptions {
  readonly groupId: string;
  readonly size: number;
  readonly maxUnavailable: number;
  readonly maxFailedReplacements: number;
  /** Sweeps allowed from the commit of v2 to the rollback's version. */
  readonly maxSweeps: number;
}

export interface BadRolloutRun {
  /** The v1 instances before v2 was committed. */
  readonly v1Ids: readonly string[];
  /** The fewest healthy (running v1) instances seen after any sweep. */
  readonly lowestHealthy: number;
  /** v1 instances named in a TerminateInstances request (moto terminates at once). */
  readonly v1Terminated: readonly string[];
  /** Sweeps from the commit of v2 until the rollback was written; undefined if it never was. */
  readonly sweepsToRollback?: number;
  readonly v1Hash: string;
  readonly v2Hash: string;
}

/**
 * A flavor judging like vanilla, except that instances of `badHash` never pass health: moto cannot
 * fail status checks, so the test plays a bad AMI or a broken init script this way.
 */
export function failingFlavor(badHash: string): Flavor {
  return {
    ...vanillaFlavor,
    health: (properties, instance) =>
      instance.tags[TAG_CONFIG_HASH] === badHash ? 'unhealthy' : vanillaFlavor.health(properties, instance),
  };
}

/**
 * Commits v1 (healthy) and converges, then commits v2 whose instances never pass health, and
 * sweeps until the automatic rollback is written, recording after every sweep how many instances
 * are healthy. Shared by the end-to-end test and the bench (`rollout.bad-ami.min-healthy`).
 */
export async function runBadRollout(
  w: Ec2World,
  net: TestNetwork,
  o: BadRolloutOptions,
): Promise<BadRolloutRun> {
  const update = {
    maxSurge: 1,
    maxUnavailable: o.maxUnavailable,
    maxFailedReplacements: o.maxFailedReplacements,
  };
  const v1: GroupSpecInput = ec2Spec(o.groupId, o.size, net, {}, { update });
  const v2: GroupSpecInput = ec2Spec(o.groupId, o.size, net, { imageId: BAD_AMI }, { update });
  const v1Hash = configHash(validateSpec(v1));
  const v2Hash = configHash(validateSpec(v2));
  const engine = w.engine(undefined, { flavors: new Map([[vanillaFlavor.kind, failingFlavor(v2Hash)]]) });
  await w.put(v1);
  for (let n = 0; n < 10; n += 1) {
    const report = await engine.sweep({ ids: [o.groupId] });
    if (report.results.every((r) => r.outcome === 'steady')) break;
  }
  const v1Ids = (await w.live(o.groupId)).map((i) => i.InstanceId ?? '').sort();
  const stored = await w.put(v2);
  const version = (await w.store.getGroup(stored.id))?.version ?? 0;

  let lowestHealthy = v1Ids.length;
  let sweepsToRollback: number | undefined;
  for (let sweep = 1; sweep <= o.maxSweeps; sweep += 1) {
    await engine.sweep({ ids: [o.groupId] });
    const live = await w.live(o.groupId);
    const healthy = live.filter(
      (i) => i.State?.Name === 'running' && tagOf(i.Tags, TAG_CONFIG_HASH) === v1Hash,
    );
    lowestHealthy = Math.min(lowestHealthy, healthy.length);
    const record = await w.store.getGroup(o.groupId);
    if (record && record.version > version) {
      sweepsToRollback = sweep;
      break;
    }
  }
  const terminated = new Set(w.terminated());
  return {
    v1Ids,
    lowestHealthy,
    v1Terminated: v1Ids.filter((id) => terminated.has(id)),
    ...(sweepsToRollback !== undefined ? { sweepsToRollback } : {}),
    v1Hash,
    v2Hash,
  };
}
