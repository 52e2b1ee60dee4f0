import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { onFirstUse } from '../lazy.js';
import { silentLog } from '../log.js';
import { toErrorResponse } from './errors.js';
import { jsonResponse, toApiRequest } from './http.js';
import { type Route, resolveRoute } from './router.js';
import { readRoutes } from './routes-read.js';
import { writeRoutes } from './routes-write.js';
import type { ApiDeps } from './types.js';

export { MAX_BODY_BYTES } from './http.js';
export type { ApiDeps, RequestReconcile } from './types.js';

/** A framework-free HTTP API: one API Gateway v2 event in, one structured result out. */
export type Api = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The OpenAPI document's module (every response schema, and zod's JSON Schema generator): loaded for
 * the first `GET /openapi.json`, never in a container's init.
 */
const loadOpenApi = onFirstUse(() => import('./openapi.js'));

/** Every route of architecture §6, as method and OpenAPI path template. */
export function apiRoutes(deps: ApiDeps): Route[] {
  return [
    ...readRoutes(deps),
    ...writeRoutes(deps),
    {
      method: 'GET',
      path: '/openapi.json',
      handle: async () => jsonResponse(200, (await loadOpenApi()).openApiDocument()),
    },
  ];
}

/**
 * The HTTP API of architecture §6. The same function serves API Gateway (through `lambda/api.ts`) and
 * local mode (which feeds it the same events). It never throws: bad input is a 4xx with the JSON
 * error shape, and an unexpected failure is logged and answered with a generic 500.
 */
export function createApi(deps: ApiDeps): Api {
  const routes = apiRoutes(deps);
  const log = deps.log ?? silentLog;
  return async (event) => {
    let context: Record<string, unknown> = {};
    try {
      const req = toApiRequest(event);
      context = { method: req.method, path: req.path, requestId: req.requestId };
      const { route, params } = resolveRoute(routes, req);
      const result = await route.handle(req, params);
      log.debug('request handled', { ...context, status: result.statusCode });
      return result;
    } catch (err) {
      const result = toErrorResponse(err, log, context);
      log.info('request refused', { ...context, status: result.statusCode });
      return result;
    }
  };
}
