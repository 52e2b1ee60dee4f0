import {
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { TargetGroups, TargetHealth, TargetState } from '../../src/providers/types.js';
import type { TestNetwork } from '../providers/ec2-fixtures.js';
import type { Ec2World } from './ec2-world.js';

/** A target group (instance targets) in moto with the given deregistration delay; its ARN. */
export async function targetGroup(w: Ec2World, net: TestNetwork, name: string, delaySeconds: number) {
  const out = await w.rawElb.send(
    new CreateTargetGroupCommand({
      Name: name.slice(0, 32),
      Protocol: 'HTTP',
      Port: 80,
      VpcId: net.vpcId,
      TargetType: 'instance',
    }),
  );
  const arn = out.TargetGroups?.[0]?.TargetGroupArn ?? '';
  await w.rawElb.send(
    new ModifyTargetGroupAttributesCommand({
      TargetGroupArn: arn,
      Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: String(delaySeconds) }],
    }),
  );
  return arn;
}

/** The targets registered in `arn` (with their ports), straight from moto, sorted by id. */
export async function registeredTargets(w: Ec2World, arn: string): Promise<{ id: string; port?: number }[]> {
  const out = await w.rawElb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
  return (out.TargetHealthDescriptions ?? [])
    .filter((d) => d.TargetHealth?.Reason !== 'Target.NotRegistered')
    .map((d) => ({ id: d.Target?.Id ?? '', ...(d.Target?.Port ? { port: d.Target.Port } : {}) }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export async function registered(w: Ec2World, arn: string): Promise<string[]> {
  return (await registeredTargets(w, arn)).map((t) => t.id);
}

/**
 * Plays target states moto does not have over its answers: `states` overrides the state of a
 * registered target (moto reports every registered running instance `healthy`), and a target
 * deregistered while `draining` is on stays listed as draining until the test removes it.
 */
export function playedTargets(
  real: TargetGroups,
  played: { states?: Map<string, TargetState>; draining?: Set<string> },
): TargetGroups {
  return {
    targets: async (arn, options) => {
      const now: TargetHealth[] = (await real.targets(arn, options)).map((t) => {
        const state = played.states?.get(t.id);
        return state ? { ...t, state } : t;
      });
      for (const id of played.draining ?? [])
        if (!now.some((t) => t.id === id)) now.push({ id, state: 'draining' });
      return now;
    },
    register: (arn, ids, port, options) => real.register(arn, ids, port, options),
    deregister: async (arn, ids, port, options) => {
      await real.deregister(arn, ids, port, options);
      for (const id of ids) played.draining?.add(id);
    },
    deregistrationDelaySeconds: (arn, options) => real.deregistrationDelaySeconds(arn, options),
  };
}
