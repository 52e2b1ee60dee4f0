import type { Server } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serveGateway } from '../../src/local/http-adapter.js';
import { type RawResponse, rawRequest } from './harness.js';

/**
 * The local API refuses, before its handler sees anything, what a web page in the user's browser
 * could send it: another Host (DNS rebinding), another Origin or Sec-Fetch-Site (cross-site
 * requests), a write whose body is neither JSON nor YAML. Real HTTP requests to a real server.
 */
describe('local API gateway: requests from web pages', () => {
  let server: Server;
  let url: string;
  let port: number;
  const events: APIGatewayProxyEventV2[] = [];

  beforeAll(async () => {
    const served = await serveGateway(
      async (event) => {
        events.push(event);
        return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
      },
      { host: '127.0.0.1', port: 0 },
    );
    server = served.server;
    url = served.url;
    port = Number(new URL(url).port);
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });
  beforeEach(() => {
    events.length = 0;
  });

  function expectRefused(res: RawResponse, status: number, code: string) {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json).toEqual({ error: { code, message: expect.any(String) } });
    // A refusal never grants a browser the right to read it.
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  }

  it('accepts the loopback names with the listening port: 127.0.0.1, localhost, [::1]', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LocalHost:${port}`]) {
      const res = await rawRequest(url, 'GET', '/groups', { host });
      expect(res.status, host).toBe(200);
    }
    expect(events).toHaveLength(4);
  });

  it('refuses any other Host with 403, also the right name with another port, and a missing one', async () => {
    const hosts = [
      `rebind.attacker.example:${port}`,
      'rebind.attacker.example',
      `127.0.0.1:${port + 1}`,
      `localhost:${port === 1 ? 2 : 1}`,
      'localhost',
      '127.0.0.1',
      `127.0.0.2:${port}`,
      `localhost.:${port}`,
      `127.0.0.1:${port}.attacker.example`,
      '',
    ];
    for (const host of hosts) {
      for (const method of ['GET', 'PUT']) {
        const res = await rawRequest(url, method, '/groups/web', {
          host,
          headers: { 'content-type': 'application/json' },
          ...(method === 'PUT' ? { body: '{"id":"web"}' } : {}),
        });
        expectRefused(res, 403, 'forbidden-host');
      }
    }
    expectRefused(await rawRequest(url, 'GET', '/groups', { host: null }), 403, 'forbidden-host');
    expect(events).toEqual([]);
  });

  it('refuses a foreign Origin with 403 for every method, GET and OPTIONS included', async () => {
    for (const origin of [
      'http://attacker.example',
      'null',
      `https://127.0.0.1:${port}`,
      `http://127.0.0.1:${port + 1}`,
      `http://rebind.attacker.example:${port}`,
    ]) {
      for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE']) {
        const res = await rawRequest(url, method, '/groups/web', { headers: { origin } });
        if (method === 'HEAD') expect(res.status, `${method} ${origin}`).toBe(403);
        else expectRefused(res, 403, 'forbidden-origin');
      }
    }
    expect(events).toEqual([]);
  });

  it("accepts the server's own origin", async () => {
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`]) {
      expect((await rawRequest(url, 'GET', '/groups', { headers: { origin } })).status, origin).toBe(200);
    }
    expect(events).toHaveLength(3);
  });

  it('refuses Sec-Fetch-Site cross-site and same-site; same-origin and none pass', async () => {
    for (const site of ['cross-site', 'same-site']) {
      for (const method of ['GET', 'OPTIONS', 'POST']) {
        const res = await rawRequest(url, method, '/groups/web/free', {
          headers: { 'sec-fetch-site': site },
        });
        expectRefused(res, 403, 'forbidden-origin');
      }
    }
    expect(events).toEqual([]);
    for (const site of ['same-origin', 'none']) {
      const res = await rawRequest(url, 'GET', '/groups', { headers: { 'sec-fetch-site': site } });
      expect(res.status, site).toBe(200);
    }
    expect(events).toHaveLength(2);
  });

  it('refuses a write whose body is not declared JSON or YAML with 415', async () => {
    const refused = [
      'text/plain',
      'text/plain;charset=UTF-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      'text/html',
      undefined,
    ];
    for (const type of refused) {
      for (const method of ['PUT', 'POST', 'PATCH', 'DELETE']) {
        const res = await rawRequest(url, method, '/groups/web', {
          headers: type === undefined ? {} : { 'content-type': type },
          body: '{"id":"web"}',
        });
        expectRefused(res, 415, 'unsupported-media-type');
      }
    }
    expect(events).toEqual([]);
  });

  it('lets JSON and YAML bodies through, and writes without a body (the CLI sends these)', async () => {
    const accepted = [
      'application/json',
      'application/json; charset=utf-8',
      'application/yaml',
      'application/x-yaml',
      'text/yaml',
      'application/merge-patch+json',
      'application/vnd.example+yaml',
    ];
    for (const type of accepted) {
      const res = await rawRequest(url, 'PUT', '/groups/web', {
        headers: { 'content-type': type },
        body: '{"id":"web"}',
      });
      expect(res.status, type).toBe(200);
    }
    for (const method of ['POST', 'DELETE']) {
      expect((await rawRequest(url, method, '/groups/web/free')).status, method).toBe(200);
    }
    expect(events).toHaveLength(accepted.length + 2);
  });

  it('fetch, as the CLI calls it, passes every check', async () => {
    const res = await fetch(`${url}/groups/web/size`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: '{"size":2}',
    });
    expect(res.status).toBe(200);
    expect(events[0]?.body).toBe('{"size":2}');
  });
});
