import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EC2Client } from '@aws-sdk/client-ec2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ec2Provider } from '../../src/providers/ec2/provider.js';
import { describeWithTimeout } from '../../src/reconcile/observe.js';
import { TAG_GROUP } from '../../src/tags.js';

/**
 * Cancellation against a stalled EC2 endpoint: a loopback HTTP server that takes every request and
 * never answers, counting them. The client times a silent request out and retries it (as the SDK
 * does against real EC2), so a describe nobody cancels keeps sending requests long after the
 * engine gave up waiting: exactly the pile-up a slow endpoint caused. Never a real AWS endpoint.
 */

interface StalledEndpoint {
  readonly url: string;
  /** Requests received so far. */
  count(): number;
  close(): Promise<void>;
}

async function stalledEndpoint(): Promise<StalledEndpoint> {
  let requests = 0;
  const held: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests += 1;
    req.resume();
    held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => requests,
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The SDK gives up on a silent request after 150 ms and tries again, up to 4 times in all. */
function stalledClient(url: string): EC2Client {
  return new EC2Client({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 4,
    requestHandler: { requestTimeout: 150, throwOnRequestTimeout: true },
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('EC2 provider against a stalled endpoint', () => {
  let endpoint: StalledEndpoint;
  let client: EC2Client;
  let provider: Ec2Provider;

  beforeEach(async () => {
    endpoint = await stalledEndpoint();
    client = stalledClient(endpoint.url);
    // The provider's own retry is on too (throttling and server errors, 5 attempts).
    provider = new Ec2Provider({ client, retry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 5 } });
  });
  afterEach(async () => {
    client.destroy();
    await endpoint.close();
  });

  it('gets no further request once the engine’s describe timeout fires', async () => {
    const seen = await describeWithTimeout(provider, { tagKeys: [TAG_GROUP] }, 100);
    expect(seen).toEqual({ ok: false, reason: 'ec2 describe timed out after 100 ms' });
    const atTimeout = endpoint.count();
    expect(atTimeout).toBe(1);
    // Left running, the SDK would time the request out at 150 ms and send it again, three times.
    await sleep(1_000);
    expect(endpoint.count()).toBe(atTimeout);
  });

  it('rejects promptly with the abort reason, and sends nothing more', async () => {
    const controller = new AbortController();
    const described = provider.describe({ tagKeys: [TAG_GROUP] }, { signal: controller.signal });
    const outcome = described.then(
      () => 'resolved',
      (err: unknown) => err,
    );
    await until('the first request', () => endpoint.count() === 1);
    const reason = new Error('the caller gave up');
    const abortedAt = Date.now();
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    expect(Date.now() - abortedAt).toBeLessThan(100);
    await sleep(600);
    expect(endpoint.count()).toBe(1);
  });

  it('sends nothing at all for a call whose signal is already aborted', async () => {
    const reason = new Error('too late');
    await expect(
      provider.describe({ tagKeys: [TAG_GROUP] }, { signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
    await expect(
      provider.destroy(['i-0123456789abcdef0'], { controllerId: 'c', groupId: 'g' }, 'test', {
        signal: AbortSignal.abort(reason),
      }),
    ).rejects.toBe(reason);
    expect(endpoint.count()).toBe(0);
  });
});
