import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { sleepUnlessAborted } from '../../abort.js';
import type { RequestSigner } from '../../sigv4.js';
import type { PluginEndpoint } from './address.js';
import { type PluginCallSite, PluginProtocolError, PluginUnavailableError } from './errors.js';

/**
 * JSON-RPC over HTTP: `POST /` (or the URL's path) with `Content-Type: application/json`, on a
 * plugin's unix socket or at its HTTP(S) URL. An HTTPS endpoint may be SigV4-signed (API Gateway or a
 * Lambda function URL with IAM auth) and may trust a private CA of its own; nothing here ever turns
 * certificate checks off.
 */

/** Answers bigger than this are refused (a describe of 10,000 instances is well below it). */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/** Sends of one call at most: the first and two retries, all within the call's own deadline. */
export const MAX_SENDS = 3;

/** What came back: the HTTP status and the body as text. */
export interface RawAnswer {
  readonly status: number;
  readonly text: string;
}

/** Signs a request for an endpoint's SigV4 service; built by the wiring (credentials, region). */
export type EndpointSigner = (url: URL, service: string) => RequestSigner;

// Module-level values are built in pure functions: the Lambda bundles of a stack without InfraKit
// plugins import this module (through the catalog) but use none of it, and esbuild then leaves it out.
// Errors that mean the request never reached a plugin, so sending it again cannot run it twice.
const NOT_SENT = /* @__PURE__ */ (() => new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENOENT']))();

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

/**
 * Posts `body` until an answer comes back. To an `https://` endpoint (a service in the cloud, behind
 * throttles and load balancers), a send that certainly did not reach the plugin (nothing listening,
 * no such host, HTTP 429) is repeated after a short backoff, at most `MAX_SENDS` times in all;
 * anything else (a dropped connection, an error page) is not, as the plugin may have acted on it. A
 * local socket or plain HTTP plugin is asked once: refused means down. Rejects with `signal.reason`
 * once `signal` aborts (the caller's deadline or lease).
 */
export async function postJson(
  endpoint: Exclude<PluginEndpoint, { kind: 'lambda' }>,
  body: string,
  signal: AbortSignal,
  site: PluginCallSite,
  signer?: EndpointSigner,
): Promise<RawAnswer> {
  const sends = endpoint.kind === 'http' && endpoint.url.startsWith('https:') ? MAX_SENDS : 1;
  for (let send = 1; ; send++) {
    let retry: Error;
    try {
      const answer = await postOnce(endpoint, body, signal, site, signer);
      if (answer.status !== 429 || send >= sends) return answer;
      retry = new PluginUnavailableError(site, 'HTTP 429: too many requests');
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      const code = (err as { cause?: NodeJS.ErrnoException }).cause?.code;
      if (send >= sends || code === undefined || !NOT_SENT.has(code)) throw err;
      retry = err as Error;
    }
    await sleepUnlessAborted(100 * 2 ** send * (0.5 + Math.random()), signal).catch(() => {
      throw signal.aborted ? signal.reason : retry;
    });
  }
}

async function headersFor(
  endpoint: Exclude<PluginEndpoint, { kind: 'lambda' }>,
  body: string,
  site: PluginCallSite,
  signer: EndpointSigner | undefined,
): Promise<Record<string, string>> {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  };
  if (endpoint.kind !== 'http' || endpoint.sigv4Service === undefined) return headers;
  if (!signer) throw new PluginUnavailableError(site, 'no SigV4 signer configured for this endpoint');
  const url = new URL(endpoint.url);
  try {
    return await signer(url, endpoint.sigv4Service)({ method: 'POST', url, headers, body });
  } catch (err) {
    throw new PluginUnavailableError(site, `could not sign the request: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** One POST; resolves with whatever HTTP answer came back. A connection per call (`agent: false`). */
async function postOnce(
  endpoint: Exclude<PluginEndpoint, { kind: 'lambda' }>,
  body: string,
  signal: AbortSignal,
  site: PluginCallSite,
  signer: EndpointSigner | undefined,
): Promise<RawAnswer> {
  const headers = await headersFor(endpoint, body, site, signer);
  if (signal.aborted) throw signal.reason;
  return new Promise<RawAnswer>((resolve, reject) => {
    let settled = false;
    let req: ClientRequest | undefined;
    const finish = (err: unknown, value?: RawAnswer) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (err !== undefined) {
        req?.destroy();
        reject(err);
      } else resolve(value as RawAnswer);
    };
    const onAbort = () => finish(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });

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
      res.on('end', () =>
        finish(undefined, { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
    };

    try {
      if (endpoint.kind === 'unix') {
        req = httpRequest(
          { socketPath: endpoint.socketPath, path: '/', method: 'POST', headers, agent: false },
          onResponse,
        );
      } else {
        const url = new URL(endpoint.url);
        req =
          url.protocol === 'https:'
            ? httpsRequest(
                url,
                // A private CA is trusted besides the system's, never instead of checking.
                {
                  method: 'POST',
                  headers,
                  agent: false,
                  ...(endpoint.ca ? { ca: [...rootCertificates, endpoint.ca] } : {}),
                },
                onResponse,
              )
            : httpRequest(url, { method: 'POST', headers, agent: false }, onResponse);
      }
    } catch (err) {
      finish(new PluginUnavailableError(site, `could not send: ${(err as Error).message}`, { cause: err }));
      return;
    }
    req.on('error', (err: NodeJS.ErrnoException) => finish(unavailable(site, err)));
    req.end(body);
  });
}
