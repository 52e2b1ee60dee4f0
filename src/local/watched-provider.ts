import type {
  CallOptions,
  DescribeSelector,
  DestroyOptions,
  DestroyResult,
  InstanceDescription,
  InstanceOwner,
  InstanceProvider,
  ProvisionRequest,
  ProvisionResult,
} from '../providers/types.js';
import { TAG_GROUP } from '../tags.js';

/**
 * A pass-through provider that remembers which group each instance it has seen belongs to, and
 * which instances the controller itself is terminating. Local mode needs both when a process exit
 * is reported: to reconcile the right group at once, and to tell a crash from a termination.
 */
export class WatchedProvider implements InstanceProvider {
  readonly name: string;
  private readonly groupById = new Map<string, string>();
  private readonly terminating = new Map<string, string>();

  constructor(private readonly inner: InstanceProvider) {
    this.name = inner.name;
  }

  /** The group of an instance this controller launched or observed, if known. */
  groupOf(instanceId: string): string | undefined {
    return this.groupById.get(instanceId);
  }

  /** The reason given when this controller terminated the instance, if it did. */
  terminationReason(instanceId: string): string | undefined {
    return this.terminating.get(instanceId);
  }

  /** Forgets an instance once its exit has been handled. */
  forget(instanceId: string): void {
    this.groupById.delete(instanceId);
    this.terminating.delete(instanceId);
  }

  validate(properties: unknown): Record<string, unknown> {
    return this.inner.validate(properties);
  }

  async provision(
    properties: Record<string, unknown>,
    requests: readonly ProvisionRequest[],
    options?: CallOptions,
  ): Promise<ProvisionResult> {
    const result = await this.inner.provision(properties, requests, options);
    this.remember(result.launched);
    return result;
  }

  async describe(selector: DescribeSelector, options?: CallOptions): Promise<readonly InstanceDescription[]> {
    const found = await this.inner.describe(selector, options);
    this.remember(found);
    return found;
  }

  destroy(
    ids: readonly string[],
    owner: InstanceOwner,
    reason: string,
    options?: DestroyOptions,
  ): Promise<DestroyResult> {
    // Recorded before the call: the exit can be reported while destroy is still waiting for it.
    for (const id of ids) this.terminating.set(id, reason);
    return this.inner.destroy(ids, owner, reason, options);
  }

  /** The inner provider's `stop` (a drain's SIGTERM); the exit that follows is a termination, not a crash. */
  async stop(ids: readonly string[], owner: InstanceOwner, reason: string): Promise<void> {
    if (!this.inner.stop) return;
    for (const id of ids) this.terminating.set(id, reason);
    await this.inner.stop(ids, owner, reason);
  }

  label(ids: readonly string[], tags: Readonly<Record<string, string>>): Promise<void> {
    return this.inner.label(ids, tags);
  }

  private remember(instances: readonly InstanceDescription[]): void {
    for (const i of instances) {
      const group = i.tags[TAG_GROUP];
      if (group) this.groupById.set(i.id, group);
    }
  }
}
