import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { SignatureV4MultiRegionInit } from '@aws-sdk/signature-v4-multi-region';
import type { HttpRequest } from '@smithy/types';

/**
 * SigV4 signing of HTTPS requests to AWS-authenticated endpoints: the CLI's requests to a deployed
 * API (API Gateway HTTP API with IAM authorization, service `execute-api`) and a deployed
 * controller's requests to an InfraKit plugin behind API Gateway or a Lambda function URL with IAM
 * auth (service `lambda`). The local controller on loopback needs no signature.
 */

/** A request about to be sent; the signer returns the headers to send instead. */
export interface OutgoingRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Credentials or a provider of them, as `SignatureV4` accepts. */
type Credentials = SignatureV4MultiRegionInit['credentials'];

export type RequestSigner = (request: OutgoingRequest) => Promise<Record<string, string>>;

/**
 * `abc123.execute-api.eu-west-1.amazonaws.com` or a function URL's
 * `abc123.lambda-url.eu-west-1.on.aws` → `eu-west-1`; undefined for other hosts.
 */
export function regionFromHost(hostname: string): string | undefined {
  return (
    /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(hostname)?.[1] ??
    /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(hostname)?.[1]
  );
}

export interface SignerOptions {
  /** The signing name of the service behind the endpoint. @default 'execute-api' */
  readonly service?: string;
  /** Explicit region; else the region of an `execute-api` host, else AWS_REGION / AWS_DEFAULT_REGION. */
  readonly region?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Credentials; default the standard AWS chain (env, profile, SSO, instance role, …). */
  readonly credentials?: Credentials;
}

/**
 * Resolves the signing region or throws with a one-line reason. An `execute-api` host names the
 * only region its signature is valid for, so it wins over the environment, which may well point
 * at another region; the environment serves custom domain names.
 */
export function resolveRegion(endpoint: URL, options: SignerOptions = {}): string {
  const env = options.env ?? process.env;
  const region =
    options.region ?? regionFromHost(endpoint.hostname) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new Error(`cannot tell the AWS region of ${endpoint.host} (a custom domain): set AWS_REGION`);
  }
  return region;
}

/**
 * The standard AWS credential chain (env, profile, SSO, instance or function role), imported on
 * first use: a Lambda handler that never signs does not load it at init.
 */
let standardChain: Credentials | undefined;
const standardCredentials: Credentials = async () => {
  standardChain ??= (await import('@aws-sdk/credential-providers')).fromNodeProviderChain();
  return typeof standardChain === 'function' ? standardChain() : standardChain;
};

/** SHA-256 and HMAC-SHA-256 for the signer, from Node's own crypto (no JavaScript hash bundled). */
class NodeSha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
}

/**
 * The SDK's SigV4 signer, imported on first use. `@aws-sdk/*` is what the Lambda bundles leave to
 * the runtime (infra/lib/bundling.ts), so the signing code is the runtime's and weighs nothing in a
 * handler; its SigV4 path is Smithy's `SignatureV4` (SigV4a, which needs the CRT, is never asked for).
 */
let signerModule: Promise<typeof import('@aws-sdk/signature-v4-multi-region')> | undefined;
function loadSigner(): Promise<typeof import('@aws-sdk/signature-v4-multi-region')> {
  signerModule ??= import('@aws-sdk/signature-v4-multi-region').catch((err: unknown) => {
    signerModule = undefined;
    throw err;
  });
  return signerModule;
}

/** A signer for `endpoint` using the standard credential chain unless credentials are given. */
export function createSigV4Signer(endpoint: URL, options: SignerOptions = {}): RequestSigner {
  const init: SignatureV4MultiRegionInit = {
    service: options.service ?? 'execute-api',
    region: resolveRegion(endpoint, options),
    credentials: options.credentials ?? standardCredentials,
    sha256: NodeSha256,
  };
  let signer: InstanceType<Awaited<ReturnType<typeof loadSigner>>['SignatureV4MultiRegion']> | undefined;
  return async (request) => {
    signer ??= new (await loadSigner()).SignatureV4MultiRegion(init);
    const { url } = request;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const unsigned: HttpRequest = {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      // `host` must be part of the signature; API Gateway checks it.
      headers: { ...request.headers, host: url.host },
      ...(request.body !== undefined ? { body: request.body } : {}),
    };
    const signed = await signer.sign(unsigned);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(signed.headers)) {
      // fetch and node:https set `host` themselves (fetch refuses to be told).
      if (k.toLowerCase() !== 'host') headers[k] = String(v);
    }
    return headers;
  };
}
