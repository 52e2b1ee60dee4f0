import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dynalite from 'dynalite';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalController, startLocalController } from '../../src/local/controller.js';
import {
  cli,
  killMarked,
  newMarker,
  startInProcessController,
  waitFor,
  writeProcessSpec,
} from './harness.js';

/**
 * Stopping a local controller while it is busy: passes under way, processes exiting, an operator's
 * request in flight. `stop` ends timers first, aborts what is in flight, waits for it, and closes the
 * store last, so nothing reaches the embedded DynamoDB after it closed (dynalite throws an uncaught
 * `Database is closed` when a request arrives as it closes).
 */

/** A dynalite that counts the requests it is working on (received, not yet answered) and all it received. */
async function countingDynalite(): Promise<{
  endpoint: string;
  working(): number;
  received(): number;
  close(): Promise<void>;
}> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  let working = 0;
  let received = 0;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    received += 1;
    working += 1;
    const end = res.end.bind(res);
    let ended = false;
    res.end = ((...args: Parameters<ServerResponse['end']>) => {
      if (!ended) working -= 1;
      ended = true;
      return end(...args);
    }) as ServerResponse['end'];
    for (const handle of handlers) handle.call(server, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    working: () => working,
    received: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('local controller shutdown', () => {
  const marker = newMarker();
  const dirs: string[] = [];

  /** A controller with a crash-looping group, once instances are exiting and being replaced. */
  async function busyController(
    start: (dir: string) => Promise<LocalController>,
    round: number,
  ): Promise<LocalController> {
    const dir = await mkdtemp(join(tmpdir(), 'infrakit-shutdown-'));
    dirs.push(dir);
    const controller = await start(dir);
    const id = `loop-${round}`;
    const file = await writeProcessSpec(dir, id, marker, { size: 3, exitAfterMs: 30 + round * 20 });
    expect((await cli(controller.url, 'group', 'commit', file)).code).toBe(0);
    // Busy: instances launched, exiting and being replaced; exit events, passes and refreshes.
    await waitFor('instances exiting and being replaced', async () => {
      const events = await controller.store.listEvents(id);
      return events.items.filter((e) => e.kind === 'launch').length >= 2;
    });
    return controller;
  }

  afterAll(async () => {
    await killMarked(marker);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('stops a busy controller with no error afterwards: timers ended, passes aborted, then the store closed', async () => {
    const errors: unknown[] = [];
    const onError = (err: unknown) => errors.push(err);
    process.on('unhandledRejection', onError);
    process.on('uncaughtException', onError);
    try {
      // Several rounds, each stopping at another moment of the controller's work.
      for (const [round, busyMs] of [0, 40, 150, 300, 700].entries()) {
        const controller = await busyController(startInProcessController, round);
        await sleep(busyMs);
        // An operator's pass in flight as the controller stops (it may fail: the server goes away).
        const inFlight = cli(controller.url, 'group', 'reconcile', `loop-${round}`).catch(() => undefined);
        await sleep(round % 2);
        const started = Date.now();
        await controller.stop();
        // Bounded: passes in flight are aborted, not waited out.
        expect(Date.now() - started).toBeLessThan(10_000);
        await inFlight;
        await killMarked(marker);
        // Whatever could still fire (timers, exit callbacks, late refreshes) has had time to.
        await sleep(400);
        expect(errors.map(String)).toEqual([]);
      }
    } finally {
      process.off('unhandledRejection', onError);
      process.off('uncaughtException', onError);
    }
  });

  it('closes the store only once no request to it is under way, and sends none afterwards', async () => {
    // An external DynamoDB this time, so that every request the controller sends can be counted.
    const dynamo = await countingDynalite();
    try {
      for (const [round, busyMs] of [0, 60, 250].entries()) {
        const controller = await busyController(
          (dir) =>
            startLocalController(
              {
                host: '127.0.0.1',
                port: 0,
                dataDir: join(dir, 'data'),
                sweepIntervalSeconds: 1,
                pluginWatchIntervalSeconds: 1,
                examples: false,
                tableName: `shutdown-${round}`,
                dynamodbEndpoint: dynamo.endpoint,
              },
              { print: () => {} },
            ),
          10 + round,
        );
        await sleep(busyMs);
        const inFlight = cli(controller.url, 'group', 'reconcile', `loop-${10 + round}`).catch(
          () => undefined,
        );
        await sleep(1);
        await controller.stop();
        expect(dynamo.working()).toBe(0);
        const received = dynamo.received();
        await inFlight;
        await killMarked(marker);
        await sleep(400);
        expect(dynamo.received()).toBe(received);
      }
    } finally {
      await dynamo.close();
    }
  });
});
