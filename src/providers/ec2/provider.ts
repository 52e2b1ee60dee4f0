import { type FieldIssue, SpecValidationError } from '../../errors.js';
import type {
  AttachResult,
  CallOptions,
  DescribeSelector,
  DestroyResult,
  InstanceDescription,
  InstanceOwner,
  InstanceProvider,
  PreflightContext,
  ProvisionRequest,
  ProvisionResult,
  ReleaseRequest,
  ReleaseResult,
  RetainedResource,
  TargetGroups,
} from '../types.js';
import { CallCounter, createEc2Api, type Ec2Api } from './api.js';
import { describeInstances, lookupByIds, tagRecord } from './describe.js';
import { destroyInstances } from './destroy.js';
import { toProviderError } from './errors.js';
import { keepInstances, rebootInstances } from './forensics.js';
import { guardrailIssues, type LaunchGuardrails, remoteGuardrailIssues } from './guardrails.js';
import { labelInstances } from './label.js';
import { checkLaunchRequest } from './launch-limits.js';
import { attachPets } from './pet-attach.js';
import { checkPetRequest } from './pet-launch.js';
import { zoneIssues } from './pet-placement.js';
import { releasePets, retainedPets } from './pet-release.js';
import { parseEc2Properties, petResourcesOf } from './properties.js';
import { provisionInstances } from './provision.js';
import type { RetryOptions } from './retry.js';
import type { Ec2ClientSource } from './sdk.js';
import { realSleep, type Sleep, TokenBucket } from './token-bucket.js';

export interface Ec2ProviderOptions {
  /**
   * The EC2 client, built by the caller with its endpoint (AWS, moto, any compatible endpoint),
   * region and credentials; or a function building it on first use (`lazyEc2Client`). Tip: `maxAttempts: 1` leaves retries to this provider alone, whose
   * backoff and token bucket then see every attempt.
   */
  readonly client: Ec2ClientSource;
  /** Epoch ms, for the token bucket. @default Date.now */
  readonly now?: () => number;
  /** Used by the token bucket and the retry backoff. @default setTimeout-based */
  readonly sleep?: Sleep;
  /** Paces RunInstances; share one between providers of the same account and region. @default 5 burst, 2/s */
  readonly bucket?: TokenBucket;
  /** Retry of throttled calls. @default 5 attempts, full jitter from 200 ms, at most 10 s */
  readonly retry?: Omit<RetryOptions, 'sleep'>;
  /** Limits on what may be launched at all, whatever a spec says. @default none */
  readonly guardrails?: LaunchGuardrails;
  /** ELBv2 target groups (`Elbv2TargetGroups`), for specs with `loadBalancers`. @default none */
  readonly targets?: TargetGroups;
}

/**
 * The EC2 instance provider (`provider: ec2`). Membership lives in tags set at launch; every call
 * goes through a narrow, counted, retried port (`api.ts`). Nothing is built or read at import time.
 *
 * @example
 * const provider = new Ec2Provider({ client: new EC2Client({ region: 'eu-west-1' }) });
 */
export class Ec2Provider implements InstanceProvider {
  readonly name = 'ec2';
  /** EC2 requests sent by this provider, by operation (retries included). */
  readonly calls = new CallCounter();
  private readonly api: Ec2Api;
  private readonly guardrails: LaunchGuardrails;
  readonly targets?: TargetGroups;

  constructor(options: Ec2ProviderOptions) {
    const sleep = options.sleep ?? realSleep;
    const bucket = options.bucket ?? new TokenBucket({ sleep, ...(options.now ? { now: options.now } : {}) });
    this.api = createEc2Api({
      client: options.client,
      counter: this.calls,
      bucket,
      retry: { ...options.retry, sleep },
    });
    this.guardrails = options.guardrails ?? {};
    if (options.targets) this.targets = options.targets;
  }

  /** Strict zod validation with field paths; fills in defaults (IMDSv2 required, …); the guardrails. Pure. */
  validate(properties: unknown): Record<string, unknown> {
    const parsed = parseEc2Properties(properties);
    const issues = guardrailIssues(parsed, this.guardrails);
    if (issues.length > 0) throw new SpecValidationError(issues);
    return parsed;
  }

  /** The guardrails only EC2 can check: the subnets' VPCs (DescribeSubnets), the image's owner (DescribeImages). */
  async preflight(properties: Record<string, unknown>, context?: PreflightContext): Promise<void> {
    let issues: FieldIssue[];
    try {
      const p = parseEc2Properties(properties);
      issues = await remoteGuardrailIssues(this.api, p, this.guardrails);
      if (context && petResourcesOf(p)) issues.push(...(await zoneIssues(this.api, p, context)));
    } catch (err) {
      throw toProviderError(err, 'checking the launch guardrails');
    }
    if (issues.length > 0) throw new SpecValidationError(issues);
  }

  /** EC2's launch limits on a prepared request: 50 tags per resource, 16 KB of user data. Pure. */
  validateLaunch(properties: Record<string, unknown>, request: ProvisionRequest): void {
    const p = parseEc2Properties(properties);
    checkLaunchRequest(p, request);
    checkPetRequest(p, request);
  }

  /**
   * One RunInstances per batch (cattle sharing a token and tags), tagged at launch on instances
   * and volumes, `ClientToken` derived from the intent token, spread across `subnetIds`, capacity
   * fallback over `instanceTypes` then subnets. EC2 honours the client token; moto does not, so
   * the engine describes by `infrakit.intent` before retrying an intent.
   */
  provision(
    properties: Record<string, unknown>,
    requests: readonly ProvisionRequest[],
    options?: CallOptions,
  ): Promise<ProvisionResult> {
    return provisionInstances(this.api, parseEc2Properties(properties), requests, options?.signal);
  }

  /**
   * One paginated DescribeInstances plus the status checks; throws rather than return a partial
   * list. Aborted: the request on the wire is aborted and no further page or status call is sent.
   */
  async describe(selector: DescribeSelector, options?: CallOptions): Promise<readonly InstanceDescription[]> {
    try {
      return await describeInstances(this.api, selector, options?.signal);
    } catch (err) {
      throw toProviderError(err, 'describing instances');
    }
  }

  /** One DescribeInstances by `instance-id` filter per 200 ids (unknown ids match nothing). */
  async tagsOf(
    ids: readonly string[],
    options?: CallOptions,
  ): Promise<ReadonlyMap<string, Readonly<Record<string, string>>>> {
    if (ids.length === 0) return new Map();
    try {
      const found = await lookupByIds(this.api, ids, options?.signal);
      return new Map([...found].map(([id, instance]) => [id, tagRecord(instance.Tags)]));
    } catch (err) {
      throw toProviderError(err, 'reading target tags');
    }
  }

  /** Ownership re-checked by tag first; `NotOwnedError` before anything is terminated. Idempotent. */
  async destroy(
    ids: readonly string[],
    owner: InstanceOwner,
    _reason: string,
    options?: CallOptions,
  ): Promise<DestroyResult> {
    try {
      return await destroyInstances(this.api, ids, owner, options?.signal);
    } catch (err) {
      throw toProviderError(err, 'destroying instances');
    }
  }

  /** A pet's volumes and Elastic IP, attached once it runs (`pet-attach.ts`). */
  async attach(
    properties: Record<string, unknown>,
    instances: readonly InstanceDescription[],
    owner: InstanceOwner,
    options?: CallOptions,
  ): Promise<AttachResult> {
    try {
      return await attachPets(this.api, parseEc2Properties(properties), owner, instances, options?.signal);
    } catch (err) {
      throw toProviderError(err, 'attaching pet resources');
    }
  }

  /** Deletes removed (or, with `all`, every) logical IDs' volumes, interfaces and addresses (`pet-release.ts`). */
  async release(
    properties: Record<string, unknown>,
    owner: InstanceOwner,
    request: ReleaseRequest,
    options?: CallOptions,
  ): Promise<ReleaseResult> {
    try {
      return await releasePets(this.api, parseEc2Properties(properties), owner, request, options?.signal);
    } catch (err) {
      throw toProviderError(err, 'releasing pet resources');
    }
  }

  /** The volumes, interfaces and addresses the group's logical IDs keep. Read-only. */
  async retained(
    properties: Record<string, unknown>,
    owner: InstanceOwner,
    options?: CallOptions,
  ): Promise<readonly RetainedResource[]> {
    try {
      return await retainedPets(this.api, parseEc2Properties(properties), owner, options?.signal);
    } catch (err) {
      throw toProviderError(err, 'listing pet resources');
    }
  }

  /** RebootInstances after the ownership check (the remediation ladder's `reboot`). */
  async reboot(ids: readonly string[], owner: InstanceOwner, options?: CallOptions): Promise<void> {
    await rebootInstances(this.api, ids, owner, options?.signal);
  }

  /** Out of the group, still running: `infrakit.retained` added, then `infrakit.group` removed. */
  keepForForensics(
    ids: readonly string[],
    owner: InstanceOwner,
    options?: CallOptions,
  ): Promise<DestroyResult> {
    return keepInstances(this.api, ids, owner, options?.signal);
  }

  /** CreateTags; unknown or terminated instances are skipped. Idempotent. */
  async label(ids: readonly string[], tags: Readonly<Record<string, string>>): Promise<void> {
    try {
      await labelInstances(this.api, ids, tags);
    } catch (err) {
      throw toProviderError(err, 'labelling instances');
    }
  }
}
