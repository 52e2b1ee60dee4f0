import { open, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { messageOf } from '../errors.js';
import { isLoopback, LOOPBACK_CREDENTIALS } from '../loopback.js';
import { refuseForeign } from '../request-guard.js';
import { ensureTable } from '../store/table.js';
import { ensurePrivateDir } from './private-dir.js';

export interface LocalDynamo {
  readonly client: DynamoDBClient;
  /** The endpoint the client talks to (the embedded dynalite's loopback URL, or the external one). */
  readonly endpoint: string;
  /** What the startup banner shows. */
  readonly description: string;
  close(): Promise<void>;
}

function clientFor(endpoint: string, env: Readonly<Record<string, string | undefined>>): DynamoDBClient {
  const loopback = isLoopback(new URL(endpoint));
  return new DynamoDBClient({
    endpoint,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    // Dummy credentials only for an emulator on this machine; anything else uses the real chain.
    ...(loopback ? { credentials: LOOPBACK_CREDENTIALS } : {}),
    maxAttempts: 3,
  });
}

/**
 * The DynamoDB local mode uses: an external endpoint when given (shared by several controllers),
 * else dynalite embedded in this process with its LevelDB files under `<dataDir>/dynamodb`, which
 * survive restarts and SIGKILL (every write reaches the files before it is acknowledged).
 */
export async function openLocalDynamo(options: {
  dataDir: string;
  tableName: string;
  endpoint?: string;
  env?: Readonly<Record<string, string | undefined>>;
}): Promise<LocalDynamo> {
  const env = options.env ?? process.env;
  if (options.endpoint) {
    const client = clientFor(options.endpoint, env);
    try {
      await ensureTable(client, options.tableName);
    } catch (err) {
      client.destroy();
      throw new Error(`cannot use DynamoDB at ${options.endpoint}: ${messageOf(err)}`, { cause: err });
    }
    return {
      client,
      endpoint: options.endpoint,
      description: `external ${options.endpoint}`,
      close: async () => client.destroy(),
    };
  }

  const path = join(options.dataDir, 'dynamodb');
  await ensurePrivateDir(path);
  // dynalite crashes the process when its LevelDB folder is locked by another: check first.
  const unlock = await lockFolder(path);
  const server: Server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  guardFromBrowsers(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = clientFor(endpoint, env);
  const close = async () => {
    client.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    await unlock();
  };
  try {
    await ensureTable(client, options.tableName);
  } catch (err) {
    await close();
    // LevelDB allows one process per folder: the usual cause is a second controller on this data dir.
    throw new Error(`cannot open the embedded DynamoDB in ${path}: ${messageOf(err)}`, { cause: err });
  }
  return { client, endpoint, description: `embedded dynalite (${path})`, close };
}

/**
 * dynalite answers any request, and grants CORS to any `Origin`: a web page that found its port
 * could read and write the table, specs included, and so run commands through the process provider.
 * Its handler is put behind the API's own check of `Host`, `Origin` and `Sec-Fetch-Site`
 * (`request-guard.ts`); the SDK sends the loopback Host and neither of the others.
 */
function guardFromBrowsers(server: Server): void {
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const refusal = refuseForeign(req.headers, (server.address() as AddressInfo).port);
    if (!refusal) {
      for (const handle of handlers) handle.call(server, req, res);
      return;
    }
    const body = JSON.stringify({ error: { code: refusal.code, message: refusal.message } });
    res.writeHead(refusal.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims `<folder>/controller.pid` for this process (exclusive create). A file left by a process
 * that is gone (a SIGKILLed controller) is taken over; one held by a live process is refused with
 * what to do instead. Returns the release function.
 */
export async function lockFolder(folder: string): Promise<() => Promise<void>> {
  const file = join(folder, 'controller.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new Error(
        `the embedded DynamoDB in ${folder} is in use by another controller (pid ${holder}); ` +
          'give this one its own --data-dir, or run them all against one --dynamodb-endpoint ' +
          `(if no controller is running, delete ${file})`,
      );
    }
    // Stale: its holder is gone. Remove it and try once more (another starter may win the race).
    await rm(file, { force: true });
  }
  throw new Error(`could not lock ${folder}: another controller is starting on the same data dir`);
}
