import type { InstanceProvider } from '../providers/types.js';
import type { GroupRecord } from '../store/types.js';
import type { EngineContext } from './context.js';
import { guardedPass } from './guard.js';
import { type Observation, observeAllGroups } from './observe.js';
import { groupPlaces } from './places.js';
import { reconcileRecord } from './reconcile-group.js';
import type { ReconcileResult, SweepReport } from './types.js';

/** Stop taking new groups this long before the deadline: a started pass must have time to finish. */
export const DEADLINE_MARGIN_MS = 5_000;
const DEFAULT_CONCURRENCY = 8;

export interface SweepOptions {
  readonly ids?: readonly string[];
  readonly deadline?: number;
  readonly concurrency?: number;
}

async function loadRecords(ctx: EngineContext, ids: readonly string[] | undefined): Promise<GroupRecord[]> {
  if (ids) {
    const found = await Promise.all(ids.map((id) => ctx.store.getGroup(id)));
    return found.filter((r): r is GroupRecord => r !== undefined);
  }
  const records: GroupRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.store.listGroups(cursor ? { cursor } : {});
    records.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return records;
}

/** The places each of `records`' groups may have instances in on `provider` (`places.ts`). */
async function placesByGroup(
  ctx: EngineContext,
  records: readonly GroupRecord[],
  provider: InstanceProvider,
): Promise<Map<string, readonly string[]>> {
  const found = new Map<string, readonly string[]>();
  for (const record of records) found.set(record.id, (await groupPlaces(ctx, record, provider)) ?? []);
  return found;
}

/**
 * One describe per provider for the whole sweep (per place, for a provider with places) (not one per group), split by group tag. Groups
 * naming an unknown provider get no observation and are blocked by their own pass.
 */
async function observeProviders(
  ctx: EngineContext,
  records: readonly GroupRecord[],
): Promise<Map<string, (groupId: string) => Observation>> {
  const names = [...new Set(records.map((r) => r.spec.instance.provider))];
  const views = new Map<string, (groupId: string) => Observation>();
  await Promise.all(
    names.map(async (name) => {
      const provider = ctx.providers.get(name);
      if (!provider) return;
      const placesOf = provider.placeOf
        ? await placesByGroup(
            ctx,
            records.filter((r) => r.spec.instance.provider === name),
            provider,
          )
        : undefined;
      views.set(
        name,
        await observeAllGroups(provider, ctx.controllerId, ctx.describeTimeoutMs, [ctx.signal], placesOf),
      );
    }),
  );
  return views;
}

/**
 * All groups (or `ids`) with bounded concurrency; stops taking new groups near the deadline or once
 * the engine's signal is aborted (those groups are reported as skipped).
 */
export async function sweepGroups(ctx: EngineContext, options: SweepOptions): Promise<SweepReport> {
  const started = ctx.now();
  const records = await loadRecords(ctx, options.ids);
  const missing = (options.ids ?? []).filter((id) => !records.some((r) => r.id === id));
  const views = await observeProviders(ctx, records);
  const results: ReconcileResult[] = missing.map((groupId) => ({
    groupId,
    outcome: 'missing',
    launched: 0,
    terminated: 0,
  }));
  const skipped: string[] = [];
  let next = 0;
  let crash: unknown;

  const worker = async () => {
    while (next < records.length && crash === undefined) {
      const record = records[next++];
      if (!record) break;
      const late = options.deadline !== undefined && ctx.now() > options.deadline - DEADLINE_MARGIN_MS;
      if (late || ctx.signal?.aborted) {
        skipped.push(record.id);
        continue;
      }
      const view = views.get(record.spec.instance.provider);
      try {
        results.push(await guardedPass(record.id, () => reconcileRecord(ctx, record, view?.(record.id))));
      } catch (err) {
        // An abandoned pass is a dead process: take no further group.
        crash = err;
      }
    }
  };
  const width = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, records.length));
  await Promise.all(Array.from({ length: width }, worker));
  if (crash !== undefined) throw crash;
  return { groupsSeen: records.length, results, skipped, durationMs: ctx.now() - started };
}
