import { InfrakitError, messageOf, SpecValidationError } from '../errors.js';
import type { GroupStatus } from '../reconcile/types.js';
import { configHash } from '../spec/hash.js';
import { GROUP_ID_PATTERN } from '../spec/schema.js';
import { parseWith } from '../spec/validate.js';
import type { GroupLifecycle, GroupRecord, StoredSpec } from '../store/types.js';
import { badRequest, notFound } from './errors.js';
import type { ApiRequest } from './http.js';
import { PageQuerySchema } from './requests.js';
import type { RouteParams } from './router.js';
import type { ApiDeps } from './types.js';

/** The `{id}` path parameter; an id that cannot exist is 404 (or 400 where it would be created). */
export function groupIdParam(params: RouteParams, creating = false): string {
  const id = params.id ?? '';
  if (GROUP_ID_PATTERN.test(id)) return id;
  if (creating) {
    throw new SpecValidationError([
      { path: 'id', message: 'must match ^[a-z0-9][a-z0-9-]{0,62}$ (lowercase letters, digits, dashes)' },
    ]);
  }
  throw notFound(`group ${JSON.stringify(id.slice(0, 80))} not found`);
}

export async function requireGroup(deps: ApiDeps, id: string): Promise<GroupRecord> {
  const record = await deps.store.getGroup(id);
  if (!record) throw notFound(`group ${id} not found`);
  return record;
}

/** A true/false query parameter (`?pretend=true`, `?explain=true`); absent is false. */
export function parseFlag(req: ApiRequest, name: string): boolean {
  const value = req.query[name];
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1' || value === '') return true;
  throw badRequest(`${name} must be true or false`, [{ path: name, message: 'must be true or false' }]);
}

/** `?limit=&cursor=`, validated. */
export function pageQuery(req: ApiRequest): { limit?: number; cursor?: string } {
  try {
    const q = parseWith(PageQuerySchema, { limit: req.query.limit, cursor: req.query.cursor });
    return {
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    };
  } catch (err) {
    if (err instanceof SpecValidationError) throw badRequest(`invalid query: ${err.message}`, err.issues);
    throw err;
  }
}

const CURSOR_ERROR_NAMES = new Set(['SyntaxError', 'TypeError', 'RangeError', 'ValidationException']);

/**
 * Runs a paged store read. A cursor is opaque to callers, so a forged or corrupted one must be a
 * 400, not a 5xx: decoding failures (and DynamoDB rejecting the start key) are mapped here.
 */
export async function withCursor<T>(cursor: string | undefined, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    if (
      cursor !== undefined &&
      (CURSOR_ERROR_NAMES.has(name) || (err instanceof InfrakitError && /cursor/i.test(err.message)))
    ) {
      throw badRequest(`invalid cursor: ${messageOf(err).slice(0, 200)}`);
    }
    throw err;
  }
}

/** A stored spec as returned by PUT, PATCH, rollback. */
export function storedView(id: string, stored: StoredSpec, lifecycle: GroupLifecycle) {
  return {
    id,
    version: stored.version,
    etag: stored.etag,
    updatedAt: stored.updatedAt,
    lifecycle,
    spec: stored.spec,
  };
}

/** One line of `GET /groups`. */
export function summaryView(record: GroupRecord) {
  const { spec, state } = record;
  return {
    id: record.id,
    version: record.version,
    etag: record.etag,
    updatedAt: record.updatedAt,
    lifecycle: record.lifecycle,
    provider: spec.instance.provider,
    desired: spec.allocation.size ?? spec.allocation.logicalIds?.length ?? 0,
    pets: spec.allocation.logicalIds !== undefined,
    paused: spec.paused,
    ...(state.blocked ? { blocked: state.blocked } : {}),
    ...(state.lastSummary ? { summary: state.lastSummary } : {}),
    ...(state.lastReconcileAt !== undefined ? { lastReconcileAt: state.lastReconcileAt } : {}),
  };
}

/**
 * The live status of a group (architecture §6). Observing can fail (provider down); the spec is still
 * worth returning, so the failure is reported in `observeError` instead of failing the request.
 */
export async function statusView(deps: ApiDeps, record: GroupRecord, options: { explain?: boolean } = {}) {
  let status: GroupStatus | undefined;
  let observeError: string | undefined;
  try {
    status = await deps.engine.status(record.id, options);
  } catch (err) {
    observeError = messageOf(err);
    (deps.log ?? { warn() {} }).warn('status observation failed', {
      groupId: record.id,
      error: observeError,
    });
  }
  const blocked = status?.blocked ?? record.state.blocked;
  const lastReconcileAt = status?.lastReconcileAt ?? record.state.lastReconcileAt;
  const summary = status?.summary ?? record.state.lastSummary;
  return {
    lifecycle: record.lifecycle,
    configHash: configHash(record.spec),
    instances: status?.instances ?? [],
    converged: status?.converged ?? false,
    ...(blocked ? { blocked } : {}),
    ...(lastReconcileAt !== undefined ? { lastReconcileAt } : {}),
    ...(summary ? { summary } : {}),
    ...(observeError ? { observeError } : {}),
    holds: status?.holds ?? [],
    ...(status?.rollout ? { rollout: status.rollout } : {}),
    ...(status?.lastRollback ? { lastRollback: status.lastRollback } : {}),
    ...(status?.explain ? { explain: status.explain } : {}),
  };
}

/** A reconcile request after a successful change; failure is logged, never fatal (the sweep is the safety net). */
export async function requestReconcileSoon(deps: ApiDeps, id: string, reason: string): Promise<void> {
  try {
    await deps.requestReconcile([id], reason);
  } catch (err) {
    deps.log?.warn('could not request a reconcile; the next sweep will pick the group up', {
      groupId: id,
      reason,
      error: messageOf(err),
    });
  }
}
