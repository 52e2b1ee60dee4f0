import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type Refusal, refuseBodyType, refuseForeign } from '../request-guard.js';

/**
 * The local stand-in for API Gateway: a loopback `node:http` server that turns each request into
 * an HTTP API payload-2.0 event and feeds it to the very same handler the Lambda runs, so local
 * mode and the deployed API cannot drift apart. Unlike API Gateway it has no IAM in front of it, so
 * before the handler sees anything it refuses what a web page could send it (see `request-guard.ts`):
 * a foreign `Host` (DNS rebinding), a foreign `Origin` or `Sec-Fetch-Site` (cross-site requests), a
 * write whose body is neither JSON nor YAML.
 */

export type ApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** A file for a path, or undefined to let the API answer it. */
export type StaticFiles = (
  path: string,
) => Promise<{ readonly headers: Record<string, string>; readonly body: Buffer } | undefined>;

/** API Gateway refuses payloads over 10 MB before the function sees them; so do we. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Content types sent as text; anything else is passed base64-encoded, as API Gateway does. */
function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return true;
  return /^(text\/|application\/(json|yaml|x-yaml|xml|x-www-form-urlencoded)|[^;]*\+json)/i.test(contentType);
}

/** Builds the payload-2.0 event of one request whose body has been read. */
export function toGatewayEvent(req: IncomingMessage, body: Buffer, now = Date.now()): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://local');
  const method = (req.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    if (key === 'cookie') {
      cookies.push(...String(value).split(/;\s*/));
      continue;
    }
    // API Gateway joins repeated headers with commas.
    headers[key] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const rawQueryString = url.search.replace(/^\?/, '');
  const textual = isTextual(headers['content-type']);
  const requestId = randomUUID();
  const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: (headers.host ?? '127').split('.')[0] ?? '127',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body.length > 0 ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !textual,
  };
}

/** Writes a structured result the way API Gateway would. */
export function writeGatewayResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
  if (result.cookies && result.cookies.length > 0) headers['set-cookie'] = result.cookies;
  const body =
    result.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  headers['content-length'] = String(body.length);
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(body);
}

/**
 * The request's body, or undefined once it passes `maxBytes` (the rest is drained unread, so that
 * the caller can still answer). Shared by local mode's listeners.
 */
export function readBody(
  req: IncomingMessage,
  maxBytes = GATEWAY_MAX_BODY_BYTES,
): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function jsonError(status: number, code: string, message: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ error: { code, message } }),
  };
}

function refusal(r: Refusal): APIGatewayProxyStructuredResultV2 {
  return jsonError(r.status, r.code, r.message);
}

/** Where a listener listens: a host and port (0: any free one), or a unix socket path. */
export type ListenTarget = { readonly host: string; readonly port: number } | { readonly path: string };

/**
 * A `node:http` server on `target`, resolved once listening. Each request runs `handle`; what it
 * throws goes to `fail` (which answers, if nothing was sent yet). `idle` resolves once no request is
 * being handled: closing the server stops new requests, not those under way, which go on using
 * whatever they use (the store) until they finish.
 */
export async function listenTracked(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  fail: (err: unknown, res: ServerResponse) => void,
  target: ListenTarget,
  serverOptions: ServerOptions = {},
): Promise<{ server: Server; idle(): Promise<void> }> {
  const handling = new Set<Promise<void>>();
  const server = createServer(serverOptions, (req, res) => {
    const handled = handle(req, res).catch((err: unknown) => fail(err, res));
    handling.add(handled);
    void handled.finally(() => handling.delete(handled));
  });
  // A client that keeps connections alive must not hold a controller that is shutting down.
  server.keepAliveTimeout = 2000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const listening = () => {
      server.off('error', reject);
      resolve();
    };
    if ('path' in target) server.listen(target.path, listening);
    else server.listen(target.port, target.host, listening);
  });
  const idle = async () => {
    while (handling.size > 0) await Promise.allSettled([...handling]);
  };
  return { server, idle };
}

/**
 * Serves `handler` on `host:port` (port 0 → any free one); resolves once listening. `idle` resolves
 * once no request is being handled (see `listenTracked`).
 */
export async function serveGateway(
  handler: ApiHandler,
  options: {
    host: string;
    port: number;
    onError?: (err: unknown) => void;
    /** Files served for GET before the API (the console page), behind the same guard. */
    files?: StaticFiles;
  },
): Promise<{ server: Server; url: string; idle(): Promise<void> }> {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // Before the body is even read: a request from a web page gets no further than this.
    const foreign = refuseForeign(req.headers, req.socket.localPort ?? 0);
    if (foreign) {
      writeGatewayResult(res, refusal(foreign));
      return;
    }
    if (options.files && (req.method === 'GET' || req.method === 'HEAD')) {
      const file = await options.files(new URL(req.url ?? '/', 'http://local').pathname);
      if (file) {
        res.writeHead(200, { ...file.headers, 'content-length': String(file.body.length) });
        res.end(req.method === 'HEAD' ? undefined : file.body);
        return;
      }
    }
    const body = await readBody(req);
    if (body === undefined) {
      writeGatewayResult(res, jsonError(413, 'payload-too-large', 'request body too large'));
      return;
    }
    const badType = refuseBodyType(req.method ?? 'GET', req.headers['content-type'], body.length);
    if (badType) {
      writeGatewayResult(res, refusal(badType));
      return;
    }
    writeGatewayResult(res, await handler(toGatewayEvent(req, body)));
  };
  const fail = (err: unknown, res: ServerResponse) => {
    // The API maps every error itself; reaching this is a bug worth logging, not a crash.
    options.onError?.(err);
    if (!res.headersSent) writeGatewayResult(res, jsonError(500, 'internal', 'internal error'));
    else res.destroy();
  };
  // A request without Host gets our 403, not Node's bare 400.
  const { server, idle } = await listenTracked(handle, fail, options, { requireHostHeader: false });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://${options.host}:${port}`, idle };
}
