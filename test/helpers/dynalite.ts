import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll } from 'vitest';
import { ensureTable } from '../../src/store/table.js';
import { freePort } from './moto.js';

export interface DynamoTestServer {
  readonly endpoint: string;
  /** A fresh client pointed at the server (dummy credentials, never a real AWS endpoint). */
  client(): DynamoDBClient;
  /** Creates a table with the project's key schema under a unique name and returns the name. */
  newTable(prefix?: string): Promise<string>;
  stop(): Promise<void>;
}

let tableCounter = 0;

export function dynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 3,
  });
}

function serverFor(endpoint: string, stop: () => Promise<void>): DynamoTestServer {
  const admin = dynamoClient(endpoint);
  return {
    endpoint,
    client: () => dynamoClient(endpoint),
    async newTable(prefix = 'infrakit') {
      tableCounter += 1;
      const name = `${prefix}-${process.pid}-${tableCounter}-${Date.now().toString(36)}`;
      await ensureTable(admin, name);
      return name;
    },
    async stop() {
      admin.destroy();
      await stop();
    },
  };
}

/** In-process dynalite on a free loopback port (in memory unless `path` is given). */
export async function startDynalite(path?: string): Promise<DynamoTestServer> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(path ? { path } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return serverFor(`http://127.0.0.1:${port}`, () => new Promise<void>((r) => server.close(() => r())));
}

/**
 * dynalite in a child process on a free loopback port (in memory): for measuring this process's
 * own CPU time, which an in-process dynalite would inflate with DynamoDB's side of each request.
 */
export async function startDynaliteProcess(): Promise<DynamoTestServer> {
  const port = await freePort();
  const cli = createRequire(import.meta.url).resolve('dynalite/cli.js');
  const ms = ['--createTableMs', '0', '--deleteTableMs', '0', '--updateTableMs', '0'];
  const child = spawn(process.execPath, [cli, '--host', '127.0.0.1', '--port', String(port), ...ms], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('dynalite did not start within 30 s')), 30_000);
      child.once('exit', (code) => reject(new Error(`dynalite exited with ${code} before listening`)));
      // It prints "Dynalite listening at: http://…" once the port is bound.
      child.stdout?.on('data', (chunk: Buffer) => {
        if (/listening at/i.test(chunk.toString())) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return serverFor(`http://127.0.0.1:${port}`, async () => {
    child.kill('SIGTERM');
    await exited;
  });
}

/** A DynamoDB test server backed by an already running moto server. */
export function motoDynamo(endpoint: string): DynamoTestServer {
  return serverFor(endpoint, async () => {});
}

/**
 * One in-process dynalite for the calling test file: started before its tests, stopped after.
 * Returns an accessor, valid inside tests and hooks.
 */
export function useDynalite(): () => DynamoTestServer {
  let server: DynamoTestServer | undefined;
  beforeAll(async () => {
    server = await startDynalite();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('dynalite is not started: call the accessor inside a test or hook');
    return server;
  };
}
