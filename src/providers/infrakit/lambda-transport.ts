import type { LambdaClient, LambdaClientConfig } from '@aws-sdk/client-lambda';
import { onFirstUse } from '../../lazy.js';
import { type PluginCallSite, PluginUnavailableError } from './errors.js';
import type { RawAnswer } from './http-transport.js';

/**
 * JSON-RPC over AWS Lambda: the request is the invocation payload (`Invoke`, `RequestResponse`)
 * and the function's result is the JSON-RPC answer, exactly as a plugin on a socket would answer
 * it. A function that fails (`FunctionError`: it threw, timed out or ran out of memory) gave no
 * answer: a `PluginUnavailableError` with its error type and message.
 */

/** One invocation: the payload out, the function's result and `FunctionError` back. */
export type LambdaInvoke = (
  request: { readonly functionName: string; readonly payload: string },
  signal: AbortSignal,
) => Promise<{ readonly payload: string; readonly functionError?: string | undefined }>;

/** Invokes `functionName` with `body`; the answer as the HTTP transport gives it (status 200). */
export async function invokeJson(
  functionName: string,
  body: string,
  signal: AbortSignal,
  site: PluginCallSite,
  invoke: LambdaInvoke | undefined,
): Promise<RawAnswer> {
  if (!invoke) throw new PluginUnavailableError(site, 'no Lambda client configured for lambda: plugins');
  let answer: Awaited<ReturnType<LambdaInvoke>>;
  try {
    answer = await invoke({ functionName, payload: body }, signal);
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    const name = (err as Error).name;
    const why =
      name === 'ResourceNotFoundException'
        ? 'no such function'
        : name === 'AccessDeniedException'
          ? 'not allowed to invoke it (lambda:InvokeFunction is granted on the configured plugins only)'
          : (err as Error).message;
    throw new PluginUnavailableError(site, `could not invoke the function: ${why}`, { cause: err });
  }
  if (answer.functionError !== undefined) throw functionFailed(site, answer.functionError, answer.payload);
  return { status: 200, text: answer.payload };
}

function functionFailed(site: PluginCallSite, kind: string, payload: string): PluginUnavailableError {
  let what = payload.slice(0, 200);
  try {
    const failure = JSON.parse(payload) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof failure.errorMessage === 'string')
      what = `${typeof failure.errorType === 'string' ? `${failure.errorType}: ` : ''}${failure.errorMessage}`;
  } catch {
    // Not Lambda's JSON error document: its first bytes are the best account there is.
  }
  return new PluginUnavailableError(site, `the function failed (${kind}): ${what}`);
}

// Module-level values are built in pure functions: the Lambda bundles of a stack without InfraKit
// plugins import this module (through the catalog) but use none of it, and esbuild then leaves it out.
/** The Lambda SDK, imported on first use: a handler that never reaches a plugin function does not load it. */
const loadLambdaSdk = /* @__PURE__ */ (() => onFirstUse(() => import('@aws-sdk/client-lambda')))();

/**
 * `Invoke` through a `LambdaClient` built on first use with `config` (region, credentials and
 * endpoint from the SDK's standard chain unless given). The SDK's own retries (throttling, a
 * connection that failed) stay within the call's signal, which bounds the whole call.
 */
export function lambdaInvoker(config: LambdaClientConfig = {}): LambdaInvoke {
  const client = onFirstUse(
    async (): Promise<LambdaClient> =>
      new (await loadLambdaSdk()).LambdaClient({ maxAttempts: 3, ...config }),
  );
  return async ({ functionName, payload }, signal) => {
    const { InvokeCommand } = await loadLambdaSdk();
    const out = await (await client()).send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(payload),
      }),
      { abortSignal: signal },
    );
    return {
      payload: out.Payload ? new TextDecoder().decode(out.Payload) : '',
      functionError: out.FunctionError,
    };
  };
}
