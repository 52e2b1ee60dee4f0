import { beforeAll, describe, expect, it } from 'vitest';
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
 * `npm start` end to end: a real controller process on a free port and a temp data dir, driven by
 * the CLI, with real instance processes killed out of band and the controller itself SIGKILLed.
 */
describe('local mode end to end', () => {
  const fx = useControllers('e2e');
  const { marker } = fx;
  const groupId = 'e2e-trio';
  let port: number;
  let controller: ControllerProcess | undefined;

  const start = () => fx.start(['--port', String(port), '--sweep-interval', '1']);

  beforeAll(async () => {
    port = await freePort();
    controller = await start();
  });

  it('heals a killed process, adopts its processes after a SIGKILL restart, and destroys cleanly', async () => {
    const url = `http://127.0.0.1:${port}`;
    const file = await writeProcessSpec(fx.dir(), groupId, marker, { size: 3 });

    const commit = await cli(url, 'group', 'commit', file);
    expect(commit.stderr).toBe('');
    expect(commit.code).toBe(0);
    expect((await cli(url, 'group', 'watch', groupId, '--timeout', '30', '--interval', '0.2')).code).toBe(0);

    const first = await groupPids(url, groupId);
    expect(first).toHaveLength(3);
    expect(await markedPids(marker)).toEqual(first);

    // Kill one instance out of band: it is replaced, and the others are untouched.
    const victim = first[0] as number;
    process.kill(victim, 'SIGKILL');
    const healed = await waitFor('a replacement', async () => {
      const pids = await groupPids(url, groupId);
      return pids.length === 3 && !pids.includes(victim) ? pids : undefined;
    });
    expect(healed).toEqual(expect.arrayContaining(first.slice(1)));
    expect(await markedPids(marker)).toEqual(healed);

    // SIGKILL the controller: no clean shutdown at all. The next one adopts the same processes.
    await controller?.kill('SIGKILL');
    expect(await markedPids(marker)).toEqual(healed);
    controller = await start();
    // Several sweeps (1 s apart) pass; none may launch anything.
    await new Promise((r) => setTimeout(r, 3500));
    expect(await groupPids(url, groupId)).toEqual(healed);
    expect(await markedPids(marker)).toEqual(healed);
    expect(controller.output()).not.toMatch(/launch \d/);

    const destroy = await cli(url, 'group', 'destroy', groupId, '--wait', '--timeout', '30');
    expect(destroy.code).toBe(0);
    await waitFor('no instance process left', async () => (await markedPids(marker)).length === 0);
    expect((await cli(url, 'group', 'get', groupId)).code).toBe(1);
  });
});
