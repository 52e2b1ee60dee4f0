import type { Flavor } from '../flavors/types.js';
import type { InstanceOwner, ProvisionRequest } from '../providers/types.js';
import type { Allocation } from '../spec/schema.js';
import { controllerTags } from '../tags.js';

/** What a launch is asked for: this controller's group, config hash, intent token and logical id. */
export type LaunchOwner = InstanceOwner & {
  configHash: string;
  token: string;
  logicalId?: string | undefined;
};

/** The request a flavor prepares: the controller's own tags, the token, the logical id. */
function baseRequest(own: LaunchOwner): ProvisionRequest {
  const { token, logicalId } = own;
  const tags = controllerTags(own, own.configHash, token, logicalId);
  return { tags, token, ...(logicalId !== undefined ? { logicalId } : {}) };
}

/** The flavor's request with the controller's tags and the token back on top: they always win. */
function keepOwn(prepared: ProvisionRequest, base: ProvisionRequest): ProvisionRequest {
  return { ...prepared, tags: { ...prepared.tags, ...base.tags }, token: base.token };
}

/**
 * One instance's launch request: the controller's own tags, then the flavor's `prepare`, whose
 * result may add tags and an init script but never override the controller's tags. The engine
 * launches with it and the API's launch check validates it, so what is checked is what is launched.
 */
export function launchRequest(
  flavor: Pick<Flavor, 'prepare'>,
  flavorProperties: Record<string, unknown>,
  allocation: Allocation,
  own: LaunchOwner,
  index: number,
): ProvisionRequest {
  const base = baseRequest(own);
  return keepOwn(flavor.prepare(flavorProperties, base, allocation, index), base);
}

/**
 * `launchRequest` for a flavor that prepares asynchronously (`prepareLaunch`, a plugin call); the
 * synchronous `prepare` otherwise. Same rules: the controller's tags always win.
 */
export async function launchRequestOf(
  flavor: Flavor,
  flavorProperties: Record<string, unknown>,
  allocation: Allocation,
  own: LaunchOwner,
  index: number,
  signal?: AbortSignal,
): Promise<ProvisionRequest> {
  if (!flavor.prepareLaunch) return launchRequest(flavor, flavorProperties, allocation, own, index);
  const base = baseRequest(own);
  const options = signal ? { signal } : undefined;
  return keepOwn(await flavor.prepareLaunch(flavorProperties, base, allocation, index, options), base);
}
