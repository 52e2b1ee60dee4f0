import type { Server } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { serveGateway } from '../../src/local/http-adapter.js';

/** The loopback gateway must hand the API exactly what API Gateway (HTTP API, payload 2.0) would. */
describe('local API gateway adapter', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  async function serveRecording(
    reply = { statusCode: 201, headers: { ETag: '"1-a"' }, body: '{"ok":true}' },
  ) {
    const events: APIGatewayProxyEventV2[] = [];
    const served = await serveGateway(
      async (event) => {
        events.push(event);
        return reply;
      },
      { host: '127.0.0.1', port: 0 },
    );
    server = served.server;
    return { events, url: served.url };
  }

  it('builds a payload-2.0 event: path, query, lowercased headers, text body, method and source', async () => {
    const { events, url } = await serveRecording();
    const res = await fetch(`${url}/groups/web?pretend=true&a=1&a=2`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/yaml', 'If-Match': '"1-a"' },
      body: 'id: web\n',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('etag')).toBe('"1-a"');
    expect(await res.json()).toEqual({ ok: true });

    const event = events[0] as APIGatewayProxyEventV2;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/groups/web',
      rawQueryString: 'pretend=true&a=1&a=2',
      queryStringParameters: { pretend: 'true', a: '1,2' },
      body: 'id: web\n',
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'PUT', path: '/groups/web', sourceIp: '127.0.0.1' },
        stage: '$default',
      },
    });
    expect(event.headers['content-type']).toBe('application/yaml');
    expect(event.headers['if-match']).toBe('"1-a"');
    expect(Object.keys(event.headers).every((k) => k === k.toLowerCase())).toBe(true);
  });

  it('passes bodies of non-textual types base64-encoded and omits an empty body', async () => {
    const { events, url } = await serveRecording();
    // A `+yaml` type passes the local content-type check, and API Gateway does not take it for text.
    await fetch(`${url}/x`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.example+yaml' },
      body: new Uint8Array([0, 255, 1]),
    });
    await fetch(`${url}/groups`);
    expect(events[0]).toMatchObject({
      body: Buffer.from([0, 255, 1]).toString('base64'),
      isBase64Encoded: true,
    });
    expect(events[1]?.body).toBeUndefined();
    expect(events[1]?.queryStringParameters).toBeUndefined();
  });

  it('answers 500 in the JSON error shape when the handler throws', async () => {
    const served = await serveGateway(
      async () => {
        throw new Error('boom');
      },
      { host: '127.0.0.1', port: 0 },
    );
    server = served.server;
    const res = await fetch(`${served.url}/groups`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
  });
});
