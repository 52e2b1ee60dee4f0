import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { consoleFile } from '../console/assets.js';
import { messageOf } from '../errors.js';
import { refuseBodyType, refuseForeign } from '../request-guard.js';
import { type InfrakitClient, UnreachableError } from './client.js';

/**
 * `infrakit console`: the console page for a deployed stack, like `kubectl proxy`. A server on
 * loopback serves the page and forwards its API calls to the endpoint, signed with SigV4 by the
 * CLI's own client: the AWS credentials stay in this process and never reach the browser. It
 * refuses what a page other than its own could send (foreign Host, Origin, Sec-Fetch-Site, a body
 * neither JSON nor YAML), forwards only the API's paths and a few request headers (no cookies), and
 * hands back only the response headers the page reads.
 */

/** The API's paths: nothing else is forwarded. */
const API_PATH = /^\/(groups(\/.*)?|openapi\.json)$/;
/** Request headers the page may set and the API reads. */
const FORWARDED_REQUEST = ['accept', 'content-type', 'if-match', 'if-none-match'] as const;
/** Response headers the page reads. */
const FORWARDED_RESPONSE = ['content-type', 'etag', 'allow'] as const;
/** The API refuses bodies over 256 KiB; the proxy stops reading a little above. */
const MAX_BODY_BYTES = 300 * 1024;

export interface ConsoleProxy {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function forward(
  client: InfrakitClient,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const body = await readBody(req);
  if (body === undefined) return sendJson(res, 413, 'payload-too-large', 'request body too large');
  const badType = refuseBodyType(method, req.headers['content-type'], body.length);
  if (badType) return sendJson(res, badType.status, badType.code, badType.message);
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const target = new URL(`${client.endpoint}${url.pathname}${url.search}`);
  let upstream: Response;
  try {
    upstream = await client.send(
      new Request(target, { method, headers, ...(body.length > 0 ? { body: new Uint8Array(body) } : {}) }),
    );
  } catch (err) {
    const status = err instanceof UnreachableError ? 502 : 500;
    return sendJson(res, status, status === 502 ? 'bad-gateway' : 'internal', messageOf(err));
  }
  const answer = Buffer.from(await upstream.arrayBuffer());
  const out: Record<string, string> = {
    'content-length': String(answer.length),
    'cache-control': 'no-store',
  };
  for (const name of FORWARDED_RESPONSE) {
    const value = upstream.headers.get(name);
    if (value !== null) out[name] = value;
  }
  res.writeHead(upstream.status, out);
  res.end(answer);
}

/** Starts the proxy on 127.0.0.1:`port` (0: any free port) in front of `client`'s endpoint. */
export async function startConsoleProxy(
  client: InfrakitClient,
  options: { port: number },
): Promise<ConsoleProxy> {
  const server: Server = createServer({ requireHostHeader: false }, (req, res) => {
    void (async () => {
      const foreign = refuseForeign(req.headers, (server.address() as AddressInfo).port);
      if (foreign) return sendJson(res, foreign.status, foreign.code, foreign.message);
      const url = new URL(req.url ?? '/', 'http://proxy');
      if (req.method === 'GET' || req.method === 'HEAD') {
        const file = await consoleFile(url.pathname);
        if (file) {
          res.writeHead(200, { ...file.headers, 'content-length': String(file.body.length) });
          res.end(req.method === 'HEAD' ? undefined : file.body);
          return;
        }
      }
      if (!API_PATH.test(url.pathname))
        return sendJson(res, 404, 'not-found', `no route for ${url.pathname}`);
      await forward(client, req, res, url);
    })().catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, 'internal', messageOf(err));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 2000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Loopback only, whatever the caller asks: the proxy holds the operator's credentials.
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
