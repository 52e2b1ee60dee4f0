import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { canonicalJson } from '../spec/hash.js';
import type { GroupSpec } from '../spec/schema.js';
import { TABLE_KEY } from './table.js';
import type {
  GroupEvent,
  GroupLifecycle,
  GroupRecord,
  GroupState,
  Intent,
  LifecycleResult,
  StoredSpec,
} from './types.js';

/**
 * Item ↔ domain mapping. Structured values that are always written whole (the spec, an intent's
 * body, an event, `healthSince`) are JSON strings: compact, and they round-trip exactly. `retiring`
 * is a map because the events handler merges single keys into it; `openIntents` is a string set
 * because intents are added and removed with atomic ADD / DELETE.
 */

export type Item = Record<string, AttributeValue>;

/** Attribute names of the items (the TTL attribute is `expiresAt`, see table.ts). */
export const ATTR = {
  spec: 'spec',
  version: 'version',
  etag: 'etag',
  updatedAt: 'updatedAt',
  /** Group record: when this incarnation of the group was created; history: the same, copied. */
  createdAt: 'createdAt',
  lifecycle: 'lifecycle',
  /** A destroying group: also delete what its pets keep (DELETE `?deleteVolumes=true`). */
  deleteVolumes: 'deleteVolumes',
  leaseOwner: 'leaseOwner',
  leaseToken: 'leaseToken',
  /** Not `expiresAt`: that name is the table's TTL attribute and would let DynamoDB delete the group. */
  leaseExpiresAt: 'leaseExpiresAt',
  revision: 'revision',
  lastSummary: 'lastSummary',
  blocked: 'blocked',
  lastReconcileAt: 'lastReconcileAt',
  openIntents: 'openIntents',
  healthSince: 'healthSince',
  retiring: 'retiring',
  nextCheckAt: 'nextCheckAt',
  /** Group record: the planner's memory between passes (JSON); record and history: a version's note. */
  memory: 'memory',
  note: 'note',
  intent: 'intent',
  doneAt: 'doneAt',
  launchedIds: 'launchedIds',
  drainingSince: 'drainingSince',
  stoppingSince: 'stoppingSince',
  launchingUntil: 'launchingUntil',
  launchingDefault: 'launchingDefault',
  /** String set of `<lifecycle key>=<result>` (`lifecycleKey`): added by the API, removed by the holder. */
  lifecycleDone: 'lifecycleDone',
  event: 'event',
  groupId: 'groupId',
} as const;

/** `"<version>-<hash>"`: changes with every version, and differs between two specs at one version. */
export function etagOf(spec: GroupSpec, version: number): string {
  const hash = createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 12);
  return `"${version}-${hash}"`;
}

function s(item: Item, name: string): string | undefined {
  return item[name]?.S;
}

function n(item: Item, name: string): number | undefined {
  const raw = item[name]?.N;
  return raw === undefined ? undefined : Number(raw);
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`store item is missing ${what}`);
  return value;
}

function parseJson<T>(raw: string | undefined, fallback: T): T {
  return raw === undefined ? fallback : (JSON.parse(raw) as T);
}

/** The spec fields of a group record or a history item. */
export function storedSpecFromItem(item: Item): StoredSpec {
  const note = s(item, ATTR.note);
  return {
    spec: required(parseJson<GroupSpec | undefined>(s(item, ATTR.spec), undefined), ATTR.spec),
    version: required(n(item, ATTR.version), ATTR.version),
    etag: required(s(item, ATTR.etag), ATTR.etag),
    updatedAt: required(n(item, ATTR.updatedAt), ATTR.updatedAt),
    ...(note !== undefined ? { note } : {}),
  };
}

function stateFromItem(item: Item): GroupState {
  const owner = s(item, ATTR.leaseOwner);
  const token = s(item, ATTR.leaseToken);
  const expiresAt = n(item, ATTR.leaseExpiresAt);
  const retiring: Record<string, number> = {};
  for (const [instanceId, value] of Object.entries(item[ATTR.retiring]?.M ?? {})) {
    if (value.N !== undefined) retiring[instanceId] = Number(value.N);
  }
  const optional = {
    lastSummary: s(item, ATTR.lastSummary),
    blocked: s(item, ATTR.blocked),
    lastReconcileAt: n(item, ATTR.lastReconcileAt),
    nextCheckAt: n(item, ATTR.nextCheckAt),
  };
  return {
    ...(owner !== undefined && token !== undefined && expiresAt !== undefined
      ? { lease: { owner, token, expiresAt } }
      : {}),
    revision: n(item, ATTR.revision) ?? 0,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    openIntents: [...(item[ATTR.openIntents]?.SS ?? [])].sort(),
    healthSince: parseJson<GroupState['healthSince']>(s(item, ATTR.healthSince), {}),
    retiring,
    lifecycleDone: lifecycleDoneOf(item[ATTR.lifecycleDone]?.SS ?? []),
    ...(item[ATTR.memory]?.S !== undefined
      ? { memory: parseJson<NonNullable<GroupState['memory']>>(s(item, ATTR.memory), {}) }
      : {}),
  };
}

/** `<instance id>=<result>` set members ↔ marks. */
export function lifecycleMember(instanceId: string, result: LifecycleResult): string {
  return `${instanceId}=${result}`;
}

function lifecycleDoneOf(members: readonly string[]): Record<string, LifecycleResult> {
  const done: Record<string, LifecycleResult> = {};
  for (const member of members) {
    const at = member.lastIndexOf('=');
    const result = member.slice(at + 1);
    // Two calls with different results: abandon wins (the safer of the two for a launch).
    if (at > 0 && (result === 'continue' || result === 'abandon') && done[member.slice(0, at)] !== 'abandon')
      done[member.slice(0, at)] = result;
  }
  return done;
}

export function groupFromItem(item: Item): GroupRecord {
  return {
    id: required(s(item, TABLE_KEY.sort), TABLE_KEY.sort),
    ...storedSpecFromItem(item),
    lifecycle: (s(item, ATTR.lifecycle) ?? 'active') as GroupLifecycle,
    ...(item[ATTR.deleteVolumes]?.BOOL ? { deleteVolumes: true } : {}),
    state: stateFromItem(item),
  };
}

/** The immutable part of an intent, stored as one JSON attribute. */
type IntentBody = Omit<
  Intent,
  'doneAt' | 'launchedIds' | 'drainingSince' | 'stoppingSince' | 'launchingUntil' | 'launchingDefault'
>;

export function intentBody(intent: Intent): string {
  const {
    doneAt: _done,
    launchedIds: _launched,
    drainingSince: _draining,
    stoppingSince: _stopping,
    launchingUntil: _until,
    launchingDefault: _default,
    ...body
  } = intent;
  return JSON.stringify(body satisfies IntentBody);
}

export function intentFromItem(item: Item): Intent {
  const body = parseJson<IntentBody | undefined>(s(item, ATTR.intent), undefined);
  const doneAt = n(item, ATTR.doneAt);
  const launchedIds = parseJson<readonly string[] | undefined>(s(item, ATTR.launchedIds), undefined);
  const drainingSince = n(item, ATTR.drainingSince);
  const stoppingSince = n(item, ATTR.stoppingSince);
  const launchingUntil = n(item, ATTR.launchingUntil);
  const launchingDefault = s(item, ATTR.launchingDefault);
  return {
    ...required(body, ATTR.intent),
    ...(doneAt !== undefined ? { doneAt } : {}),
    ...(drainingSince !== undefined ? { drainingSince } : {}),
    ...(stoppingSince !== undefined ? { stoppingSince } : {}),
    ...(launchingUntil !== undefined ? { launchingUntil } : {}),
    ...(launchingDefault === 'continue' || launchingDefault === 'abandon' ? { launchingDefault } : {}),
    ...(launchedIds !== undefined ? { launchedIds } : {}),
  };
}

export function eventFromItem(item: Item): GroupEvent {
  return required(parseJson<GroupEvent | undefined>(s(item, ATTR.event), undefined), ATTR.event);
}
