import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/moto.js';
import { cli, groupPids, markedPids, useControllers, waitFor, writeProcessSpec } from './harness.js';

/**
 * The exit of a process adopted from an earlier controller (not a child of the running one) is
 * noticed within about a second, like a child's, not at the next sweep: the second controller
 * sweeps only every 60 s, so only the exit notification can explain a quick replacement.
 */
describe('local mode: exits of adopted processes', () => {
  const fx = useControllers('adopted');
  const { marker } = fx;
  const groupId = 'adopted-pair';
  let port: number;

  const start = (sweepSeconds: number) =>
    fx.start(['--port', String(port), '--sweep-interval', String(sweepSeconds)]);

  beforeAll(async () => {
    port = await freePort();
  });

  it('replaces a killed adopted process within seconds, with a 60 s sweep', async () => {
    const url = `http://127.0.0.1:${port}`;
    const first = await start(1);
    const file = await writeProcessSpec(fx.dir(), groupId, marker, { size: 2 });
    expect((await cli(url, 'group', 'commit', file)).code).toBe(0);
    expect((await cli(url, 'group', 'watch', groupId, '--timeout', '30', '--interval', '0.2')).code).toBe(0);
    const pids = await groupPids(url, groupId);
    expect(pids).toHaveLength(2);

    await first.kill('SIGKILL');
    const second = await start(60);
    // Its first sweep (at start) adopts both processes.
    await waitFor('the first sweep', async () => second.output().includes(groupId));
    expect(await groupPids(url, groupId)).toEqual(pids);

    const victim = pids[0] as number;
    process.kill(victim, 'SIGKILL');
    const killedAt = Date.now();
    const healed = await waitFor(
      'a replacement of the adopted process',
      async () => {
        const now = await groupPids(url, groupId);
        return now.length === 2 && !now.includes(victim) ? now : undefined;
      },
      5_000,
    );
    // Well before the next sweep (60 s): the adopted process's exit was noticed by itself.
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    expect(second.output()).toMatch(
      new RegExp(`${groupId}\\s+instance p-[0-9a-f]+ \\(pid ${victim}\\) exited`),
    );
    expect(await markedPids(marker)).toEqual(healed);
  });
});
