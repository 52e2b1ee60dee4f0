import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { endpointText, type PluginEndpoint } from './address.js';
import {
  type PluginCallSite,
  PluginProtocolError,
  PluginRpcError,
  PluginTimeoutError,
  PluginUnavailableError,
} from './errors.js';

/**
 * One JSON-RPC 2.0 call to an InfraKit plugin: `POST /` with `Content-Type: application/json` on
 * the plugin's unix socket (or its HTTP URL), one params object in, one result object out. The
 * call either resolves with the plugin's `result` or throws a `PluginError`: a plugin that is down
 * (`PluginUnavailableError`), slow (`PluginTimeoutError`), answers garbage (`PluginProtocolError`)
 * or answers a JSON-RPC error (`PluginRpcError`, with the plugin's own message).
 */

export interface RpcCallOptions {
  /** The whole call (connect, send, answer) must finish within this. */
  readonly timeoutMs: number;
  /** Aborts the request on the wire; the call rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined;
}

/** Answers bigger than this are refused (a describe of 10,000 instances is well below it). */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

let nextId = 1;

// A connection per call (`agent: false`): a kept-alive connection the plugin closes while idle
// would fail the next call with a reset, and a unix socket costs next to nothing to open.

function unavailable(site: PluginCallSite, err: NodeJS.ErrnoException): PluginUnavailableError {
  const why =
    err.code === 'ENOENT'
      ? 'no socket there (is the plugin running?)'
      : err.code === 'ECONNREFUSED'
        ? 'nothing is listening (is the plugin running?)'
        : err.code === 'ECONNRESET' || err.code === 'EPIPE'
          ? 'the plugin dropped the connection'
          : err.message;
  return new PluginUnavailableError(site, `plugin is unreachable: ${why}`, { cause: err });
}

function snippet(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat || '(empty)';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sends one call; resolves with the plugin's `result` (not yet checked against its expected shape). */
export function callPlugin(
  endpoint: PluginEndpoint,
  plugin: string,
  method: string,
  params: Readonly<Record<string, unknown>>,
  options: RpcCallOptions,
): Promise<unknown> {
  const site: PluginCallSite = { plugin, endpoint: endpointText(endpoint), method };
  const { signal, timeoutMs } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const id = nextId++;
  const body = JSON.stringify({ jsonrpc: '2.0', method, params, id });
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json',
    'content-length': Buffer.byteLength(body),
  };

  return new Promise<unknown>((resolve, reject) => {
    let settled = false;
    let req: ClientRequest;
    const finish = (err: unknown, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err !== undefined) {
        req.destroy();
        reject(err);
      } else resolve(value);
    };
    const onAbort = () => finish(signal?.reason);
    const timer = setTimeout(() => finish(new PluginTimeoutError(site, timeoutMs)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    const onResponse = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          finish(new PluginProtocolError(site, `answer larger than ${MAX_ANSWER_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => finish(unavailable(site, err)));
      res.on('close', () => {
        if (!res.complete)
          finish(new PluginUnavailableError(site, 'the plugin dropped the connection mid-answer'));
      });
      res.on('end', () => {
        if (settled) return;
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          finish(undefined, readAnswer(site, id, res.statusCode ?? 0, text));
        } catch (err) {
          finish(err);
        }
      });
    };

    try {
      if (endpoint.kind === 'unix') {
        req = httpRequest(
          { socketPath: endpoint.socketPath, path: '/', method: 'POST', headers, agent: false },
          onResponse,
        );
      } else {
        const url = new URL(endpoint.url);
        const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
        req = send(url, { method: 'POST', headers, agent: false }, onResponse);
      }
    } catch (err) {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(new PluginUnavailableError(site, `could not send: ${(err as Error).message}`, { cause: err }));
      return;
    }
    req.on('error', (err: NodeJS.ErrnoException) => finish(unavailable(site, err)));
    req.end(body);
  });
}

/** The `result` of a well-formed JSON-RPC 2.0 answer to call `id`, or the error it stands for. */
function readAnswer(site: PluginCallSite, id: number, status: number, text: string): unknown {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    // Not JSON: an HTTP error page, or not a plugin at all.
    throw new PluginProtocolError(site, `HTTP ${status}, not JSON: ${snippet(text)}`);
  }
  if (!isObject(answer) || answer.jsonrpc !== '2.0')
    throw new PluginProtocolError(site, `HTTP ${status}, not a JSON-RPC 2.0 answer: ${snippet(text)}`);
  if (answer.id !== id && answer.id !== null)
    throw new PluginProtocolError(site, `answer to request ${JSON.stringify(answer.id)}, expected ${id}`);
  const { error } = answer;
  if (error !== undefined && error !== null) {
    if (!isObject(error) || typeof error.message !== 'string')
      throw new PluginProtocolError(site, `malformed error: ${snippet(JSON.stringify(error))}`);
    const code = typeof error.code === 'number' ? error.code : 0;
    throw new PluginRpcError(site, code, error.message);
  }
  if (status < 200 || status >= 300) throw new PluginProtocolError(site, `HTTP ${status}: ${snippet(text)}`);
  if (!('result' in answer)) throw new PluginProtocolError(site, 'neither a result nor an error');
  return answer.result;
}
