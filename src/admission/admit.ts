import {
  BackendError,
  CheckUnavailableError,
  type FieldIssue,
  SpecValidationError,
  ThrottledError,
} from '../errors.js';
import type { Flavor } from '../flavors/types.js';
import type { InstanceProvider } from '../providers/types.js';
import type { GroupSpec } from '../spec/schema.js';
import { validateSpec } from '../spec/validate.js';
import { launchIssues } from './launch-check.js';

/**
 * Admission: the one place where a submitted spec becomes something the controller can act on.
 * The API admits at PUT (and answers 400 with the issues), the engine admits the stored spec on
 * every pass (and blocks the group with the reason), local mode admits its examples, and the CLI
 * admits a spec file before sending it. Each step's field paths are relative to the spec.
 *
 *   1. the spec schema (`src/spec`);
 *   2. the provider and flavor it names, looked up in the registries;
 *   3. their own validation of `instance.properties` and `flavor.properties` (normalizing: defaults
 *      filled in, so a spelled-out default never changes the config hash);
 *   4. optionally, the launch the two make together against the provider's launch limits.
 *
 * `preflightIssues` adds what only the provider's backend can tell (read-only calls), for the API.
 */

/** What admission asks of a provider: its validation and checks, never a launch. */
export type AdmissionProvider = Pick<
  InstanceProvider,
  'name' | 'validate' | 'validateLaunch' | 'preflight'
> & {
  /** Present when the provider registers instances in load balancers (only its presence is asked). */
  readonly targets?: unknown;
};
/** What admission asks of a flavor: its validation, preparation (for the launch check) and checks. */
export type AdmissionFlavor = Pick<Flavor, 'kind' | 'validate' | 'prepare' | 'prepareLaunch' | 'preflight'>;

/**
 * The providers and flavors a controller knows (the full ones: `ProviderRegistry`,
 * `FlavorRegistry`), or the CLI (their validation only: `shapeRegistries` in src/plugins).
 */
export interface Registries<
  P extends AdmissionProvider = InstanceProvider,
  F extends AdmissionFlavor = Flavor,
> {
  readonly providers: ReadonlyMap<string, P>;
  readonly flavors: ReadonlyMap<string, F>;
}

/** A spec admitted: normalized, with the provider and flavor that serve it. */
export interface AdmittedSpec<
  P extends AdmissionProvider = InstanceProvider,
  F extends AdmissionFlavor = Flavor,
> {
  readonly spec: GroupSpec;
  readonly provider: P;
  readonly flavor: F;
}

export type Admission<P extends AdmissionProvider = InstanceProvider, F extends AdmissionFlavor = Flavor> =
  | { readonly ok: true; readonly admitted: AdmittedSpec<P, F> }
  | { readonly ok: false; readonly issues: readonly FieldIssue[] };

export interface AdmitOptions {
  /** Check the prepared launch against the provider's launch limits (step 4). @default true */
  readonly checkLaunch?: boolean;
}

/** Runs `run`, turning a `SpecValidationError` into issues under `prefix`. */
function collect<T>(issues: FieldIssue[], prefix: string, run: () => T): T | undefined {
  try {
    return run();
  } catch (err) {
    if (!(err instanceof SpecValidationError)) throw err;
    issues.push(...(prefix ? err.withPrefix(prefix) : err).issues);
    return undefined;
  }
}

/** Admits `value` (a submitted document or a stored spec); never throws for a bad spec. */
export function admitSpec<P extends AdmissionProvider = InstanceProvider, F extends AdmissionFlavor = Flavor>(
  value: unknown,
  registries: Registries<P, F>,
  options: AdmitOptions = {},
): Admission<P, F> {
  const issues: FieldIssue[] = [];
  const spec = collect(issues, '', () => validateSpec(value));
  if (!spec) return { ok: false, issues };
  const provider = registries.providers.get(spec.instance.provider);
  const flavor = registries.flavors.get(spec.flavor.kind);
  if (!provider) {
    const known = [...registries.providers.keys()].sort().join(', ');
    issues.push({
      path: 'instance.provider',
      message: `unknown provider ${spec.instance.provider} (known: ${known})`,
    });
  }
  if (!flavor) {
    const known = [...registries.flavors.keys()].sort().join(', ');
    issues.push({ path: 'flavor.kind', message: `unknown flavor ${spec.flavor.kind} (known: ${known})` });
  }
  if (provider) issues.push(...servingIssues(spec, provider));
  const instanceProps = provider
    ? collect(issues, 'instance.properties', () => provider.validate(spec.instance.properties))
    : undefined;
  const flavorProps = flavor
    ? collect(issues, 'flavor.properties', () => flavor.validate(spec.flavor.properties, spec.allocation))
    : undefined;
  if (!provider || !flavor || !instanceProps || !flavorProps || issues.length > 0)
    return { ok: false, issues };
  const normalized: GroupSpec = {
    ...spec,
    instance: { ...spec.instance, properties: instanceProps },
    flavor: { ...spec.flavor, properties: flavorProps },
  };
  // Each is valid alone; together (the flavor's tags and init on the provider's launch) they may
  // still break a limit the provider only meets at launch, where it would block the group.
  if (options.checkLaunch ?? true) {
    const atLaunch = launchIssues(normalized, provider, flavor);
    if (atLaunch.length > 0) return { ok: false, issues: atLaunch };
  }
  return { ok: true, admitted: { spec: normalized, provider, flavor } };
}

/** What the spec asks of the provider beyond its properties: load balancers, target health. */
function servingIssues(spec: GroupSpec, provider: AdmissionProvider): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (spec.loadBalancers && provider.targets === undefined)
    issues.push({
      path: 'loadBalancers',
      message: `provider ${provider.name} does not register instances in load balancers (ec2 does)`,
    });
  if (spec.health.sources?.includes('target-group') && !spec.loadBalancers)
    issues.push({ path: 'health.sources', message: 'target-group needs loadBalancers.targetGroupArns' });
  return issues;
}

/** Admits `value` or throws `SpecValidationError` with every issue. */
export function admitOrThrow<
  P extends AdmissionProvider = InstanceProvider,
  F extends AdmissionFlavor = Flavor,
>(value: unknown, registries: Registries<P, F>, options: AdmitOptions = {}): AdmittedSpec<P, F> {
  const admission = admitSpec(value, registries, options);
  if (!admission.ok) throw new SpecValidationError([...admission.issues]);
  return admission.admitted;
}

/**
 * The provider's and the flavor's `preflight` on an admitted spec: what only their backends can tell
 * (a subnet's VPC, an image's owner against the launch guardrails; a flavor plugin's Validate). Issues have spec paths.
 * When there are none but a check could not be made because its backend did not answer
 * (`BackendError`, throttling), `CheckUnavailableError` names the fields left unchecked; any other
 * error is thrown as it is.
 */
export async function preflightIssues(
  admitted: AdmittedSpec,
  controllerId?: string,
): Promise<readonly FieldIssue[]> {
  const { provider, flavor, spec } = admitted;
  const unchecked: FieldIssue[] = [];
  const ask = async (prefix: string, check: () => Promise<void>): Promise<FieldIssue[]> => {
    try {
      await check();
      return [];
    } catch (err) {
      if (err instanceof SpecValidationError) return [...err.withPrefix(prefix).issues];
      if (err instanceof BackendError || err instanceof ThrottledError) {
        unchecked.push({ path: prefix, message: `could not be checked: ${err.message}` });
        return [];
      }
      throw err;
    }
  };
  const checks: Promise<FieldIssue[]>[] = [];
  const providerCheck = provider.preflight?.bind(provider);
  const flavorCheck = flavor.preflight?.bind(flavor);
  // With the controller's identity the provider may also check what the group already holds.
  const context = controllerId
    ? {
        owner: { controllerId, groupId: spec.id },
        ...(spec.allocation.logicalIds ? { logicalIds: spec.allocation.logicalIds } : {}),
      }
    : undefined;
  if (providerCheck)
    checks.push(ask('instance.properties', () => providerCheck(spec.instance.properties, context)));
  if (flavorCheck)
    checks.push(ask('flavor.properties', () => flavorCheck(spec.flavor.properties, spec.allocation)));
  const issues = (await Promise.all(checks)).flat();
  // A refusal is final whatever else could not be asked; an unanswered check is not a refusal.
  if (issues.length === 0 && unchecked.length > 0) throw new CheckUnavailableError(unchecked);
  return issues;
}

/** Issues as one line, for a blocked group's reason. */
export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
}
