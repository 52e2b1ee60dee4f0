import { jsonResponse } from './http.js';
import type { Route } from './router.js';
import type { ApiDeps } from './types.js';
import {
  groupIdParam,
  pageQuery,
  parseFlag,
  requireGroup,
  statusView,
  storedView,
  summaryView,
  withCursor,
} from './views.js';

/** The read-only routes: list, get with live status, event log, history. */
export function readRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/groups',
      async handle(req) {
        const page = pageQuery(req);
        const result = await withCursor(page.cursor, () => deps.store.listGroups(page));
        return jsonResponse(200, {
          groups: result.items.map(summaryView),
          ...(result.next ? { next: result.next } : {}),
        });
      },
    },
    {
      method: 'GET',
      path: '/groups/{id}',
      async handle(req, params) {
        const id = groupIdParam(params);
        const explain = parseFlag(req, 'explain');
        const record = await requireGroup(deps, id);
        const body = {
          ...storedView(record.id, record, record.lifecycle),
          status: await statusView(deps, record, { explain }),
        };
        return jsonResponse(200, body, { etag: record.etag });
      },
    },
    {
      method: 'GET',
      path: '/groups/{id}/events',
      async handle(req, params) {
        const id = groupIdParam(params);
        const page = pageQuery(req);
        const result = await withCursor(page.cursor, () => deps.store.listEvents(id, page));
        // The log outlives the group (it expires by TTL), so it stays readable after a destroy.
        if (result.items.length === 0 && !page.cursor) await requireGroup(deps, id);
        return jsonResponse(200, { events: result.items, ...(result.next ? { next: result.next } : {}) });
      },
    },
    {
      method: 'GET',
      path: '/groups/{id}/history',
      async handle(req, params) {
        const id = groupIdParam(params);
        const page = pageQuery(req);
        const result = await withCursor(page.cursor, () => deps.store.listVersions(id, page));
        if (result.items.length === 0 && !page.cursor) await requireGroup(deps, id);
        const versions = result.items.map((v) => ({
          version: v.version,
          etag: v.etag,
          updatedAt: v.updatedAt,
          ...(v.note !== undefined ? { note: v.note } : {}),
          spec: v.spec,
        }));
        return jsonResponse(200, { versions, ...(result.next ? { next: result.next } : {}) });
      },
    },
  ];
}
