import { admitSpec, describeIssues } from '../admission/admit.js';
import type { Flavor } from '../flavors/types.js';
import type { InstanceOwner, InstanceProvider } from '../providers/types.js';
import { configHash } from '../spec/hash.js';
import type { GroupSpec } from '../spec/schema.js';
import type { EngineContext } from './context.js';

/** Everything needed to observe and act on one group, resolved from its spec. */
export interface GroupTarget {
  readonly groupId: string;
  /** This controller's identity with the group: what every instance of the group carries. */
  readonly owner: InstanceOwner;
  /** The spec to plan with: a destroying group plans as size 0 (and is never paused). */
  readonly spec: GroupSpec;
  readonly configHash: string;
  readonly destroying: boolean;
  readonly provider: InstanceProvider;
  readonly providerProperties: Record<string, unknown>;
  readonly flavor: Flavor;
  readonly flavorProperties: Record<string, unknown>;
}

export type TargetResolution =
  | { readonly ok: true; readonly target: GroupTarget }
  | { readonly ok: false; readonly reason: string };

/**
 * Admits the stored spec (`src/admission`: the provider and flavor it names, their validation) for
 * a pass. A failure is a readable reason (the group is blocked with it), never a throw. The config
 * hash is the stored spec's, as written at PUT, so a later change in normalization rolls nothing.
 */
export function resolveTarget(ctx: EngineContext, spec: GroupSpec, destroying: boolean): TargetResolution {
  const admission = admitSpec(spec, ctx, { checkLaunch: false });
  if (!admission.ok) return { ok: false, reason: describeIssues(admission.issues) };
  const { provider, flavor } = admission.admitted;
  const planned: GroupSpec = destroying ? { ...spec, allocation: { size: 0 }, paused: false } : spec;
  return {
    ok: true,
    target: {
      groupId: spec.id,
      owner: { controllerId: ctx.controllerId, groupId: spec.id },
      spec: planned,
      configHash: configHash(spec),
      destroying,
      provider,
      providerProperties: admission.admitted.spec.instance.properties,
      flavor,
      flavorProperties: admission.admitted.spec.flavor.properties,
    },
  };
}
