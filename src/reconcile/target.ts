import { messageOf } from '../errors.js';
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
 * Resolves the provider and flavor named by `spec` and validates their properties. A failure is a
 * readable reason (the group is blocked with it), never a throw.
 */
export function resolveTarget(ctx: EngineContext, spec: GroupSpec, destroying: boolean): TargetResolution {
  const provider = ctx.providers.get(spec.instance.provider);
  if (!provider) return { ok: false, reason: `unknown instance provider ${spec.instance.provider}` };
  const flavor = ctx.flavors.get(spec.flavor.kind);
  if (!flavor) return { ok: false, reason: `unknown flavor ${spec.flavor.kind}` };
  let providerProperties: Record<string, unknown>;
  let flavorProperties: Record<string, unknown>;
  try {
    providerProperties = provider.validate(spec.instance.properties);
  } catch (err) {
    return { ok: false, reason: `invalid instance.properties: ${messageOf(err)}` };
  }
  try {
    flavorProperties = flavor.validate(spec.flavor.properties, spec.allocation);
  } catch (err) {
    return { ok: false, reason: `invalid flavor.properties: ${messageOf(err)}` };
  }
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
      providerProperties,
      flavor,
      flavorProperties,
    },
  };
}
