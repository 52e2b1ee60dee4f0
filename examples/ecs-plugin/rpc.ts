/**
 * The server side of InfraKit's plugin protocol, as small as it gets: one JSON-RPC 2.0 request in
 * (`{ jsonrpc, method, params, id }`, `params` a single object), one answer out, never a throw. The
 * same function answers a Lambda invocation (the request is the event) and an HTTP POST.
 */

export interface RpcRequest {
  readonly jsonrpc?: unknown;
  readonly method?: unknown;
  readonly params?: unknown;
  readonly id?: unknown;
}

export type RpcAnswer =
  | { readonly jsonrpc: '2.0'; readonly id: unknown; readonly result: unknown }
  | {
      readonly jsonrpc: '2.0';
      readonly id: unknown;
      readonly error: { readonly code: number; readonly message: string };
    };

/** A refusal the caller should see in these words (JSON-RPC error `code`). */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** JSON-RPC's own codes, and the one InfraKit's plugins answer every failure with. */
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const PLUGIN_ERROR = -32000;

export type RpcMethod = (params: Record<string, unknown>) => Promise<unknown>;

/** Answers `request` with `methods`; a method's failure becomes a JSON-RPC error, never a throw. */
export async function answer(
  methods: Readonly<Record<string, RpcMethod>>,
  request: unknown,
): Promise<RpcAnswer> {
  const r = (typeof request === 'object' && request !== null ? request : {}) as RpcRequest;
  const id = r.id ?? null;
  const fail = (code: number, message: string): RpcAnswer => ({
    jsonrpc: '2.0',
    id,
    error: { code, message },
  });
  if (r.jsonrpc !== '2.0' || typeof r.method !== 'string')
    return fail(INVALID_REQUEST, 'not a JSON-RPC 2.0 request');
  const method = Object.hasOwn(methods, r.method) ? methods[r.method] : undefined;
  if (!method) return fail(METHOD_NOT_FOUND, `no method ${r.method}`);
  const params = r.params ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    return fail(INVALID_PARAMS, 'params must be one object');
  try {
    return { jsonrpc: '2.0', id, result: await method(params as Record<string, unknown>) };
  } catch (err) {
    if (err instanceof RpcError) return fail(err.code, err.message);
    return fail(PLUGIN_ERROR, err instanceof Error ? err.message : String(err));
  }
}
