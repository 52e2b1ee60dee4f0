import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * SigV4 signing for a deployed API (API Gateway HTTP API with IAM authorization, service
 * `execute-api`). The local controller on loopback needs no signature.
 */

/** A request about to be sent; the signer returns the headers to send instead. */
export interface OutgoingRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Credentials or a provider of them, as `SignatureV4` accepts. */
type Credentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

export type RequestSigner = (request: OutgoingRequest) => Promise<Record<string, string>>;

/** `abc123.execute-api.eu-west-1.amazonaws.com` → `eu-west-1`; undefined for other hosts. */
export function regionFromHost(hostname: string): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(hostname)?.[1];
}

export interface SignerOptions {
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

/** A signer for `endpoint` using the standard credential chain unless credentials are given. */
export function createSigV4Signer(endpoint: URL, options: SignerOptions = {}): RequestSigner {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: resolveRegion(endpoint, options),
    credentials: options.credentials ?? fromNodeProviderChain(),
    sha256: Sha256,
  });
  return async (request) => {
    const { url } = request;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const unsigned = new HttpRequest({
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      // `host` must be part of the signature; API Gateway checks it.
      headers: { ...request.headers, host: url.host },
      ...(request.body !== undefined ? { body: request.body } : {}),
    });
    const signed = await signer.sign(unsigned);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(signed.headers)) {
      // fetch sets `host` itself and refuses to be told.
      if (k.toLowerCase() !== 'host') headers[k] = String(v);
    }
    return headers;
  };
}
