import { spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalController } from '../../src/local/controller.js';
import type { GroupSocket } from '../../src/local/group-server.js';
import { startInfrakitSocket } from '../../src/local/infrakit-socket.js';
import { PluginRpcError } from '../../src/providers/infrakit/errors.js';
import { callPlugin } from '../../src/providers/infrakit/rpc.js';
import { cliJson, killMarked, newMarker, startInProcessController, waitFor } from './harness.js';

/**
 * `--infrakit-socket` in-process: InfraKit's Group/0.1.1 on a unix socket, answered by a local
 * controller's own API (dynalite underneath). Calls go over the socket with the same JSON-RPC client
 * this project uses for InfraKit's plugins; what they change is read back through the HTTP API.
 */

/** InfraKit group JSON on the `process` provider: `size` idle processes (0 here: nothing runs). */
function infrakitSpec(id: string, size: number, init: string[] = []) {
  return {
    ID: id,
    Properties: {
      Allocation: { Size: size },
      Instance: { Plugin: 'process', Properties: { command: process.execPath, args: ['-e', '0'] } },
      Flavor: { Plugin: 'vanilla', Properties: { Init: init } },
    },
  };
}

/** A raw HTTP exchange on the socket, for what the JSON-RPC client would not send. */
function raw(
  socketPath: string,
  method: string,
  body?: string,
  path = '/',
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, method, path, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the InfraKit group socket (in-process)', () => {
  let dir: string;
  let pluginsDir: string;
  let controller: LocalController;
  let socket: GroupSocket;

  const call = (method: string, params: Record<string, unknown>) =>
    callPlugin({ kind: 'unix', socketPath: socket.path }, 'group', method, params, { timeoutMs: 30_000 });

  /** The JSON-RPC error message of a call that must fail. */
  const failure = async (method: string, params: Record<string, unknown>) => {
    const err = await call(method, params).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, `${method} should have failed`).toBeInstanceOf(PluginRpcError);
    return err as PluginRpcError;
  };

  const get = (id: string) => cliJson<{ version: number; etag: string }>(controller.url, 'group', 'get', id);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'infrakit-group-socket-'));
    pluginsDir = join(dir, 'plugins');
    controller = await startInProcessController(dir);
    socket = await startInfrakitSocket({
      apiUrl: controller.url,
      store: controller.store,
      pluginsDir,
      name: 'group',
    });
  }, 60_000);

  afterAll(async () => {
    await socket?.close();
    await controller?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('says hello as InfraKit group plugins do, on a socket only its owner can open', async () => {
    expect(await call('Handshake.Hello', {})).toEqual({
      Objects: { 'Group/0.1.1': [{ Name: '.', ProxyFor: '' }] },
    });
    expect((await stat(socket.path)).mode & 0o777).toBe(0o600);
    // InfraKit's `info api` page: the interface, and each method with an example request.
    const info = await raw(socket.path, 'GET', undefined, '/info/api.json');
    expect(info.json).toMatchObject({ Implements: [{ Name: 'Group', Version: '0.1.1' }] });
    const methods = (info.json as { Interfaces: { Methods: { Request: { method: string } }[] }[] })
      .Interfaces[0]?.Methods;
    expect(methods?.map((m) => m.Request.method)).toEqual([
      'Group.CommitGroup',
      'Group.DescribeGroup',
      'Group.DestroyGroup',
      'Group.DestroyInstances',
      'Group.FreeGroup',
      'Group.InspectGroups',
      'Group.SetSize',
      'Group.Size',
    ]);
  });

  it('commits InfraKit group JSON through the API: versions, ETags and history as over HTTP', async () => {
    const commit = (spec: object, Pretend = false) =>
      call('Group.CommitGroup', { Name: 'group', Spec: spec, Pretend });

    // Pretend plans and stores nothing.
    const pretend = await commit(infrakitSpec('Socket-A', 0), true);
    expect(pretend).toEqual({ Name: 'group', ID: 'Socket-A', Details: 'Noop' });
    await expect(get('socket-a')).rejects.toThrow(/not found/);

    // The InfraKit ID is lowercased, as the import does; the answer names the version and ETag the API holds.
    const first = (await commit(infrakitSpec('Socket-A', 0))) as { Details: string };
    const v1 = await get('socket-a');
    expect(v1.version).toBe(1);
    expect(first.Details).toBe(`Managing 0 instances (version 1, ETag ${v1.etag})`);

    // The same spec again changes nothing; another makes version 2, in the history like any PUT.
    await commit(infrakitSpec('socket-a', 0));
    expect((await get('socket-a')).etag).toBe(v1.etag);
    await commit(infrakitSpec('socket-a', 0, ['echo v2']));
    const v2 = await get('socket-a');
    expect(v2.version).toBe(2);
    expect(v2.etag).not.toBe(v1.etag);
    const history = await cliJson<{ versions: { version: number }[] }>(
      controller.url,
      'group',
      'history',
      'socket-a',
    );
    expect(history.versions.map((v) => v.version)).toEqual([2, 1]);

    // Inspect shows it back in InfraKit's format, which commits to the very same version.
    const inspected = (await call('Group.InspectGroups', { Name: 'group' })) as { Groups: { ID: string }[] };
    const mine = inspected.Groups.find((g) => g.ID === 'socket-a');
    expect(mine).toEqual({
      ID: 'socket-a',
      Properties: {
        // The stored spec is normalized: the provider's defaults are filled in.
        Instance: {
          Plugin: 'process',
          Properties: { command: process.execPath, args: ['-e', '0'], env: {} },
        },
        Flavor: { Plugin: 'vanilla', Properties: { Init: ['echo v2'] } },
        Allocation: { Size: 0 },
      },
    });
    await commit(mine as object);
    expect((await get('socket-a')).etag).toBe(v2.etag);
  });

  it('inspects a group committed again after a free as it is now, not as its old versions were', async () => {
    const commit = (init: string[]) =>
      call('Group.CommitGroup', { Name: 'group', Spec: infrakitSpec('socket-e', 0, init) });
    await commit(['echo 1']);
    await commit(['echo 2']);
    await call('Group.FreeGroup', { Name: 'group', ID: 'socket-e' });
    await commit(['echo again']);
    const listed = (await call('Group.InspectGroups', { Name: 'group' })) as {
      Groups: { ID: string; Properties: { Flavor: unknown } }[];
    };
    const again = listed.Groups.find((g) => g.ID === 'socket-e');
    expect(again?.Properties.Flavor).toEqual({ Plugin: 'vanilla', Properties: { Init: ['echo again'] } });
    await call('Group.FreeGroup', { Name: 'group', ID: 'socket-e' });
  });

  it('sizes, describes, frees and destroys through the same API routes', async () => {
    await call('Group.CommitGroup', { Name: 'group', Spec: infrakitSpec('socket-b', 0) });
    expect(await call('Group.Size', { Name: 'group', ID: 'socket-b' })).toEqual({
      Name: 'group',
      ID: 'socket-b',
      Size: 0,
    });
    expect(await call('Group.SetSize', { Name: 'group', ID: 'socket-b', Size: 0 })).toEqual({
      Name: 'group',
      ID: 'socket-b',
    });
    const described = await call('Group.DescribeGroup', { Name: 'group', ID: 'socket-b' });
    expect(described).toEqual({
      Name: 'group',
      ID: 'socket-b',
      Description: { Instances: [], Converged: true },
    });

    expect(await call('Group.FreeGroup', { Name: 'group', ID: 'socket-b' })).toEqual({
      Name: 'group',
      ID: 'socket-b',
    });
    await expect(get('socket-b')).rejects.toThrow(/not found/);
    await call('Group.CommitGroup', { Name: 'group', Spec: infrakitSpec('socket-b', 0) });
    expect(await call('Group.DestroyGroup', { Name: 'group', ID: 'socket-b' })).toEqual({
      Name: 'group',
      ID: 'socket-b',
    });
    // A group being destroyed is no longer listed, as InfraKit forgets a destroyed group at once.
    const listed = (await call('Group.InspectGroups', { Name: 'group' })) as { Groups: { ID: string }[] };
    expect(listed.Groups.map((g) => g.ID)).not.toContain('socket-b');
  });

  it('destroys exactly the members named, and two concurrent calls shrink the group by both', async () => {
    const marker = newMarker();
    try {
      // Four idle processes, each carrying the marker on its command line (for the cleanup).
      const spec = {
        ID: 'socket-d',
        Properties: {
          Allocation: { Size: 4 },
          Instance: {
            Plugin: 'process',
            Properties: { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1e9)', marker] },
          },
        },
      };
      await call('Group.CommitGroup', { Name: 'group', Spec: spec });
      type Doc = {
        version: number;
        spec: { allocation: { size: number } };
        status: { instances: { id: string }[] };
      };
      const state = () => cliJson<Doc>(controller.url, 'group', 'get', 'socket-d');
      const ids = (d: Doc) => d.status.instances.map((i) => i.id).sort();
      const four = await waitFor(
        '4 members',
        async () => ((await state()).status.instances.length === 4 ? ids(await state()) : undefined),
        30_000,
      );
      const [a, b, ...rest] = four as [string, string, ...string[]];

      // Both read size 4; whichever resizes second loses the race (412) and resizes again from 3.
      await Promise.all([
        call('Group.DestroyInstances', { Name: 'group', ID: 'socket-d', Instances: [a] }),
        call('Group.DestroyInstances', { Name: 'group', ID: 'socket-d', Instances: [b] }),
      ]);
      const after = await state();
      expect(after.spec.allocation.size).toBe(2);
      const left = await waitFor(
        'the two named members gone',
        async () => {
          const now = ids(await state());
          return now.length === 2 && !now.includes(a) && !now.includes(b) ? now : undefined;
        },
        30_000,
      );
      // Exactly those two went: no other member was chosen, nothing new was launched.
      expect(left).toEqual(rest.sort());
      await call('Group.DestroyGroup', { Name: 'group', ID: 'socket-d' });
    } finally {
      await killMarked(marker);
    }
  }, 90_000);

  it('answers bad input with a JSON-RPC error naming what is wrong, and changes nothing', async () => {
    const invalid = await failure('Group.CommitGroup', {
      Name: 'group',
      Spec: { ID: 'socket-c', Properties: { Allocation: {}, Instance: { Plugin: 'process' } } },
    });
    expect(invalid.code).toBe(-32000);
    expect(invalid.pluginMessage).toBe('invalid spec: Properties.Allocation: needs Size or LogicalIDs');
    await expect(get('socket-c')).rejects.toThrow(/not found/);

    expect((await failure('Group.Size', { Name: 'group', ID: 'nosuch' })).pluginMessage).toBe(
      'group nosuch not found',
    );
    await call('Group.CommitGroup', { Name: 'group', Spec: infrakitSpec('socket-c', 0) });
    const before = await get('socket-c');
    const negative = await failure('Group.SetSize', { Name: 'group', ID: 'socket-c', Size: -1 });
    expect(negative.pluginMessage).toMatch(/^size: .*>=0/);
    const stranger = await failure('Group.DestroyInstances', {
      Name: 'group',
      ID: 'socket-c',
      Instances: ['p-nope'],
    });
    expect(stranger.pluginMessage).toBe('not members of group socket-c: p-nope; nothing was destroyed');
    expect((await get('socket-c')).etag).toBe(before.etag);

    const params = await failure('Group.SetSize', { Name: 'group', ID: 'socket-c', Size: 'two' });
    expect(params.code).toBe(-32602);
    expect(params.pluginMessage).toMatch(/^Group\.SetSize: Size /);
    const unknown = await failure('Group.Reticulate', {});
    expect(unknown.code).toBe(-32601);
    expect(unknown.pluginMessage).toBe('rpc: can\'t find method "Group.Reticulate"');

    expect(await raw(socket.path, 'POST', 'not json')).toMatchObject({
      status: 200,
      json: { jsonrpc: '2.0', error: { code: -32700 }, id: null },
    });
    expect((await raw(socket.path, 'GET')).status).toBe(405);
  });
});

describe('claiming the socket name', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'infrakit-group-claim-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const serve = (name: string) =>
    startInfrakitSocket({
      apiUrl: 'http://127.0.0.1:9',
      store: { markRetiring: async () => {} },
      pluginsDir: join(dir, 'plugins'),
      name,
    });

  /** A socket file nobody accepts on: a child binds `path` and is SIGKILLed, as a crashed owner would leave it. */
  const deadSocket = async (path: string) => {
    const child = spawnSync(
      process.execPath,
      [
        '-e',
        `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
      ],
      { timeout: 30_000 },
    );
    expect(child.signal).toBe('SIGKILL');
    expect((await lstat(path)).isSocket()).toBe(true);
  };

  it('refuses a name a live process serves, and a file that is not a socket', async () => {
    const first = await serve('group');
    await expect(serve('group')).rejects.toThrow(/already served by a running process/);
    await first.close();
    await expect(lstat(first.path)).rejects.toThrow(/ENOENT/);

    await mkdir(join(dir, 'plugins'), { recursive: true });
    await writeFile(join(dir, 'plugins', 'notes'), 'mine');
    await expect(serve('notes')).rejects.toThrow(/exists and is not a socket/);
  });

  it('replaces a stale socket, and removes its own on close', async () => {
    const path = join(dir, 'plugins', 'stale');
    await mkdir(join(dir, 'plugins'), { recursive: true });
    await deadSocket(path);
    const served = await serve('stale');
    const hello = await callPlugin(
      { kind: 'unix', socketPath: path },
      'stale',
      'Handshake.Hello',
      {},
      { timeoutMs: 10_000 },
    );
    expect(hello).toEqual({ Objects: { 'Group/0.1.1': [{ Name: '.', ProxyFor: '' }] } });
    await served.close();
    await expect(lstat(path)).rejects.toThrow(/ENOENT/);
  });
});
