import { describe, expect, it } from 'vitest';
import { InfrakitClient } from '../../src/cli/client.js';
import { createSigV4Signer, regionFromHost, resolveRegion } from '../../src/cli/sign.js';
import { isLoopback } from '../../src/loopback.js';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const deployed = 'https://abc123.execute-api.eu-west-1.amazonaws.com';

/** A fetch that records requests and answers 200 `{}`; never touches the network. */
function recordingFetch() {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    return new Response('{"groups":[]}', { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { calls, fetchFn };
}

describe('SigV4 signing of API requests', () => {
  it('tells loopback endpoints from deployed ones', () => {
    expect(isLoopback(new URL('http://127.0.0.1:8787'))).toBe(true);
    expect(isLoopback(new URL('http://localhost:8787'))).toBe(true);
    expect(isLoopback(new URL('http://[::1]:8787'))).toBe(true);
    expect(isLoopback(new URL(deployed))).toBe(false);
  });

  it('takes the region from the execute-api host, else from AWS_REGION, else refuses', () => {
    expect(regionFromHost('abc123.execute-api.eu-west-1.amazonaws.com')).toBe('eu-west-1');
    expect(resolveRegion(new URL(deployed), { env: {} })).toBe('eu-west-1');
    // The host's region is the only one its signature is valid for, whatever the shell says.
    expect(resolveRegion(new URL(deployed), { env: { AWS_REGION: 'us-west-2' } })).toBe('eu-west-1');
    const custom = new URL('https://api.example.com');
    expect(resolveRegion(custom, { env: { AWS_REGION: 'us-west-2' } })).toBe('us-west-2');
    expect(resolveRegion(custom, { env: { AWS_DEFAULT_REGION: 'ap-south-1' } })).toBe('ap-south-1');
    expect(() => resolveRegion(custom, { env: {} })).toThrow(/set AWS_REGION/);
  });

  it('signs for execute-api in the endpoint region, covering host and body', async () => {
    const sign = createSigV4Signer(new URL(deployed), { env: {}, credentials });
    const headers = await sign({
      method: 'PUT',
      url: new URL(`${deployed}/groups/web?pretend=true`),
      headers: { 'content-type': 'application/yaml' },
      body: 'id: web\n',
    });
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(headers.host).toBeUndefined();
  });

  it('refuses to sign requests to a non-loopback host over plain http, and sends nothing', async () => {
    const remote = recordingFetch();
    expect(
      () =>
        new InfrakitClient({
          endpoint: 'http://abc123.execute-api.eu-west-1.amazonaws.com',
          fetch: remote.fetchFn,
          signerOptions: { env: {}, credentials },
        }),
    ).toThrow(/refusing to send SigV4-signed requests over plain http:\/\/ to abc123/);
    expect(remote.calls).toEqual([]);
    // Loopback over http stays fine (the local controller), and so does https anywhere.
    expect(
      () => new InfrakitClient({ endpoint: 'http://localhost:8787', fetch: remote.fetchFn }),
    ).not.toThrow();
  });

  it('signs requests to a deployed endpoint and leaves loopback requests unsigned', async () => {
    const remote = recordingFetch();
    await new InfrakitClient({
      endpoint: deployed,
      fetch: remote.fetchFn,
      signerOptions: { env: {}, credentials },
    }).listGroups();
    const local = recordingFetch();
    await new InfrakitClient({ endpoint: 'http://127.0.0.1:8787', fetch: local.fetchFn }).listGroups();

    expect(remote.calls[0]?.url).toBe(`${deployed}/groups`);
    expect(((remote.calls[0]?.init.headers ?? {}) as Record<string, string>).authorization).toMatch(
      /^AWS4-HMAC-SHA256 /,
    );
    expect(((local.calls[0]?.init.headers ?? {}) as Record<string, string>).authorization).toBeUndefined();
  });
});
