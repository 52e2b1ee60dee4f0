import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { InfrakitClient } from '../../src/cli/client.js';
import { type ConsoleProxy, startConsoleProxy } from '../../src/cli/console.js';
import { rawRequest } from '../local/harness.js';

/**
 * `infrakit console`'s proxy in front of a deployed endpoint: the fetch under the CLI's client is a
 * recorder, so nothing leaves this machine, and what would have been sent is checked.
 */

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const deployed = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
const ROOT = new URL('../../', import.meta.url).pathname;
const execFileP = promisify(execFile);

function recordingFetch() {
  const calls: { url: string; method: string; headers: Record<string, string>; body?: string }[] = [];
  const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({
      url: String(url),
      method: init?.method ?? 'GET',
      headers: (init?.headers ?? {}) as Record<string, string>,
      ...(typeof init?.body === 'string' ? { body: init.body } : {}),
    });
    return new Response('{"groups":[]}', {
      status: 200,
      headers: { 'content-type': 'application/json', etag: '"v7"', 'set-cookie': 'session=upstream' },
    });
  }) as typeof fetch;
  return { calls, fetchFn };
}

describe('infrakit console proxy', () => {
  let proxy: ConsoleProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  async function start() {
    const remote = recordingFetch();
    const client = new InfrakitClient({
      endpoint: deployed,
      fetch: remote.fetchFn,
      signerOptions: { env: {}, credentials },
    });
    proxy = await startConsoleProxy(client, { port: 0 });
    return { remote, url: proxy.url };
  }

  it('forwards the page’s API calls signed with SigV4, without the browser’s cookies or credentials', async () => {
    const { remote, url } = await start();
    const res = await rawRequest(url, 'PUT', '/groups/web?pretend=true', {
      headers: {
        'content-type': 'application/yaml',
        'if-match': '"v6"',
        cookie: 'secret=browser',
        authorization: 'Bearer from-the-page',
        origin: url.replace(/\/$/, ''),
      },
      body: 'id: web\n',
    });
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"v7"');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(remote.calls).toHaveLength(1);
    const sent = remote.calls[0];
    expect(sent?.url).toBe(`${deployed}/groups/web?pretend=true`);
    expect(sent?.method).toBe('PUT');
    expect(sent?.body).toBe('id: web\n');
    expect(sent?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, /,
    );
    expect(sent?.headers['if-match']).toBe('"v6"');
    expect(sent?.headers.cookie).toBeUndefined();
    expect(JSON.stringify(sent?.headers)).not.toContain('from-the-page');
  });

  it('serves the page itself with a CSP that forbids framing and foreign connections', async () => {
    const { remote, url } = await start();
    const page = await rawRequest(url, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<script type="module" src="/console/app.js">');
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const script = await rawRequest(url, 'GET', '/console/app.js');
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(remote.calls).toEqual([]);
  });

  it('refuses foreign origins, rebinding hosts, form bodies and paths outside the API, forwarding nothing', async () => {
    const { remote, url } = await start();
    const refusals = await Promise.all([
      rawRequest(url, 'POST', '/groups/web/free', { headers: { origin: 'https://evil.example' } }),
      rawRequest(url, 'DELETE', '/groups/web', { headers: { 'sec-fetch-site': 'cross-site' } }),
      rawRequest(url, 'GET', '/groups', { host: 'rebind.attacker.example' }),
      rawRequest(url, 'PUT', '/groups/web', { headers: { 'content-type': 'text/plain' }, body: '{}' }),
      rawRequest(url, 'GET', '/admin'),
    ]);
    expect(refusals.map((r) => r.status)).toEqual([403, 403, 403, 415, 404]);
    for (const r of refusals) expect((r.json as { error: { code: string } }).error.code).toBeTruthy();
    expect(remote.calls).toEqual([]);
  });

  it('runs as `infrakit console` on loopback until SIGTERM, and a busy port is one line', async () => {
    const child = spawn(
      process.execPath,
      ['bin/infrakit.js', '--endpoint', deployed, 'console', '--port', '0'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AWS_REGION: 'eu-west-1' } },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no console line in 30 s: ${out}`)), 30_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /console: (http:\/\/127\.0\.0\.1:\d+\/)\s+\(API: (\S+);/.exec(out);
          if (m?.[1]) {
            clearTimeout(timer);
            expect(m[2]).toBe(deployed);
            resolve(m[1]);
          }
        });
      });
      const page = await rawRequest(url, 'GET', '/');
      expect(page.status).toBe(200);
      expect(page.text).toContain('InfraKit console');
      const port = new URL(url).port;
      const busy = await execFileP(process.execPath, ['bin/infrakit.js', 'console', '--port', port], {
        cwd: ROOT,
      }).catch((err: { code: number; stderr: string }) => err);
      expect(busy).toMatchObject({
        code: 1,
        stderr: `error: port ${port} on 127.0.0.1 is in use: pass --port\n`,
      });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
