/**
 * What a pass does about a failing rollout once it has acted: the planner's rollout progress,
 * plus what only acting could tell (launches the provider refused, a config it rejected), the
 * halt said in the status and an event, and with `update.autoRollback` the previous config made
 * current again as a new version of the spec naming the failed one.
 *
 * Rollback is written like any spec change (a conditional write on the version this pass read):
 * a user's change in between wins, and the next pass plans with whatever is current. It is tried
 * once per failed config (`rollbackAttempted`), and never for a version that is itself an
 * automatic rollback, so two bad configs cannot roll each other back for ever.
 */
import { withFailedLaunches } from '../plan/index.js';
import type { RolloutProgress } from '../plan/types.js';
import { configHash } from '../spec/hash.js';
import { restoreConfig } from '../spec/rollback.js';
import { GroupDestroyingError, VersionConflictError } from '../store/errors.js';
import type { GroupEvent, GroupRecord, PlanMemory, StoredSpec } from '../store/types.js';
import type { EngineContext } from './context.js';
import type { StatePatch } from './state-patch.js';
import type { GroupTarget } from './target.js';

/** How every automatic rollback's note begins (and how one is recognized). */
export const AUTO_ROLLBACK_NOTE = 'automatic rollback';
/** History pages searched for the previous config (newest first, 20 versions a page). */
const HISTORY_PAGES = 5;

/** What acting told about the rolled-out config this pass. */
export interface ActedOutcome {
  readonly failedLaunches: number;
  /** Instances of the current config launched this pass (gone before the next look: a failure). */
  readonly launchedCurrent: readonly string[];
  /** New instances whose launching hook was abandoned this pass: counted in `failedLaunches`, no longer watched. */
  readonly abandoned: readonly string[];
  /** The provider rejected the current config (`InvalidConfigurationError`). */
  readonly rejection?: string;
  readonly events: GroupEvent[];
}

function withActed(planned: RolloutProgress, acted: ActedOutcome, target: GroupTarget): RolloutProgress {
  if (planned.halted !== undefined) return planned;
  const abandoned = new Set(acted.abandoned);
  const watching = [...new Set([...(planned.watching ?? []), ...acted.launchedCurrent])]
    .filter((id) => !abandoned.has(id))
    .sort();
  const { watching: _watched, ...rest } = planned;
  const rollout: RolloutProgress = watching.length > 0 ? { ...rest, watching } : rest;
  // A rejected config fails every launch the same way: no point in counting to the limit.
  if (acted.rejection !== undefined)
    return { ...rollout, halted: `rollout of config ${rollout.configHash} halted: ${acted.rejection}` };
  return withFailedLaunches(rollout, acted.failedLaunches, target.spec);
}

/** The newest version before `record`'s whose config differs from `failedHash`. */
async function previousConfig(
  ctx: EngineContext,
  record: GroupRecord,
  failedHash: string,
): Promise<StoredSpec | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < HISTORY_PAGES; page += 1) {
    const versions = await ctx.store.listVersions(record.id, { limit: 20, ...(cursor ? { cursor } : {}) });
    for (const v of versions.items)
      if (v.version < record.version && configHash(v.spec) !== failedHash) return v;
    if (!versions.next) return undefined;
    cursor = versions.next;
  }
  return undefined;
}

type RollbackOutcome =
  | { readonly ok: true; readonly message: string; readonly restoredConfigHash: string }
  | { readonly ok: false; readonly message: string };

async function rollBack(
  ctx: EngineContext,
  record: GroupRecord,
  rollout: RolloutProgress,
  now: number,
): Promise<RollbackOutcome> {
  const failed = `version ${record.version} (config ${rollout.configHash})`;
  if (record.note?.startsWith(AUTO_ROLLBACK_NOTE))
    return { ok: false, message: `not rolled back: ${failed} is itself an automatic rollback` };
  ctx.step('rollback', record.id);
  const previous = await previousConfig(ctx, record, rollout.configHash);
  if (!previous) return { ok: false, message: `not rolled back: no earlier version has another config` };
  const note =
    `${AUTO_ROLLBACK_NOTE} of ${failed}: ${rollout.halted ?? 'halted'}; ` +
    `restores the instance and flavor of version ${previous.version}`;
  try {
    // The previous version's properties were admitted when it was written; nothing else changes.
    const stored = await ctx.store.putSpec(restoreConfig(record.spec, previous.spec), {
      expectedVersion: record.version,
      now,
      note,
    });
    return {
      ok: true,
      message:
        `rolled back: version ${stored.version} restores the config of version ${previous.version} ` +
        `after ${failed} failed`,
      restoredConfigHash: configHash(previous.spec),
    };
  } catch (err) {
    if (err instanceof VersionConflictError || err instanceof GroupDestroyingError)
      return { ok: false, message: `not rolled back: the spec changed meanwhile, its new version decides` };
    throw err;
  }
}

/**
 * The state this pass leaves, with the rollout settled (see the top of this file). Pushes the
 * `rollout-halted` and `rollback` events onto `acted.events`.
 */
export async function settleRollout(
  ctx: EngineContext,
  record: GroupRecord,
  target: GroupTarget,
  desired: StatePatch,
  acted: ActedOutcome,
  now: number,
): Promise<StatePatch> {
  const memory: PlanMemory = desired.memory ?? {};
  const planned = memory.rollout;
  if (!planned || planned.configHash !== target.configHash || target.destroying) return desired;
  const rollout = withActed(planned, acted, target);
  if (rollout.halted === undefined) return { ...desired, memory: { ...memory, rollout } };

  const event = (level: GroupEvent['level'], kind: string, message: string, data: object) =>
    acted.events.push({ groupId: record.id, at: now, level, kind, message, data: { ...data } });
  const before = record.state.memory?.rollout;
  const data = { version: record.version, configHash: rollout.configHash };
  if (before?.configHash !== rollout.configHash || before.halted === undefined)
    event('error', 'rollout-halted', rollout.halted, data);

  let blocked = rollout.halted;
  let next: PlanMemory = { ...memory, rollout };
  if (target.spec.update.autoRollback && memory.rollbackAttempted !== rollout.configHash) {
    next = { ...next, rollbackAttempted: rollout.configHash };
    const outcome = await rollBack(ctx, record, rollout, now);
    blocked = `${rollout.halted}; ${outcome.message}`;
    if (outcome.ok) {
      next = {
        ...next,
        rollback: { at: now, message: blocked, restoredConfigHash: outcome.restoredConfigHash },
      };
      event('warn', 'rollback', blocked, data);
    } else event('error', 'rollback-refused', blocked, data);
  } else if (memory.rollbackAttempted === rollout.configHash) blocked = desired.blocked ?? blocked;
  return { ...desired, memory: next, blocked, lastSummary: blocked };
}
