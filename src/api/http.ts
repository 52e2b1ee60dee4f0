import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** Bodies larger than this are refused with 413 (architecture §6). */
export const MAX_BODY_BYTES = 256 * 1024;

/** A request reduced to what the routes need: lowercase headers, decoded path segments and body. */
export interface ApiRequest {
  readonly method: string;
  /** Path without the stage prefix, e.g. `/groups/web`. */
  readonly path: string;
  /** Percent-decoded path segments; undefined when the path cannot be decoded. */
  readonly segments: readonly string[] | undefined;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  /** Raw body bytes (base64 already decoded), or undefined when there is none. */
  readonly body: Buffer | undefined;
  /** Set when the body exceeded `MAX_BODY_BYTES` (then `body` is undefined). */
  readonly bodyTooLarge: boolean;
  readonly requestId: string | undefined;
}

function decodeSegments(path: string): string[] | undefined {
  try {
    return path
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

function readBody(event: APIGatewayProxyEventV2): { body: Buffer | undefined; tooLarge: boolean } {
  const raw = event.body;
  if (raw === undefined || raw === null || raw === '') return { body: undefined, tooLarge: false };
  // Check the size before decoding: base64 is 4/3 of the bytes, so this bound is conservative.
  const upperBound = event.isBase64Encoded ? Math.ceil((raw.length * 3) / 4) : Buffer.byteLength(raw);
  if (upperBound > MAX_BODY_BYTES + 3) return { body: undefined, tooLarge: true };
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  return body.length > MAX_BODY_BYTES ? { body: undefined, tooLarge: true } : { body, tooLarge: false };
}

/** Normalizes an API Gateway HTTP API (payload 2.0) event. */
export function toApiRequest(event: APIGatewayProxyEventV2): ApiRequest {
  const ctx = event.requestContext;
  const method = (ctx?.http?.method ?? 'GET').toUpperCase();
  let path = event.rawPath ?? ctx?.http?.path ?? '/';
  // A named stage appears as a path prefix in rawPath; `$default` does not.
  const stage = ctx?.stage;
  if (stage && stage !== '$default' && (path === `/${stage}` || path.startsWith(`/${stage}/`))) {
    path = path.slice(stage.length + 1) || '/';
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) {
    if (typeof v === 'string') headers[k.toLowerCase()] = v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) {
    if (typeof v === 'string') query[k] = v;
  }
  const { body, tooLarge } = readBody(event);
  return {
    method,
    path,
    segments: decodeSegments(path),
    query,
    headers,
    body,
    bodyTooLarge: tooLarge,
    requestId: ctx?.requestId,
  };
}

/** A JSON response; `undefined` fields are dropped by JSON.stringify. */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}
