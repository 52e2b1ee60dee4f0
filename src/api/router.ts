import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HttpError, notFound } from './errors.js';
import type { ApiRequest } from './http.js';

/** Path parameters captured by a route (`{id}` → `params.id`). */
export type RouteParams = Readonly<Record<string, string>>;

export type RouteHandler = (
  req: ApiRequest,
  params: RouteParams,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface Route {
  readonly method: string;
  /** OpenAPI-style template, e.g. `/groups/{id}/size`. */
  readonly path: string;
  readonly handle: RouteHandler;
}

function match(template: string, segments: readonly string[]): RouteParams | undefined {
  const parts = template.split('/').filter((s) => s !== '');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const seg = segments[i] ?? '';
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name) params[name] = seg;
    else if (part !== seg) return undefined;
  }
  return params;
}

/**
 * Finds the route for a request: 404 when no template matches the path, 405 with an `Allow`
 * header when the path exists but not for this method.
 */
export function resolveRoute(
  routes: readonly Route[],
  req: ApiRequest,
): { route: Route; params: RouteParams } {
  if (!req.segments) throw notFound(`no route for ${req.path}`);
  const segments = req.segments;
  const candidates = routes
    .map((route) => ({ route, params: match(route.path, segments) }))
    .filter((c): c is { route: Route; params: RouteParams } => c.params !== undefined);
  if (candidates.length === 0) throw notFound(`no route for ${req.method} ${req.path}`);
  const exact = candidates.find((c) => c.route.method === req.method);
  if (exact) return exact;
  const allow = [...new Set(candidates.map((c) => c.route.method))].sort().join(', ');
  throw new HttpError(
    405,
    'method-not-allowed',
    `${req.method} is not allowed on ${req.path} (allowed: ${allow})`,
    {
      headers: { allow },
    },
  );
}
