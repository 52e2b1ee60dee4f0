import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalController } from '../../src/local/controller.js';
import { openLocalDynamo } from '../../src/local/dynamo.js';
import {
  type ControllerProcess,
  cli,
  killMarked,
  newMarker,
  rawRequest,
  startController,
  startInProcessController,
  waitFor,
} from './harness.js';

/**
 * Local mode against a web page in the user's browser (DNS rebinding, cross-site requests), and
 * against other users of the machine (file modes) and the instances it runs (their environment).
 * Real HTTP requests to a real controller.
 */

const ATTACKER = {
  origin: 'http://attacker.example',
  'sec-fetch-site': 'cross-site',
  'sec-fetch-mode': 'no-cors',
};

/** A `process` group whose one instance runs `sh -c <script>`, as JSON. */
function shellSpec(id: string, script: string, size = 1): string {
  return JSON.stringify({
    id,
    allocation: { size },
    instance: { provider: 'process', properties: { command: 'sh', args: ['-c', script] } },
  });
}

describe('local API against web pages (in-process controller)', () => {
  let dir: string;
  let controller: LocalController;
  let url: string;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'infrakit-security-'));
    controller = await startInProcessController(dir);
    url = controller.url;
    port = Number(new URL(url).port);
  });
  afterAll(async () => {
    await controller?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the DNS-rebinding attack of the issue gets 403: its command never runs, its group never exists', async () => {
    const pwned = join(dir, 'pwned');
    const attack = await rawRequest(url, 'PUT', '/groups/pwn', {
      host: `rebind.attacker.example:${port}`,
      headers: { origin: 'http://attacker.example', 'content-type': 'application/json' },
      body: shellSpec('pwn', `id > ${pwned}`),
    });
    expect(attack.status).toBe(403);
    expect(attack.json).toEqual({ error: { code: 'forbidden-host', message: expect.any(String) } });

    // The same request addressed to the controller itself (as the CLI sends it) does run: so the
    // attack's command would have run by the time this one has.
    const ran = join(dir, 'control-ran');
    const control = await rawRequest(url, 'PUT', '/groups/control', {
      headers: { 'content-type': 'application/json' },
      body: shellSpec('control', `id > ${ran}`),
    });
    expect(control.status).toBe(201);
    await waitFor('the control command to run', async () => existsSync(ran));
    expect(existsSync(pwned)).toBe(false);
    expect((await rawRequest(url, 'GET', '/groups/pwn')).status).toBe(404);
    expect(await controller.store.getGroup('pwn')).toBeUndefined();
    expect((await rawRequest(url, 'DELETE', '/groups/control')).status).toBe(202);
  });

  it('a cross-site request straight to 127.0.0.1 is refused too, for writes without a body as well', async () => {
    const put = await rawRequest(url, 'PUT', '/groups/web', {
      headers: { 'content-type': 'application/json' },
      body: shellSpec('web', 'exec sleep 30', 0),
    });
    expect(put.status).toBe(201);
    const version = (put.json as { version: number }).version;

    const attempts = [
      // What `fetch(url, { method: 'POST', mode: 'no-cors' })` from another site sends.
      { method: 'POST', path: '/groups/web/free', headers: ATTACKER },
      { method: 'DELETE', path: '/groups/web', headers: ATTACKER },
      { method: 'POST', path: '/groups/web/reconcile', headers: ATTACKER },
      // A browser without Sec-Fetch-* still sends Origin on every POST and DELETE.
      { method: 'POST', path: '/groups/web/free', headers: { origin: 'http://attacker.example' } },
      { method: 'DELETE', path: '/groups/web', headers: { origin: 'http://attacker.example' } },
      // A form post, or a text/plain fetch: the bodies a page may send without a preflight.
      {
        method: 'PATCH',
        path: '/groups/web/size',
        headers: { ...ATTACKER, 'content-type': 'text/plain' },
        body: '{"size":3}',
      },
      {
        method: 'PUT',
        path: '/groups/web',
        headers: { ...ATTACKER, 'content-type': 'text/plain' },
        body: shellSpec('web', 'id', 3),
      },
    ];
    for (const { method, path, headers, body } of attempts) {
      const res = await rawRequest(url, method, path, { headers, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(403);
    }

    const after = await rawRequest(url, 'GET', '/groups/web');
    expect(after.status).toBe(200);
    expect(after.json).toMatchObject({
      version,
      lifecycle: 'active',
      spec: { allocation: { size: 0 } },
    });
    // The CLI, from the user's side, still frees it.
    expect((await cli(url, 'group', 'free', 'web')).code).toBe(0);
    expect((await rawRequest(url, 'GET', '/groups/web')).status).toBe(404);
  });

  it('a page cannot read either: GET with a foreign Origin or Sec-Fetch-Site cross-site is refused', async () => {
    await rawRequest(url, 'PUT', '/groups/secret', {
      headers: { 'content-type': 'application/yaml' },
      body: 'allocation: { size: 0 }\ninstance: { provider: process, properties: { command: sleep, env: { TOKEN: s3cr3t } } }\n',
    });
    const refused: Record<string, string>[] = [
      { origin: 'http://attacker.example' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of refused) {
      for (const path of ['/groups', '/groups/secret', '/openapi.json']) {
        const res = await rawRequest(url, 'GET', path, { headers });
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(res.text).not.toContain('s3cr3t');
      }
    }
    const own = await rawRequest(url, 'GET', '/groups/secret', {
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    expect(own.status).toBe(200);
    expect(own.text).toContain('s3cr3t');
  });

  it('serves its console page only behind the same checks, unframable and with no foreign script or connection', async () => {
    const page = await rawRequest(url, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    const csp = String(page.headers['content-security-policy']);
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect((await rawRequest(url, 'GET', '/', { host: `rebind.attacker.example:${port}` })).status).toBe(403);
    expect((await rawRequest(url, 'GET', '/console/app.js', { headers: ATTACKER })).status).toBe(403);
    // The page's own origin may call the API, as the console does.
    const own = await rawRequest(url, 'GET', '/groups', {
      headers: { origin: url, 'sec-fetch-site': 'same-origin' },
    });
    expect(own.status).toBe(200);
  });

  it('answers to localhost and [::1] with its port, not to another name or port', async () => {
    for (const host of [`localhost:${port}`, `[::1]:${port}`, `127.0.0.1:${port}`]) {
      expect((await rawRequest(url, 'GET', '/groups', { host })).status, host).toBe(200);
    }
    for (const host of [`localhost:${port + 1}`, `attacker.example:${port}`, 'localhost']) {
      expect((await rawRequest(url, 'GET', '/groups', { host })).status, host).toBe(403);
    }
  });

  it('a write whose body is not JSON or YAML gets 415, also on routes that read no body', async () => {
    const json = { 'content-type': 'application/json' };
    const first = await rawRequest(url, 'PUT', '/groups/typed', {
      headers: json,
      body: shellSpec('typed', 'id', 0),
    });
    expect(first.status).toBe(201);
    const second = await rawRequest(url, 'PUT', '/groups/typed', {
      headers: json,
      body: shellSpec('typed', 'true', 0),
    });
    expect((second.json as { version: number }).version).toBe(2);

    const attempts = [
      { method: 'PUT', path: '/groups/typed', type: 'text/plain', body: shellSpec('typed', 'id', 5) },
      { method: 'PUT', path: '/groups/plain', type: 'text/plain', body: shellSpec('plain', 'id') },
      // A Blob body without a type: no Content-Type at all (the API would sniff it as JSON).
      { method: 'POST', path: '/groups/typed/rollback', type: undefined, body: '{"version":1}' },
      // Form posts to routes that ignore their body.
      { method: 'POST', path: '/groups/typed/free', type: 'application/x-www-form-urlencoded', body: 'a=b' },
      { method: 'DELETE', path: '/groups/typed', type: 'text/plain', body: 'x' },
    ];
    for (const { method, path, type, body } of attempts) {
      const res = await rawRequest(url, method, path, {
        headers: type ? { 'content-type': type } : {},
        body,
      });
      expect(res.status, `${method} ${path} ${type}`).toBe(415);
      expect(res.json).toEqual({ error: { code: 'unsupported-media-type', message: expect.any(String) } });
    }
    expect((await rawRequest(url, 'GET', '/groups/plain')).status).toBe(404);
    const after = await rawRequest(url, 'GET', '/groups/typed');
    expect(after.json).toMatchObject({
      version: 2,
      lifecycle: 'active',
      spec: { allocation: { size: 0 }, instance: { properties: { args: ['-c', 'true'] } } },
    });
    expect((await rawRequest(url, 'POST', '/groups/typed/free')).status).toBe(200);
  });
});

describe('embedded DynamoDB against web pages', () => {
  it('dynalite behind the same Host, Origin and Sec-Fetch-Site checks (it grants CORS to anyone)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'infrakit-dynalite-'));
    const dynamo = await openLocalDynamo({ dataDir: dir, tableName: 'infrakit', env: {} });
    try {
      const { port } = new URL(dynamo.endpoint);
      const call = (headers: Record<string, string>, host?: string, method = 'POST') =>
        rawRequest(dynamo.endpoint, method, '/', {
          ...(host ? { host } : {}),
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': 'DynamoDB_20120810.ListTables',
            ...headers,
          },
          ...(method === 'POST' ? { body: '{}' } : {}),
        });
      // Reached: dynalite answers itself (it wants a signature), with its request id.
      const own = await call({});
      expect(own.status).not.toBe(403);
      expect(own.headers['x-amzn-requestid']).toBeDefined();

      const refused = [
        await call({}, `rebind.attacker.example:${port}`),
        await call({ origin: 'http://attacker.example' }),
        await call(
          { origin: 'http://attacker.example', 'access-control-request-method': 'POST' },
          undefined,
          'OPTIONS',
        ),
        await call({ 'sec-fetch-site': 'cross-site' }),
      ];
      for (const res of refused) {
        expect(res.status).toBe(403);
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        expect(res.headers['x-amzn-requestid']).toBeUndefined();
      }
    } finally {
      await dynamo.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('npm start: private data folder, and instances without the controller environment', () => {
  const marker = newMarker();
  let dir: string;
  let controller: ControllerProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'infrakit-private-'));
  });
  afterAll(async () => {
    await controller?.kill('SIGKILL');
    await killMarked(marker);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Every folder and file under `root`, with its permission bits. */
  async function modes(root: string): Promise<Map<string, number>> {
    const found = new Map<string, number>([[root, (await stat(root)).mode & 0o777]]);
    for (const name of await readdir(root, { recursive: true })) {
      const path = join(root, name);
      const info = await stat(path).catch(() => undefined); // LevelDB may remove a file meanwhile
      if (info) found.set(path, (info.mode & 0o777) | (info.isDirectory() ? 0o1000 : 0));
    }
    return found;
  }

  it('folders are 0700 and files 0600 (a looser existing folder tightened); an instance gets no AWS credentials and the usual umask', async () => {
    const dataDir = join(dir, 'data');
    await mkdir(dataDir, { mode: 0o755 });
    await chmod(dataDir, 0o755);
    const out = join(dir, 'instance.json');

    const before = process.umask(0o022);
    try {
      controller = await startController(['--data-dir', dataDir, '--no-examples', '--port', '0'], {
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret-of-the-controller',
        AWS_SESSION_TOKEN: 'session-of-the-controller',
      });
    } finally {
      process.umask(before);
    }
    const script =
      `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ env: process.env, umask: process.umask() }));` +
      'setInterval(() => {}, 1e9);';
    const put = await rawRequest(controller.url, 'PUT', '/groups/envcheck', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'envcheck',
        allocation: { size: 1 },
        instance: { provider: 'process', properties: { command: 'node', args: ['-e', script, marker] } },
      }),
    });
    expect(put.status).toBe(201);
    await waitFor('the instance to report', async () => (await readFile(out, 'utf8').catch(() => '')) !== '');
    const report = JSON.parse(await readFile(out, 'utf8')) as { env: Record<string, string>; umask: number };

    expect(Object.keys(report.env).filter((n) => n.startsWith('AWS_'))).toEqual([]);
    expect(report.env.INFRAKIT_INSTANCE_ID).toMatch(/^p-[0-9a-f]{16}$/);
    expect(report.env.INFRAKIT_GROUP).toBe('envcheck');
    expect(report.env.PATH).toBe(process.env.PATH);
    // The controller's private umask is its own: the instance starts with the one npm start got.
    expect(report.umask).toBe(0o022);

    const found = await modes(dataDir);
    const kinds = [...found.keys()].map((p) => p.slice(dataDir.length));
    // The dynalite files, the instance's state and log are all there to be checked.
    expect(kinds).toEqual(
      expect.arrayContaining([
        '',
        '/dynamodb',
        '/dynamodb/controller.pid',
        '/process/instances',
        '/process/logs',
      ]),
    );
    expect(kinds.some((k) => /^\/dynamodb\/MANIFEST-/.test(k))).toBe(true);
    expect(kinds.some((k) => /^\/process\/logs\/p-[0-9a-f]{16}\.log$/.test(k))).toBe(true);
    expect(kinds.some((k) => /^\/process\/instances\/p-[0-9a-f]{16}\.json$/.test(k))).toBe(true);
    const loose = [...found]
      .filter(([path, mode]) => (path === dataDir ? mode !== 0o700 : mode !== 0o1700 && mode !== 0o600))
      .map(([path, mode]) => `${path.slice(dataDir.length)} ${(mode & 0o777).toString(8)}`);
    expect(loose).toEqual([]);
  });
});
