import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback server speaking Lambda's `Invoke` REST API (`POST /2015-03-31/functions/{name}/invocations`)
 * that runs the named functions' handlers in this process: the real `LambdaClient`, pointed at it
 * with an endpoint override, sends exactly what it would send to Lambda, and the handler receives
 * the decoded payload as its event, as Lambda would give it. A handler that throws answers as
 * Lambda does: status 200, `X-Amz-Function-Error: Unhandled`, `{ errorType, errorMessage }`.
 */

export type InvokedHandler = (event: unknown) => Promise<unknown>;

/** One invocation as it arrived: the function named in the path and the raw payload. */
export interface Invocation {
  readonly functionName: string;
  readonly invocationType: string | undefined;
  readonly payload: string;
}

export interface LambdaInvokeServer {
  /** `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_LAMBDA` or a client's `endpoint`. */
  readonly endpoint: string;
  readonly invocations: Invocation[];
  /** Replaces what `functionName` runs (a fault, a slow function). */
  setHandler(functionName: string, handler: InvokedHandler): void;
  stop(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The function's short name, whether the path names it by name or by ARN. */
function shortName(encoded: string): string {
  const name = decodeURIComponent(encoded);
  const match = /^arn:[^:]+:lambda:[^:]+:\d{12}:function:([^:]+)/.exec(name);
  return match?.[1] ?? name.split(':')[0] ?? name;
}

export async function startLambdaInvokeServer(
  handlers: Readonly<Record<string, InvokedHandler>>,
): Promise<LambdaInvokeServer> {
  const running = new Map(Object.entries(handlers));
  const invocations: Invocation[] = [];
  const server: Server = createServer(async (req, res) => {
    const match = INVOKE_PATH.exec(req.url?.split('?')[0] ?? '');
    const payload = await body(req);
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    if (req.method !== 'POST' || !match?.[1]) {
      json(404, { message: 'not an Invoke request' }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
      return;
    }
    const functionName = shortName(match[1]);
    const handler = running.get(functionName);
    if (!handler) {
      json(
        404,
        { Type: 'User', message: `Function not found: ${functionName}` },
        { 'x-amzn-errortype': 'ResourceNotFoundException' },
      );
      return;
    }
    invocations.push({
      functionName,
      invocationType: req.headers['x-amz-invocation-type'] as string | undefined,
      payload,
    });
    try {
      const result = await handler(payload === '' ? {} : JSON.parse(payload));
      json(200, result ?? null, { 'x-amz-executed-version': '$LATEST' });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      json(
        200,
        { errorType: e.name, errorMessage: e.message, trace: [] },
        { 'x-amz-function-error': 'Unhandled' },
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    invocations,
    setHandler: (name, handler) => running.set(name, handler),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
