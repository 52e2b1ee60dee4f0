import { NotOwnedError } from '../../src/errors.js';
import type {
  DescribeSelector,
  DestroyResult,
  InstanceDescription,
  InstanceOwner,
  InstanceProvider,
  InstanceState,
  ProviderHealth,
  ProvisionRequest,
  ProvisionResult,
} from '../../src/providers/types.js';
import { isOwnedBy, TAG_GROUP } from '../../src/tags.js';

/**
 * A recording, in-memory instance provider with fault injection (after Karpenter's fake cloud
 * provider). Like moto and the process provider it ignores idempotency tokens: provisioning the
 * same token twice launches twice, so the engine alone must prevent duplicates.
 */

export interface FakeInstance {
  id: string;
  state: InstanceState;
  tags: Record<string, string>;
  launchedAt: number;
  health: ProviderHealth;
  init?: string;
}

export interface FakeCalls {
  provision: ProvisionRequest[][];
  describe: DescribeSelector[];
  destroy: { ids: string[]; groupId: string; reason: string }[];
  label: { ids: string[]; tags: Record<string, string> }[];
}

/** Faults armed for the next calls; each is consumed when it fires. */
export interface FakeFaults {
  /** Queue for the next describes: `fail` throws, `hang` never answers (the engine's timeout fires). */
  describe: ('fail' | 'hang')[];
  /** The next provision launches this many instances, then throws (0: throws before launching). */
  provisionFailAfter?: number;
  /** The next provision throws this error without launching anything. */
  provisionError?: Error;
  /** The next provision waits for this before launching (a caller stalled inside the call). */
  provisionHold?: Promise<void>;
  /** The next destroy destroys this many instances, then throws. */
  destroyFailAfter?: number;
  /** The next destroy waits for this before destroying anything (a caller stalled inside the call). */
  destroyHold?: Promise<void>;
}

export interface FakeProviderOptions {
  readonly name?: string;
  /** Clock for launch times, epoch ms. */
  readonly now?: () => number;
  /** Yield to the event loop inside every call, so concurrent engines interleave. */
  readonly interleave?: boolean;
}

const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

function matches(instance: FakeInstance, selector: DescribeSelector): boolean {
  for (const [k, v] of Object.entries(selector.tags ?? {})) if (instance.tags[k] !== v) return false;
  for (const k of selector.tagKeys ?? []) if (!(k in instance.tags)) return false;
  return true;
}

export class FakeProvider implements InstanceProvider {
  readonly name: string;
  readonly instances = new Map<string, FakeInstance>();
  readonly calls: FakeCalls = { provision: [], describe: [], destroy: [], label: [] };
  readonly faults: FakeFaults = { describe: [] };
  /** Every instance ever launched, including those since destroyed or killed. */
  launchedTotal = 0;
  /** Instances ever launched per idempotency token (also those of calls that failed half way). */
  readonly launchedByToken = new Map<string, number>();
  private counter = 0;
  private readonly now: () => number;
  private readonly interleave: boolean;

  constructor(options: FakeProviderOptions = {}) {
    this.name = options.name ?? 'fake';
    this.now = options.now ?? Date.now;
    this.interleave = options.interleave ?? true;
  }

  validate(properties: unknown): Record<string, unknown> {
    return { ...((properties ?? {}) as Record<string, unknown>) };
  }

  async provision(
    _properties: Record<string, unknown>,
    requests: readonly ProvisionRequest[],
  ): Promise<ProvisionResult> {
    this.calls.provision.push([...requests]);
    // Taken at once, so the hold stalls this very call even when others run concurrently.
    const hold = this.faults.provisionHold;
    this.faults.provisionHold = undefined;
    if (this.interleave) await yieldNow();
    if (hold) await hold;
    const failing = this.faults.provisionError;
    if (failing) {
      this.faults.provisionError = undefined;
      throw failing;
    }
    const failAfter = this.faults.provisionFailAfter;
    this.faults.provisionFailAfter = undefined;
    const launched: InstanceDescription[] = [];
    for (const request of requests) {
      if (failAfter !== undefined && launched.length >= failAfter) {
        throw new Error(`injected provision failure after ${launched.length} of ${requests.length}`);
      }
      this.counter += 1;
      const instance: FakeInstance = {
        id: `i-${this.counter.toString().padStart(5, '0')}`,
        state: 'running',
        tags: { ...request.tags },
        launchedAt: this.now(),
        health: { status: 'ok' },
        ...(request.init !== undefined ? { init: request.init } : {}),
      };
      this.instances.set(instance.id, instance);
      this.launchedTotal += 1;
      this.launchedByToken.set(request.token, (this.launchedByToken.get(request.token) ?? 0) + 1);
      launched.push(this.describeOne(instance));
    }
    return { launched };
  }

  async describe(selector: DescribeSelector): Promise<readonly InstanceDescription[]> {
    this.calls.describe.push(selector);
    const fault = this.faults.describe.shift();
    if (fault === 'hang') return new Promise<never>(() => {});
    if (this.interleave) await yieldNow();
    if (fault === 'fail') throw new Error('injected describe failure');
    return [...this.instances.values()].filter((i) => matches(i, selector)).map((i) => this.describeOne(i));
  }

  async destroy(ids: readonly string[], owner: InstanceOwner, reason: string): Promise<DestroyResult> {
    const { groupId } = owner;
    this.calls.destroy.push({ ids: [...ids], groupId, reason });
    const hold = this.faults.destroyHold;
    this.faults.destroyHold = undefined;
    if (this.interleave) await yieldNow();
    if (hold) await hold;
    const foreign = ids.filter((id) => {
      const instance = this.instances.get(id);
      return instance !== undefined && !isOwnedBy(instance.tags, owner);
    });
    if (foreign.length > 0) throw new NotOwnedError(foreign, owner);
    const failAfter = this.faults.destroyFailAfter;
    this.faults.destroyFailAfter = undefined;
    const destroyed: string[] = [];
    for (const id of ids) {
      if (failAfter !== undefined && destroyed.length >= failAfter) {
        throw new Error(`injected destroy failure after ${destroyed.length} of ${ids.length}`);
      }
      this.instances.delete(id);
      destroyed.push(id);
    }
    return { destroyed };
  }

  async label(ids: readonly string[], tags: Readonly<Record<string, string>>): Promise<void> {
    this.calls.label.push({ ids: [...ids], tags: { ...tags } });
    for (const id of ids) {
      const instance = this.instances.get(id);
      if (instance) Object.assign(instance.tags, tags);
    }
  }

  // ---- out-of-band manipulation, as the real world would do it ----

  /** Terminates instances behind the controller's back (a crash, a Spot reclaim, an operator). */
  kill(...ids: string[]): void {
    for (const id of ids) this.instances.delete(id);
  }

  setHealth(id: string, health: ProviderHealth): void {
    const instance = this.instances.get(id);
    if (instance) instance.health = health;
  }

  setState(id: string, state: InstanceState): void {
    const instance = this.instances.get(id);
    if (instance) instance.state = state;
  }

  /** Adds an instance as if someone else launched it (with whatever tags). */
  inject(tags: Record<string, string>, launchedAt = this.now()): string {
    this.counter += 1;
    const id = `i-${this.counter.toString().padStart(5, '0')}`;
    this.instances.set(id, { id, state: 'running', tags: { ...tags }, launchedAt, health: { status: 'ok' } });
    return id;
  }

  /** Live instances of one group. */
  ofGroup(groupId: string): FakeInstance[] {
    return [...this.instances.values()].filter((i) => i.tags[TAG_GROUP] === groupId);
  }

  /** Forgets recorded calls (the instances stay). */
  resetCalls(): void {
    this.calls.provision.length = 0;
    this.calls.describe.length = 0;
    this.calls.destroy.length = 0;
    this.calls.label.length = 0;
  }

  private describeOne(instance: FakeInstance): InstanceDescription {
    return {
      id: instance.id,
      state: instance.state,
      tags: { ...instance.tags },
      launchedAt: instance.launchedAt,
      health: { ...instance.health },
    };
  }
}

/** The controller identity engines in tests run as (instances they launch carry it). */
export const TEST_CONTROLLER_ID = 'test-controller';
