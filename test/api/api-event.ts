import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface ApiEventOptions {
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: string | object;
  readonly base64?: boolean;
}

/**
 * An API Gateway HTTP API (payload format 2.0) event shaped exactly as API Gateway sends it to a
 * Lambda integration on the `$default` stage: lowercase headers, raw path and query string.
 */
export function apiEvent(
  method: string,
  path: string,
  options: ApiEventOptions = {},
): APIGatewayProxyEventV2 {
  const query = options.query ?? {};
  const rawQueryString = new URLSearchParams(query).toString();
  const text =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    accept: '*/*',
    host: 'abc123.execute-api.us-east-1.amazonaws.com',
    'user-agent': 'infrakit-test',
    'x-forwarded-proto': 'https',
    ...(typeof options.body === 'object' ? { 'content-type': 'application/json' } : {}),
    ...Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  if (text !== undefined) headers['content-length'] = String(Buffer.byteLength(text));
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'infrakit-test' },
      requestId: `req-${now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body: text === undefined ? undefined : options.base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: Boolean(options.base64) && text !== undefined,
  };
}

/** The parsed JSON body of a result. */
export function bodyOf(result: { body?: string | undefined }): Record<string, unknown> {
  return JSON.parse(result.body ?? 'null') as Record<string, unknown>;
}
