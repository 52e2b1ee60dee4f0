import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A tiny InfraKit plugin of the tests' own, on a unix socket (or loopback TCP): it answers each
 * JSON-RPC call as `handle` says, including the ways a real plugin can fail (garbage, an HTTP
 * error, a dropped connection, no answer at all).
 */

export type FakeAnswer =
  | { readonly result: unknown }
  | { readonly error: string; readonly code?: number }
  /** Sent as the body as it is. */
  | { readonly raw: string; readonly status?: number }
  /** The connection is dropped without an answer. */
  | { readonly drop: true }
  /** No answer, ever (until the server stops). */
  | { readonly hang: true };

export interface FakeCall {
  readonly method: string;
  readonly params: Record<string, unknown>;
}

export interface FakePlugin {
  /** The plugins folder holding the socket, named `name`. */
  readonly pluginsDir: string;
  readonly socketPath: string;
  /** `http://127.0.0.1:port/` when started with `tcp`. */
  readonly url?: string;
  readonly calls: FakeCall[];
  /** Calls being answered right now, and the most at once. */
  readonly inFlight: { now: number; max: number };
  stop(): Promise<void>;
}

export type FakeHandler = (call: FakeCall) => FakeAnswer | Promise<FakeAnswer>;

/** `Handshake.Hello` serving `objects` (interface → object names). */
export function hello(objects: Record<string, readonly string[]>): FakeAnswer {
  return {
    result: {
      Objects: Object.fromEntries(
        Object.entries(objects).map(([iface, names]) => [
          iface,
          names.map((Name) => ({ Name, ProxyFor: '' })),
        ]),
      ),
    },
  };
}

export async function startFakePlugin(
  name: string,
  handle: FakeHandler,
  options: { readonly tcp?: boolean } = {},
): Promise<FakePlugin> {
  const pluginsDir = await mkdtemp(join(tmpdir(), 'fake-plugin-'));
  const socketPath = join(pluginsDir, name);
  const calls: FakeCall[] = [];
  const inFlight = { now: 0, max: 0 };
  const hanging: ServerResponse[] = [];

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      let body: { method?: string; params?: Record<string, unknown>; id?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400).end('bad request');
        return;
      }
      const call = { method: body.method ?? '', params: body.params ?? {} };
      calls.push(call);
      inFlight.now += 1;
      inFlight.max = Math.max(inFlight.max, inFlight.now);
      let answer: FakeAnswer;
      try {
        answer = await handle(call);
      } catch (err) {
        answer = { error: (err as Error).message };
      } finally {
        inFlight.now -= 1;
      }
      if ('hang' in answer) {
        hanging.push(res);
        return;
      }
      if ('drop' in answer) {
        req.socket.destroy();
        return;
      }
      if ('raw' in answer) {
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' }).end(answer.raw);
        return;
      }
      const payload =
        'error' in answer
          ? {
              jsonrpc: '2.0',
              error: { code: answer.code ?? -32000, message: answer.error, data: null },
              id: body.id,
            }
          : { jsonrpc: '2.0', result: answer.result, id: body.id };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    });
  });

  let url: string | undefined;
  if (options.tcp) {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  } else {
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  }

  return {
    pluginsDir,
    socketPath,
    ...(url ? { url } : {}),
    calls,
    inFlight,
    async stop() {
      for (const res of hanging.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(pluginsDir, { recursive: true, force: true });
    },
  };
}

/**
 * An in-memory `Instance/0.6.1` object, answering as InfraKit's simulator does (ids of digits,
 * tags filtered by equality, "not found" for an unknown id). `instances` is its whole state.
 */
export function memoryInstances(): {
  readonly instances: Map<string, { tags: Record<string, string>; logicalId: string | null }>;
  readonly handle: (call: FakeCall) => FakeAnswer | undefined;
} {
  const instances = new Map<string, { tags: Record<string, string>; logicalId: string | null }>();
  let next = 1000;
  const handle = (call: FakeCall): FakeAnswer | undefined => {
    const p = call.params;
    switch (call.method) {
      case 'Instance.Validate':
        return { result: { Type: p.Type, OK: true } };
      case 'Instance.Provision': {
        const spec = p.Spec as { Tags?: Record<string, string>; LogicalID?: string | null };
        const id = String(next++);
        instances.set(id, { tags: { ...(spec.Tags ?? {}) }, logicalId: spec.LogicalID ?? null });
        return { result: { Type: p.Type, ID: id } };
      }
      case 'Instance.DescribeInstances': {
        const want = (p.Tags ?? {}) as Record<string, string>;
        const Descriptions = [...instances]
          .filter(([, i]) => Object.entries(want).every(([k, v]) => i.tags[k] === v))
          .map(([ID, i]) => ({ ID, LogicalID: i.logicalId, Tags: i.tags }));
        return { result: { Type: p.Type, Descriptions } };
      }
      case 'Instance.Destroy': {
        const id = p.Instance as string;
        if (!instances.delete(id)) return { error: `not found ${id}` };
        return { result: { Type: p.Type, OK: true } };
      }
      case 'Instance.Label': {
        const found = instances.get(p.Instance as string);
        if (!found) return { error: `not found ${String(p.Instance)}` };
        Object.assign(found.tags, p.Labels);
        return { result: { Type: p.Type, OK: true } };
      }
      default:
        return undefined;
    }
  };
  return { instances, handle };
}
