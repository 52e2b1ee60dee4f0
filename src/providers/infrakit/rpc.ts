import { childSignal } from '../../abort.js';
import { endpointText, type PluginEndpoint } from './address.js';
import { type PluginCallSite, PluginProtocolError, PluginRpcError, PluginTimeoutError } from './errors.js';
import { type EndpointSigner, postJson } from './http-transport.js';
import { invokeJson, type LambdaInvoke } from './lambda-transport.js';

export { MAX_ANSWER_BYTES } from './http-transport.js';

/**
 * One JSON-RPC 2.0 call to an InfraKit plugin, one params object in, one result object out: over
 * HTTP on the plugin's unix socket or at its HTTP(S) URL (`http-transport.ts`), or as the payload
 * of a Lambda invocation (`lambda-transport.ts`). The call either resolves with the plugin's
 * `result` or throws a `PluginError`: a plugin that is down (`PluginUnavailableError`), slow
 * (`PluginTimeoutError`), answers garbage (`PluginProtocolError`) or answers a JSON-RPC error
 * (`PluginRpcError`, with the plugin's own message).
 */

/** What the cloud transports need, given by the wiring: no SDK client is built here. */
export interface PluginTransports {
  /** Invokes a Lambda function, for `lambda:` endpoints. */
  readonly invokeLambda?: LambdaInvoke | undefined;
  /** Signs requests to HTTPS endpoints configured with a SigV4 service. */
  readonly signer?: EndpointSigner | undefined;
}

export interface RpcCallOptions {
  /** The whole call (connect, sign, send, retries, answer) must finish within this. */
  readonly timeoutMs: number;
  /** Aborts the request on the wire; the call rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined;
  readonly transports?: PluginTransports | undefined;
}

let nextId = 1;

function snippet(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat || '(empty)';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sends one call; resolves with the plugin's `result` (not yet checked against its expected shape). */
export async function callPlugin(
  endpoint: PluginEndpoint,
  plugin: string,
  method: string,
  params: Readonly<Record<string, unknown>>,
  options: RpcCallOptions,
): Promise<unknown> {
  const site: PluginCallSite = { plugin, endpoint: endpointText(endpoint), method };
  const { signal, timeoutMs, transports } = options;
  if (signal?.aborted) throw signal.reason;
  const id = nextId++;
  const body = JSON.stringify({ jsonrpc: '2.0', method, params, id });
  const call = childSignal([signal]);
  const timer = setTimeout(() => call.abort(new PluginTimeoutError(site, timeoutMs)), timeoutMs);
  try {
    const answer =
      endpoint.kind === 'lambda'
        ? await invokeJson(endpoint.functionName, body, call.signal, site, transports?.invokeLambda)
        : await postJson(endpoint, body, call.signal, site, transports?.signer);
    return readAnswer(site, id, answer.status, answer.text);
  } catch (err) {
    throw call.signal.aborted ? call.signal.reason : err;
  } finally {
    clearTimeout(timer);
    call.release();
  }
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
