import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { answer, type RpcMethod } from '../../examples/ecs-plugin/rpc.js';
import type { TestCertificate } from './tls.js';

/**
 * An InfraKit plugin served over HTTPS on loopback (TLS with a test certificate), as API Gateway
 * or a function URL would put it in front of a plugin: `POST` a JSON-RPC request, get its answer.
 * With `sigv4`, a request is answered only if its SigV4 signature is what the expected credentials
 * sign for that service and region (checked by signing the same request again, independently of
 * the client's signer); anything else gets 403, as IAM auth would answer.
 */

export interface HttpsPluginOptions {
  readonly cert: TestCertificate;
  readonly methods: () => Readonly<Record<string, RpcMethod>>;
  readonly sigv4?: {
    readonly service: string;
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
}

export interface HttpsPlugin {
  /** `https://127.0.0.1:PORT/` */
  readonly url: string;
  /** JSON-RPC methods asked, in order (signed and answered ones only). */
  readonly calls: string[];
  /** Requests refused for a missing or wrong signature. */
  readonly refused: number;
  stop(): Promise<void>;
}

export async function startHttpsPlugin(options: HttpsPluginOptions): Promise<HttpsPlugin> {
  const calls: string[] = [];
  let refused = 0;
  const signer = options.sigv4
    ? new SignatureV4({
        service: options.sigv4.service,
        region: options.sigv4.region,
        credentials: options.sigv4.credentials,
        sha256: Sha256,
      })
    : undefined;

  const signedCorrectly = async (
    method: string,
    path: string,
    headers: Record<string, string | string[] | undefined>,
    body: string,
  ): Promise<boolean> => {
    if (!signer) return true;
    const authorization = String(headers.authorization ?? '');
    const amzDate = String(headers['x-amz-date'] ?? '');
    const signedNames = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
    const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    if (!date || signedNames.length === 0 || !signedNames.includes('host')) return false;
    const signingDate = new Date(`${date[1]}-${date[2]}-${date[3]}T${date[4]}:${date[5]}:${date[6]}Z`);
    const resigned = await signer.sign(
      {
        method,
        protocol: 'https:',
        hostname: String(headers.host ?? '').replace(/:\d+$/, ''),
        path,
        query: {},
        headers: Object.fromEntries(signedNames.map((n) => [n, String(headers[n] ?? '')])),
        body,
      },
      { signingDate },
    );
    return resigned.headers.authorization === authorization;
  };

  const server: Server = createServer({ key: options.cert.key, cert: options.cert.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const send = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (!(await signedCorrectly(req.method ?? '', req.url ?? '/', req.headers, body))) {
        refused++;
        send(403, { message: 'Forbidden' });
        return;
      }
      let request: unknown;
      try {
        request = JSON.parse(body);
      } catch {
        send(400, { message: 'not JSON' });
        return;
      }
      const method = (request as { method?: unknown }).method;
      if (typeof method === 'string') calls.push(method);
      send(200, await answer(options.methods(), request));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/`,
    calls,
    get refused() {
      return refused;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
