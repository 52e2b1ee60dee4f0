import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoTestServer, startDynalite } from '../helpers/dynalite.js';
import { freePort } from '../helpers/moto.js';
import {
  type ControllerProcess,
  cli,
  groupPids,
  markedPids,
  useControllers,
  waitFor,
  writeProcessSpec,
} from './harness.js';

/**
 * Two local controllers side by side on one DynamoDB endpoint and one data dir: the leases, not a
 * leader, keep them from duplicating work. Every observation of the real process table during the
 * test must show at most the declared 5 instances.
 */
describe('two local controllers sharing DynamoDB and a data dir', () => {
  const fx = useControllers('shared');
  const { marker } = fx;
  const groupId = 'shared-five';
  let dynamo: DynamoTestServer;
  const controllers: ControllerProcess[] = [];
  const maxSeen = { count: 0 };

  /** Waits for `predicate` on the live marked processes, remembering the largest count ever seen. */
  const waitForProcesses = (what: string, predicate: (pids: number[]) => boolean) =>
    waitFor(
      what,
      async () => {
        const pids = await markedPids(marker);
        maxSeen.count = Math.max(maxSeen.count, pids.length);
        return predicate(pids) ? pids : undefined;
      },
      30_000,
    );

  beforeAll(async () => {
    dynamo = await startDynalite();
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      controllers.push(
        await fx.start([
          '--port',
          String(port),
          '--dynamodb-endpoint',
          dynamo.endpoint,
          '--sweep-interval',
          '1',
        ]),
      );
    }
  });

  afterAll(async () => {
    // The controllers first: they must not outlive their DynamoDB.
    for (const c of controllers) await c.kill('SIGKILL');
    await dynamo?.stop();
  });

  it('keeps exactly 5 processes through out-of-band kills and the loss of one controller', async () => {
    const [a, b] = controllers as [ControllerProcess, ControllerProcess];
    const file = await writeProcessSpec(fx.dir(), groupId, marker, { size: 5 });
    expect((await cli(a.url, 'group', 'commit', file)).code).toBe(0);

    const five = await waitForProcesses('5 processes', (pids) => pids.length === 5);
    // Both controllers sweep every second; give them several chances to over-provision.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await markedPids(marker)).toEqual(five);
    expect(await groupPids(b.url, groupId)).toEqual(five);

    // Kill 2 instances out of band.
    const killed = five.slice(0, 2);
    for (const pid of killed) process.kill(pid, 'SIGKILL');
    const healed = await waitForProcesses(
      '2 replacements',
      (pids) => pids.length === 5 && !pids.some((p) => killed.includes(p)),
    );
    await new Promise((r) => setTimeout(r, 2000));
    expect(await markedPids(marker)).toEqual(healed);

    // Lose controller A without any cleanup, then lose another instance: B alone restores it.
    await a.kill('SIGKILL');
    const victim = healed[0] as number;
    process.kill(victim, 'SIGKILL');
    const final = await waitForProcesses(
      'a replacement by B',
      (pids) => pids.length === 5 && !pids.includes(victim),
    );
    await new Promise((r) => setTimeout(r, 2000));
    expect(await markedPids(marker)).toEqual(final);
    expect(await groupPids(b.url, groupId)).toEqual(final);
    expect(maxSeen.count).toBe(5);

    expect((await cli(b.url, 'group', 'destroy', groupId, '--wait', '--timeout', '30')).code).toBe(0);
    await waitForProcesses('no process left', (pids) => pids.length === 0);
  });
});
