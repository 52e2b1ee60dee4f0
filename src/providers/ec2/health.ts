import type { InstanceStatus, InstanceStatusSummary } from '@aws-sdk/client-ec2';
import type { ProviderHealth } from '../types.js';
import type { Ec2Api } from './api.js';
import { isNotFound } from './errors.js';

/** DescribeInstanceStatus accepts at most 100 explicit instance ids per call. */
export const STATUS_IDS_PER_CALL = 100;
/** The largest page DescribeInstanceStatus returns when listing without ids. */
export const STATUS_PAGE_SIZE = 1000;
/** States whose status checks are worth reading (terminated instances are never observed). */
export const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] as const;

const UNKNOWN: ProviderHealth = { status: 'unknown' };

/** Earliest `ImpairedSince` of a failed check in a summary, epoch ms. */
function impairedSince(summary: InstanceStatusSummary | undefined): number | undefined {
  const times = (summary?.Details ?? [])
    .map((d) => d.ImpairedSince?.getTime())
    .filter((t): t is number => t !== undefined && Number.isFinite(t));
  return times.length > 0 ? Math.min(...times) : undefined;
}

/**
 * Health from EC2's status checks: any of the system, instance or attached-EBS checks impaired →
 * impaired (since the earliest failure EC2 reports); all reported checks ok → ok; otherwise
 * (initializing, insufficient-data, not-applicable for a stopped instance) unknown.
 */
export function healthFromStatus(status: InstanceStatus): ProviderHealth {
  const summaries = [status.SystemStatus, status.InstanceStatus, status.AttachedEbsStatus].filter(
    (s): s is InstanceStatusSummary => s?.Status !== undefined,
  );
  const impaired = summaries.filter((s) => s.Status === 'impaired');
  if (impaired.length > 0) {
    const times = impaired.map(impairedSince).filter((t): t is number => t !== undefined);
    return times.length > 0 ? { status: 'impaired', since: Math.min(...times) } : { status: 'impaired' };
  }
  if (summaries.length >= 2 && summaries.every((s) => s.Status === 'ok')) return { status: 'ok' };
  return UNKNOWN;
}

/**
 * Status checks of `ids`, with as few calls as the numbers allow:
 *
 * - up to 100 instances: one call naming them (`InstanceIds`, the per-call maximum);
 * - more: the region is listed in pages of 1,000 (`IncludeAllInstances`, live states only) until
 *   every wanted instance has been seen. A region that holds mostly our instances (the usual case
 *   for an account dedicated to the controller) costs one page per 1,000 instances — 1 call for
 *   1,000 instances where naming them would take 10. So that foreign instances can never make
 *   this cost more than twice the by-id way, listing stops after ⌈n / 100⌉ pages and whatever is
 *   still missing is asked for by id.
 *
 * An instance that EC2 reports unknown while naming it (terminated in between) gets `unknown`
 * health; any other failure throws, so the caller never returns a partial observation. Once
 * `signal` aborts, no further page or call is sent.
 */
export async function fetchHealth(
  api: Ec2Api,
  ids: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, ProviderHealth>> {
  const health = new Map<string, ProviderHealth>();
  const wanted = new Set(ids);
  if (wanted.size === 0) return health;
  let missing = wanted;
  if (wanted.size > STATUS_IDS_PER_CALL) missing = await listRegion(api, wanted, health, signal);
  const rest = [...missing];
  for (let i = 0; i < rest.length; i += STATUS_IDS_PER_CALL) {
    signal?.throwIfAborted();
    await fetchByIds(api, rest.slice(i, i + STATUS_IDS_PER_CALL), health, signal);
  }
  return health;
}

/** Lists the region's status pages; returns the wanted ids not seen within the page budget. */
async function listRegion(
  api: Ec2Api,
  wanted: ReadonlySet<string>,
  health: Map<string, ProviderHealth>,
  signal: AbortSignal | undefined,
): Promise<Set<string>> {
  const unseen = new Set(wanted);
  const budget = Math.ceil(wanted.size / STATUS_IDS_PER_CALL);
  let token: string | undefined;
  for (let page = 0; page < budget; page++) {
    signal?.throwIfAborted();
    const out = await api.describeInstanceStatus(
      {
        IncludeAllInstances: true,
        MaxResults: STATUS_PAGE_SIZE,
        Filters: [{ Name: 'instance-state-name', Values: [...LIVE_STATES] }],
        ...(token ? { NextToken: token } : {}),
      },
      { signal },
    );
    for (const s of out.InstanceStatuses ?? []) {
      if (s.InstanceId && unseen.delete(s.InstanceId)) health.set(s.InstanceId, healthFromStatus(s));
    }
    token = out.NextToken || undefined;
    // The listing is complete: an unseen instance left the live states in between; it stays unknown.
    if (!token) return new Set();
    if (unseen.size === 0) return unseen;
  }
  return unseen;
}

async function fetchByIds(
  api: Ec2Api,
  ids: readonly string[],
  health: Map<string, ProviderHealth>,
  signal: AbortSignal | undefined,
): Promise<void> {
  try {
    const out = await api.describeInstanceStatus(
      { InstanceIds: [...ids], IncludeAllInstances: true },
      { signal },
    );
    for (const s of out.InstanceStatuses ?? [])
      if (s.InstanceId) health.set(s.InstanceId, healthFromStatus(s));
  } catch (err) {
    // One id gone since DescribeInstances fails the whole call; the instances themselves were
    // observed completely, so their health is simply unknown this pass (never a reason to act).
    if (!isNotFound(err)) throw err;
  }
}
