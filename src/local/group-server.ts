import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { GROUP_INTERFACE, GROUP_PARAMS_EXAMPLES, type GroupMethod, rpcErrorOf } from './group-protocol.js';
import { listenTracked, readBody } from './http-adapter.js';
import { PRIVATE_DIR_MODE } from './private-dir.js';

/**
 * A unix socket speaking InfraKit's plugin wire protocol (HTTP `POST /`, JSON-RPC 2.0, one params
 * object, Go field names), so that InfraKit's own CLI finds it in the plugins folder like any of its
 * plugins and drives this controller with `infrakit local <name> …`. It answers `Handshake.Hello`
 * (one unnamed object implementing `Group/0.1.1`, as InfraKit's group plugin does) and hands every
 * other method to `methods`. Errors are JSON-RPC errors with a readable message, which InfraKit's
 * CLI prints. The socket is its owner's only (0600): anyone who can connect can destroy groups.
 */

/** JSON-RPC error codes (the spec's), and -32000: the code InfraKit's plugins use for every error. */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const METHOD_NOT_FOUND = -32601;
const SERVER_ERROR = -32000;

/** Far above any group spec (the API itself refuses specs over 256 KiB with its own message). */
const MAX_REQUEST_BYTES = 1024 * 1024;
const SOCKET_MODE = 0o600;

export interface GroupSocket {
  readonly path: string;
  /** Stops listening, ends open connections, removes the socket file, and waits for calls under way. */
  close(): Promise<void>;
}

export interface GroupSocketOptions {
  readonly path: string;
  readonly methods: Readonly<Record<string, GroupMethod>>;
  /** A method failed unexpectedly (not an API refusal): worth a line in the controller's output. */
  readonly onError?: (err: unknown) => void;
}

type RpcId = string | number | null;

/** Whether something accepts connections on the socket at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Makes `path` free to listen on: nothing there, or a stale socket (left by a killed controller or
 * plugin, nobody accepting on it), which is removed. A live socket or any other file is refused.
 */
async function claim(path: string): Promise<void> {
  const existing = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!existing) return;
  if (!existing.isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  if (await answers(path))
    throw new Error(
      `${path} is already served by a running process (another controller or an InfraKit plugin): choose another --infrakit-socket name, or stop that process`,
    );
  await unlink(path);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function rpcError(res: ServerResponse, id: RpcId, code: number, message: string): void {
  reply(res, 200, { jsonrpc: '2.0', error: { code, message, data: null }, id });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** InfraKit's Hello: the interfaces this socket implements and its objects (`.`: the socket itself). */
const HELLO = { Objects: { [GROUP_INTERFACE]: [{ Name: '.', ProxyFor: '' }] } };

/** What InfraKit's `info api` reads (`GET /info/api.json`): the interface and its methods, by example. */
function apiInfo(methods: Readonly<Record<string, GroupMethod>>) {
  const [Name, Version] = GROUP_INTERFACE.split('/');
  const spec = { Name, Version, Sub: '' };
  const Methods = Object.keys(methods)
    .sort()
    .map((method) => ({
      Request: { jsonrpc: '2.0', method, params: GROUP_PARAMS_EXAMPLES[method] ?? {}, id: '1' },
    }));
  return { Vendor: null, Implements: [spec], Interfaces: [{ ...spec, Methods }] };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: GroupSocketOptions): Promise<void> {
  if (req.method === 'GET' && req.url === '/info/api.json') return reply(res, 200, apiInfo(options.methods));
  if (req.method !== 'POST' || (req.url ?? '/') !== '/') {
    reply(res, req.method === 'POST' ? 404 : 405, { error: 'JSON-RPC 2.0 only: POST / with a JSON body' });
    return;
  }
  const body = await readBody(req, MAX_REQUEST_BYTES);
  if (body === undefined) return rpcError(res, null, INVALID_REQUEST, 'request body over 1 MiB');
  let call: unknown;
  try {
    call = JSON.parse(body.toString('utf8'));
  } catch {
    return rpcError(res, null, PARSE_ERROR, 'the request body is not JSON');
  }
  const id: RpcId =
    isObject(call) && (typeof call.id === 'string' || typeof call.id === 'number') ? call.id : null;
  if (!isObject(call) || typeof call.method !== 'string')
    return rpcError(res, id, INVALID_REQUEST, 'not a JSON-RPC 2.0 request: method is missing');
  // InfraKit sends one params object; a one-element array holding it is the same call.
  const params = Array.isArray(call.params) && call.params.length === 1 ? call.params[0] : call.params;
  if (call.method === 'Handshake.Hello') return reply(res, 200, { jsonrpc: '2.0', result: HELLO, id });
  const method = options.methods[call.method];
  if (!method) return rpcError(res, id, METHOD_NOT_FOUND, `rpc: can't find method "${call.method}"`);
  try {
    reply(res, 200, { jsonrpc: '2.0', result: await method(params), id });
  } catch (err) {
    const known = rpcErrorOf(err);
    if (known) return rpcError(res, id, known.code, known.message);
    options.onError?.(err);
    rpcError(res, id, SERVER_ERROR, `${call.method} failed: internal error; see the controller's output`);
  }
}

/** Listens on `options.path` once it is free (see `claim`); resolves once listening. */
export async function serveGroupSocket(options: GroupSocketOptions): Promise<GroupSocket> {
  const { path } = options;
  await mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
  await claim(path);
  const fail = (err: unknown, res: ServerResponse) => {
    options.onError?.(err);
    if (!res.headersSent) rpcError(res, null, SERVER_ERROR, 'internal error');
    else res.destroy();
  };
  const { server, idle } = await listenTracked((req, res) => handle(req, res, options), fail, { path });
  // The umask of `npm start` (077) already makes it private at birth; this holds for any caller.
  await chmod(path, SOCKET_MODE);

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      // Closing a listening unix socket removes its file (libuv does); nothing else to clean up.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await idle();
    })();
    return closed;
  };
  return { path, close };
}
