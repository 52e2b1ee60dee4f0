import { type FieldIssue, SpecValidationError } from '../errors.js';
import type { Flavor } from '../flavors/types.js';
import type { InstanceProvider } from '../providers/types.js';
import { configHash } from '../spec/hash.js';
import type { GroupSpec } from '../spec/schema.js';
import { controllerTags } from '../tags.js';
import { launchRequest } from './launch-request.js';

/** Stands in for an intent token (`<group>-<time>-<random>`, as the engine makes them). */
const sampleToken = (groupId: string) => `${groupId}-${'0'.repeat(9)}-${'0'.repeat(8)}`;
/** Stands in for the controller identity: the longest one allowed, so any real one fits too. */
const SAMPLE_CONTROLLER_ID = 'c'.repeat(128);

/**
 * The spec field to change for an issue on a field of a prepared launch request. The request's
 * init script and its tags other than the controller's (which are fixed) come from the flavor; a
 * tag count can also be brought down in the provider properties, named when the flavor adds none.
 */
function specPath(requestPath: string, spec: GroupSpec, flavorTagCount: number): string {
  const flavorProps = spec.flavor.properties;
  const flavorField = (name: string, rest = '') =>
    name in flavorProps ? `flavor.properties.${name}${rest}` : 'flavor.properties';
  // The provider's own properties, as they apply to this request (a pet's Elastic IP allocation).
  if (requestPath === 'properties' || requestPath.startsWith('properties.')) return `instance.${requestPath}`;
  if (requestPath === 'init') return flavorField('init');
  if (requestPath.startsWith('tags.')) return flavorField('tags', requestPath.slice('tags'.length));
  if (requestPath === 'tags') return flavorTagCount > 0 ? flavorField('tags') : 'instance.properties.tags';
  return 'flavor.properties';
}

/**
 * What the provider would refuse at launch, found before the spec is stored: the engine's launch
 * requests are built the same way (the controller's tags, then the flavor's `prepare`) and handed
 * to the provider's `validateLaunch`, when it has one. Cattle: the first instance stands for all;
 * pets: every logical ID (their tags differ). `spec` must carry validated provider and flavor
 * properties. Returns issues with spec paths; one request's issues are enough to report.
 */
export function launchIssues(
  spec: GroupSpec,
  provider: Pick<InstanceProvider, 'validateLaunch'>,
  flavor: Pick<Flavor, 'prepare' | 'prepareLaunch'>,
): FieldIssue[] {
  // A flavor that prepares through a plugin cannot be asked here (a pure check); its launch is
  // refused, if at all, when it is made.
  if (!provider.validateLaunch || flavor.prepareLaunch) return [];
  const hash = configHash(spec);
  const token = sampleToken(spec.id);
  const logicalIds: readonly (string | undefined)[] = spec.allocation.logicalIds ?? [undefined];
  for (const [index, logicalId] of logicalIds.entries()) {
    const owner = { controllerId: SAMPLE_CONTROLLER_ID, groupId: spec.id };
    const own = controllerTags(owner, hash, token, logicalId);
    const request = launchRequest(
      flavor,
      spec.flavor.properties,
      spec.allocation,
      { ...owner, configHash: hash, token, logicalId },
      index,
    );
    try {
      provider.validateLaunch(spec.instance.properties, request);
    } catch (err) {
      if (!(err instanceof SpecValidationError)) throw err;
      const where = logicalId !== undefined ? ` (logical ID ${logicalId})` : '';
      const flavorTagCount = Object.keys(request.tags).filter((k) => !(k in own)).length;
      return err.issues.map((i) => ({
        path: specPath(i.path, spec, flavorTagCount),
        message: `${i.message}${where}`,
      }));
    }
  }
  return [];
}
