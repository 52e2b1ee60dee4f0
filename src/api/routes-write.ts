import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { admitOrThrow } from '../admission/admit.js';
import { canonicalJson } from '../spec/hash.js';
import type { GroupSpec } from '../spec/schema.js';
import { GroupDestroyingError, GroupExistsError, VersionConflictError } from '../store/errors.js';
import type { GroupRecord } from '../store/types.js';
import { admitForWrite, readJsonBody, readSpecBody } from './body.js';
import { conflict, notFound } from './errors.js';
import { checkPreconditions } from './etag.js';
import { type ApiRequest, jsonResponse } from './http.js';
import { keptView } from './kept.js';
import { instanceIdParam, waitingHook } from './lifecycle.js';
import { CompleteRequestSchema, RollbackRequestSchema, SizeRequestSchema } from './requests.js';
import type { Route } from './router.js';
import type { ApiDeps } from './types.js';
import {
  groupIdParam,
  parseFlag,
  requestReconcileSoon,
  requireGroup,
  statusView,
  storedView,
} from './views.js';

const UNCONDITIONAL_RETRIES = 3;

function hasPreconditions(req: ApiRequest): boolean {
  return req.headers['if-match'] !== undefined || req.headers['if-none-match'] !== undefined;
}

/**
 * Runs read → check → conditional write. With `If-Match`/`If-None-Match` a lost race is the
 * client's 412; without, the client asked for "last writer wins", so the write is retried on a
 * fresh read (the store's condition still guarantees that no concurrent update is lost silently).
 */
async function conditionalWrite<T>(
  req: ApiRequest,
  deps: ApiDeps,
  id: string,
  write: (current: GroupRecord | undefined) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const current = await deps.store.getGroup(id);
    try {
      return await write(current);
    } catch (err) {
      const lostRace = err instanceof VersionConflictError || err instanceof GroupExistsError;
      if (!lostRace || hasPreconditions(req) || attempt >= UNCONDITIONAL_RETRIES) throw err;
    }
  }
}

function sameSpec(a: GroupSpec, b: GroupSpec): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function assertActive(current: GroupRecord): void {
  if (current.lifecycle === 'destroying') throw new GroupDestroyingError(current.id);
}

function stored(
  status: number,
  record: Parameters<typeof storedView>[1],
  id: string,
  extra: Record<string, string> = {},
) {
  return jsonResponse(status, storedView(id, record, 'active'), { etag: record.etag, ...extra });
}

/**
 * Replaces the spec with `next` (unless it is unchanged), conditional on the version read, then
 * asks for a reconcile of the group.
 */
async function replaceSpec(
  deps: ApiDeps,
  req: ApiRequest,
  current: GroupRecord,
  next: GroupSpec,
  reason: string,
): Promise<APIGatewayProxyStructuredResultV2> {
  assertActive(current);
  const { expectedVersion } = checkPreconditions(req.headers, current);
  if (sameSpec(current.spec, next)) return stored(200, current, current.id);
  const now = (deps.now ?? Date.now)();
  const saved = await deps.store.putSpec(next, { expectedVersion: expectedVersion ?? current.version, now });
  await requestReconcileSoon(deps, current.id, reason);
  return stored(200, saved, current.id);
}

/**
 * `POST /groups/{id}/pause` and `…/resume`: `paused` (nothing at all), or with `?rollout=true`
 * `update.paused` (no outdated instance replaced; healing and scaling go on), as a new version.
 */
function pauseRoute(deps: ApiDeps, verb: 'pause' | 'resume'): Route {
  const paused = verb === 'pause';
  return {
    method: 'POST',
    path: `/groups/{id}/${verb}`,
    async handle(req, params) {
      const id = groupIdParam(params);
      const rollout = parseFlag(req, 'rollout');
      return conditionalWrite(req, deps, id, async (current) => {
        if (!current) throw notFound(`group ${id} not found`);
        const { spec } = current;
        const next = rollout ? { ...spec, update: { ...spec.update, paused } } : { ...spec, paused };
        const what = rollout ? 'rollout' : 'group';
        return replaceSpec(deps, req, current, next, `${what} ${paused ? 'paused' : 'resumed'}`);
      });
    },
  };
}

/** The routes that change a group: PUT, PATCH size, pause, resume, rollback, DELETE, free, reconcile, complete. */
export function writeRoutes(deps: ApiDeps): Route[] {
  return [
    pauseRoute(deps, 'pause'),
    pauseRoute(deps, 'resume'),
    {
      method: 'PUT',
      path: '/groups/{id}',
      async handle(req, params) {
        const id = groupIdParam(params, true);
        const spec = await readSpecBody(req, id, deps);
        if (parseFlag(req, 'pretend')) {
          const plan = await deps.engine.pretend(spec);
          return jsonResponse(200, { id, pretend: true, spec, plan });
        }
        return conditionalWrite(req, deps, id, async (current) => {
          if (current) return replaceSpec(deps, req, current, spec, 'spec changed');
          const { createOnly } = checkPreconditions(req.headers, undefined);
          const saved = await deps.store.putSpec(spec, { createOnly, now: (deps.now ?? Date.now)() });
          await requestReconcileSoon(deps, id, 'group created');
          return stored(201, saved, id, { location: `/groups/${id}` });
        });
      },
    },
    {
      method: 'PATCH',
      path: '/groups/{id}/size',
      async handle(req, params) {
        const id = groupIdParam(params);
        const { size } = await readJsonBody(req, SizeRequestSchema);
        return conditionalWrite(req, deps, id, async (current) => {
          if (!current) throw notFound(`group ${id} not found`);
          if (current.spec.allocation.logicalIds) {
            throw conflict(
              `group ${id} is a pets group (allocation.logicalIds): change its logical IDs with PUT`,
            );
          }
          // Only the size changes: the properties' backend checks were made when they were written.
          const next = admitOrThrow({ ...current.spec, allocation: { size } }, deps).spec;
          return replaceSpec(deps, req, current, next, `size set to ${size}`);
        });
      },
    },
    {
      method: 'POST',
      path: '/groups/{id}/rollback',
      async handle(req, params) {
        const id = groupIdParam(params);
        const { version } = await readJsonBody(req, RollbackRequestSchema);
        return conditionalWrite(req, deps, id, async (current) => {
          if (!current) throw notFound(`group ${id} not found`);
          const old = await deps.store.getVersion(id, version);
          if (!old) throw notFound(`group ${id} has no version ${version}`);
          // Rules may have tightened since that version was stored: it must still be valid today.
          const next = await admitForWrite(old.spec, deps);
          return replaceSpec(deps, req, current, next, `rolled back to version ${version}`);
        });
      },
    },
    {
      method: 'DELETE',
      path: '/groups/{id}',
      async handle(req, params) {
        const id = groupIdParam(params);
        const deleteVolumes = parseFlag(req, 'deleteVolumes');
        const marked = await conditionalWrite(req, deps, id, async (current) => {
          if (!current) throw notFound(`group ${id} not found`);
          const { expectedVersion } = checkPreconditions(req.headers, current);
          if (current.lifecycle !== 'destroying' || (deleteVolumes && !current.deleteVolumes)) {
            // Conditional on the version checked: a PUT landing in between is not destroyed unseen.
            const now = (deps.now ?? Date.now)();
            await deps.store.markDestroying(id, now, expectedVersion ?? current.version, { deleteVolumes });
          }
          return current;
        });
        await requestReconcileSoon(deps, id, 'group destroy requested');
        const record = (await deps.store.getGroup(id)) ?? { ...marked, lifecycle: 'destroying' as const };
        const body = {
          ...storedView(id, record, 'destroying'),
          status: await statusView(deps, record),
          ...(await keptView(deps, record)),
        };
        return jsonResponse(202, body, { etag: record.etag });
      },
    },
    {
      method: 'POST',
      path: '/groups/{id}/free',
      async handle(req, params) {
        const id = groupIdParam(params);
        return conditionalWrite(req, deps, id, async (current) => {
          if (!current) throw notFound(`group ${id} not found`);
          const { expectedVersion } = checkPreconditions(req.headers, current);
          await deps.store.deleteGroup(id, expectedVersion ?? current.version);
          deps.log?.info('group freed', { groupId: id });
          const message = `group ${id} is no longer managed; its instances keep running and keep their tags`;
          return jsonResponse(200, { id, freed: true, message });
        });
      },
    },
    {
      method: 'POST',
      path: '/groups/{id}/instances/{instanceId}/complete',
      async handle(req, params) {
        const id = groupIdParam(params);
        const instanceId = instanceIdParam(params);
        const { result } = req.body?.length
          ? await readJsonBody(req, CompleteRequestSchema)
          : { result: 'continue' as const };
        const group = await requireGroup(deps, id);
        const hook = await waitingHook(deps.store, group, instanceId, (deps.now ?? Date.now)());
        if (!hook) throw conflict(`no lifecycle hook of group ${id} waits for instance ${instanceId}`);
        await deps.store.markLifecycleDone(id, instanceId, result, hook);
        await requestReconcileSoon(deps, id, `lifecycle hook ${hook} completed`);
        const message = `${hook} hook of ${instanceId} completed with ${result}; the next pass goes on`;
        return jsonResponse(200, { groupId: id, instanceId, hook, result, message });
      },
    },
    {
      method: 'POST',
      path: '/groups/{id}/reconcile',
      async handle(_req, params) {
        const id = groupIdParam(params);
        await requireGroup(deps, id);
        const requested = (message: string) => jsonResponse(202, { groupId: id, requested: true, message });
        if (!deps.inlineReconcile) {
          // An operator asking: a provider's standing rejection of the config is tried once more.
          // A failure to ask is the answer's failure here: nothing else would tell the caller.
          await deps.requestReconcile([id], 'reconcile requested', { retryRejected: true });
          return requested(`a reconcile pass of group ${id} was requested; see its status and events`);
        }
        const result = await deps.engine.reconcileGroup(id, { retryRejected: true });
        if (result.outcome === 'missing') throw notFound(`group ${id} not found`);
        // The pass's own status view is the engine's business; `GET /groups/{id}` serves status.
        const { status: _status, ...answer } = result;
        if (result.outcome !== 'busy') return jsonResponse(200, answer);
        // Another reconciler holds the lease: ask for a pass right after it, and say so.
        await requestReconcileSoon(deps, id, 'reconcile requested while busy');
        return requested(`another reconciler holds group ${id}; a pass was requested after it`);
      },
    },
  ];
}
