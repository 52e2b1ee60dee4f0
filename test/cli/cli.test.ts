import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import type { LocalController } from '../../src/local/controller.js';
import { freePort } from '../helpers/moto.js';
import {
  cli,
  cliJson,
  groupPids,
  killMarked,
  newMarker,
  startInProcessController,
  waitFor,
  writeProcessSpec,
} from '../local/harness.js';

/**
 * Every CLI command against a real local controller running in this process (dynalite in memory
 * under a temp data dir, the process provider), plus the main errors. One test spawns the real
 * `bin/infrakit.js`.
 */

const execFileP = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

describe('infrakit CLI', () => {
  const marker = newMarker();
  let dir: string;
  let controller: LocalController;
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'infrakit-cli-'));
    controller = await startInProcessController(dir);
    url = controller.url;
    // Tests run shuffled: the empty listing can only be seen here, before any of them.
    expect((await cli(url, 'group', 'ls')).stdout).toBe('no groups\n');
  });

  afterAll(async () => {
    await controller?.stop();
    await killMarked(marker);
    await rm(dir, { recursive: true, force: true });
  });

  it('commits, lists, gets, scales, watches, and shows events, history and a rollback', async () => {
    const file = await writeProcessSpec(dir, 'cli-cattle', marker, { size: 2 });

    const commit = await cli(url, 'group', 'commit', file);
    expect(commit.code).toBe(0);
    expect(commit.stdout).toMatch(/group cli-cattle committed: version 1/);
    expect(
      (await cli(url, 'group', 'watch', 'cli-cattle', '--timeout', '30', '--interval', '0.2')).code,
    ).toBe(0);

    const ls = await cli(url, 'group', 'ls');
    expect(ls.stdout).toMatch(/^ID\s+VERSION/);
    expect(ls.stdout).toMatch(/cli-cattle\s+1\s+cattle\s+process\s+2/);

    const get = await cli(url, 'group', 'get', 'cli-cattle');
    expect(get.stdout).toContain('cli-cattle  desired 2  running 2  healthy 2  updating 0  converged');
    const pids = await groupPids(url, 'cli-cattle');
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(get.stdout).toContain(String(pid));

    const scale = await cli(url, 'group', 'scale', 'cli-cattle', '3');
    expect(scale.stdout).toContain('scaled to 3: version 2');
    expect(
      (await cli(url, 'group', 'watch', 'cli-cattle', '--timeout', '30', '--interval', '0.2')).code,
    ).toBe(0);
    expect(await groupPids(url, 'cli-cattle')).toHaveLength(3);

    const events = await cli(url, 'group', 'events', 'cli-cattle');
    expect(events.stdout).toMatch(/launch\s+launched 1 \(scale-up\)/);
    const history = await cliJson<{ versions: { version: number }[] }>(url, 'group', 'history', 'cli-cattle');
    expect(history.versions.map((v) => v.version)).toEqual([2, 1]);
    expect((await cli(url, 'group', 'history', 'cli-cattle')).stdout).toMatch(/2\s.*\(current\)/);

    const rollback = await cli(url, 'group', 'rollback', 'cli-cattle', '1');
    expect(rollback.stdout).toContain('now version 3');
    const afterRollback = await cliJson<{ version: number; spec: { allocation: { size: number } } }>(
      url,
      'group',
      'get',
      'cli-cattle',
    );
    expect(afterRollback).toMatchObject({ version: 3, spec: { allocation: { size: 2 } } });
  });

  it('shows a rolling update under --pretend as launches and terminations with reasons, saving nothing', async () => {
    const file = await writeProcessSpec(dir, 'cli-roll', marker, { size: 2 });
    expect((await cli(url, 'group', 'commit', file)).code).toBe(0);
    expect((await cli(url, 'group', 'watch', 'cli-roll', '--timeout', '30', '--interval', '0.2')).code).toBe(
      0,
    );
    const old = await groupPids(url, 'cli-roll');

    // A new command line → a new config hash → a roll with maxSurge 1, maxUnavailable 1.
    const changed = join(dir, 'cli-roll-v2.yaml');
    const yaml = [
      'id: cli-roll',
      'allocation: { size: 2 }',
      'instance:',
      '  provider: process',
      `  properties: { command: node, args: ['-e', 'setInterval(() => {}, 999999)', '${marker}'] }`,
      'health: { gracePeriodSeconds: 0 }',
      'update: { maxSurge: 1, maxUnavailable: 1 }',
    ].join('\n');
    await writeFile(changed, yaml);

    const pretend = await cli(url, 'group', 'commit', changed, '--pretend');
    expect(pretend.code).toBe(0);
    expect(pretend.stdout).toContain('group cli-roll (pretend: nothing saved)');
    expect(pretend.stdout).toMatch(/~ instance\.properties\.args: .*1000000000.* → .*999999/);
    expect(pretend.stdout).toMatch(/~ update\.maxUnavailable: 0 → 1/);
    expect(pretend.stdout).toMatch(/\+ launch \d {2}\(update\)/);
    expect(pretend.stdout).toMatch(/- terminate p-[0-9a-f]+ {2}\(outdated\)/);
    expect(pretend.stdout).toMatch(/summary: /);

    const json = await cliJson<{ pretend: boolean; plan: { actions: { kind: string }[] } }>(
      url,
      'group',
      'commit',
      changed,
      '--pretend',
    );
    expect(json.pretend).toBe(true);
    expect(json.plan.actions.map((a) => a.kind).sort()).toEqual(['launch', 'terminate']);

    // Nothing was saved and nothing was touched.
    expect((await cliJson<{ version: number }>(url, 'group', 'get', 'cli-roll')).version).toBe(1);
    expect(await groupPids(url, 'cli-roll')).toEqual(old);
  });

  it('pauses and resumes a rollout alone (group get says what waits and why), and the whole group', async () => {
    const file = await writeProcessSpec(dir, 'cli-pause', marker, { size: 2 });
    expect((await cli(url, 'group', 'commit', file)).code).toBe(0);
    const watch = () => cli(url, 'group', 'watch', 'cli-pause', '--timeout', '30', '--interval', '0.2');
    expect((await watch()).code).toBe(0);
    const old = await groupPids(url, 'cli-pause');

    const paused = await cli(url, 'group', 'pause', 'cli-pause', '--rollout');
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain("group cli-pause's rollout paused (no outdated instance is replaced");
    // A new config while the rollout is paused: nothing is replaced, and group get says why.
    const v2 = join(dir, 'cli-pause-v2.json');
    const spec = await cliJson<{ spec: object }>(url, 'group', 'get', 'cli-pause');
    await writeFile(
      v2,
      JSON.stringify({
        ...spec.spec,
        instance: {
          provider: 'process',
          properties: { command: 'node', args: ['-e', 'setInterval(() => {}, 1e8)', marker] },
        },
      }),
    );
    expect((await cli(url, 'group', 'commit', v2)).code).toBe(0);
    expect((await cli(url, 'group', 'reconcile', 'cli-pause')).code).toBe(0);
    const get = await cli(url, 'group', 'get', 'cli-pause');
    expect(get.stdout).toContain('held back: 2');
    expect(get.stdout).toMatch(/p-\S+ {2}rollout-paused: outdated: update\.paused is true/);
    expect(await groupPids(url, 'cli-pause')).toEqual(old);
    const explained = await cli(url, 'group', 'get', 'cli-pause', '--explain');
    expect(explained.stdout).toMatch(/INSTANCE\s+CONDITION\s+DECISION\s+WHY/);
    expect(explained.stdout).toMatch(/available, outdated\s+held: rollout-paused/);

    expect((await cli(url, 'group', 'resume', 'cli-pause', '--rollout')).stdout).toContain('rollout resumed');
    await waitFor(
      'the rollout to replace both old processes',
      async () => {
        const now = await groupPids(url, 'cli-pause');
        return now.length === 2 && now.every((p) => !old.includes(p));
      },
      60_000,
    );

    expect((await cli(url, 'group', 'pause', 'cli-pause')).stdout).toContain(
      '(no action at all until resumed)',
    );
    const doc = await cliJson<{ spec: { paused: boolean; update: { paused: boolean } } }>(
      url,
      'group',
      'get',
      'cli-pause',
    );
    expect(doc.spec).toMatchObject({ paused: true, update: { paused: false } });
    expect((await cli(url, 'group', 'resume', 'cli-pause')).code).toBe(0);
  });

  it('commits an InfraKit-format JSON spec and a JSON spec', async () => {
    const infrakit = join(dir, 'infrakit.json');
    await writeFile(
      infrakit,
      JSON.stringify({
        ID: 'cli-legacy',
        Properties: {
          Allocation: { Size: 1 },
          Instance: {
            Plugin: 'instance-process',
            Properties: { command: 'node', args: ['-e', '0', marker] },
          },
          Flavor: { Plugin: 'flavor-vanilla', Properties: {} },
        },
      }),
    );
    const pretend = await cli(url, 'group', 'commit', infrakit, '--pretend');
    expect(pretend.stdout).toContain('group cli-legacy (new; pretend: nothing saved)');
    expect(pretend.stdout).toMatch(/\+ launch 1 {2}\(scale-up\)/);

    const plain = join(dir, 'plain.json');
    await writeFile(
      plain,
      JSON.stringify({
        id: 'cli-json',
        allocation: { size: 0 },
        instance: { provider: 'process', properties: { command: 'true' } },
      }),
    );
    expect((await cli(url, 'group', 'commit', plain, '--create-only')).code).toBe(0);
    const again = await cli(url, 'group', 'commit', plain, '--create-only');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: .*already exists/);
  });

  it('frees a group (instances stay) and destroys one (instances go)', async () => {
    const keep = await writeProcessSpec(dir, 'cli-free', marker, { size: 1 });
    const gone = await writeProcessSpec(dir, 'cli-gone', marker, { size: 1 });
    for (const f of [keep, gone]) expect((await cli(url, 'group', 'commit', f)).code).toBe(0);
    for (const id of ['cli-free', 'cli-gone']) {
      expect((await cli(url, 'group', 'watch', id, '--timeout', '30', '--interval', '0.2')).code).toBe(0);
    }
    const [freePid] = await groupPids(url, 'cli-free');
    const [gonePid] = await groupPids(url, 'cli-gone');

    const free = await cli(url, 'group', 'free', 'cli-free');
    expect(free.stdout).toContain('no longer managed');
    expect((await cli(url, 'group', 'get', 'cli-free')).code).toBe(1);
    expect(() => process.kill(freePid as number, 0)).not.toThrow();

    // --delete-volumes is accepted by the API (a bad flag would be a 400); a process group keeps nothing to list.
    const destroy = await cli(
      url,
      'group',
      'destroy',
      'cli-gone',
      '--delete-volumes',
      '--wait',
      '--timeout',
      '30',
    );
    expect(destroy.stdout).toContain('group cli-gone destroyed');
    await waitFor('the destroyed instance to exit', async () => {
      try {
        process.kill(gonePid as number, 0);
        return false;
      } catch {
        return true;
      }
    });
    process.kill(freePid as number, 'SIGKILL');
  });

  it('fails with one line naming the fields of an invalid spec', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      'id: cli-bad\nallocation: { size: 1 }\ninstance: { provider: process, properties: { comand: x } }\n',
    );
    const out = await cli(url, 'group', 'commit', bad);
    expect(out.code).toBe(1);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toContain('invalid spec');
    expect(out.stderr).toContain('instance.properties.comand: unknown field');

    const noId = join(dir, 'noid.yaml');
    await writeFile(noId, 'allocation: { size: -1 }\ninstance: { provider: process }\n');
    const local = await cli(url, 'group', 'commit', noId);
    expect(local.code).toBe(1);
    expect(local.stderr).toMatch(/^error: invalid spec: .*id: .*allocation\.size/);
  });

  it('fails with a hint on a stale If-Match (412), on a missing group and on bad arguments', async () => {
    const file = await writeProcessSpec(dir, 'cli-etag', marker, { size: 0 });
    expect((await cli(url, 'group', 'commit', file)).code).toBe(0);
    const { etag } = await cliJson<{ etag: string }>(url, 'group', 'get', 'cli-etag');
    expect((await cli(url, 'group', 'scale', 'cli-etag', '1')).code).toBe(0);

    const stale = await cli(url, 'group', 'commit', file, '--if-match', etag);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^error: .*re-read the group \(infrakit group get ID\) and retry\n$/);

    const missing = await cli(url, 'group', 'get', 'no-such-group');
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toBe('error: group no-such-group not found (HTTP 404)\n');

    expect((await cli(url, 'group', 'scale', 'cli-etag', 'lots')).stderr).toContain(
      'size must be a whole number',
    );
    expect((await cli(url, 'group', 'nonsense')).code).not.toBe(0);
  });

  it('reconciles on demand, and watch ends blocked (exit 3) or on its timeout (exit 4)', async () => {
    const steady = await writeProcessSpec(dir, 'cli-reconcile', marker, { size: 1 });
    expect((await cli(url, 'group', 'commit', steady)).code).toBe(0);
    expect(
      (await cli(url, 'group', 'watch', 'cli-reconcile', '--timeout', '30', '--interval', '0.2')).code,
    ).toBe(0);
    // A follow-up pass of the controller's own may hold the lease for a moment: then the CLI says so
    // (exit 0) and the operator asks again.
    const reconcile = await waitFor('a reconcile not answered busy', async () => {
      const out = await cli(url, 'group', 'reconcile', 'cli-reconcile');
      return out.stdout.includes('another reconciler holds') ? undefined : out;
    });
    expect(reconcile).toMatchObject({ code: 0, stdout: 'group cli-reconcile: steady: 1/1 healthy\n' });

    const paused = join(dir, 'paused.yaml');
    await writeFile(
      paused,
      `id: cli-paused\npaused: true\nallocation: { size: 1 }\ninstance: { provider: process, properties: { command: node, args: ['-e', '0', '${marker}'] } }\n`,
    );
    expect((await cli(url, 'group', 'commit', paused)).code).toBe(0);
    const blocked = await cli(url, 'group', 'watch', 'cli-paused', '--timeout', '30', '--interval', '0.2');
    expect(blocked.code).toBe(3);
    expect(blocked.stderr).toMatch(/blocked.*paused/);

    // New instances must stay healthy an hour before they count: watch gives up at its timeout.
    const warming = join(dir, 'warming.yaml');
    await writeFile(
      warming,
      `id: cli-warming\nallocation: { size: 1 }\nupdate: { minHealthySeconds: 3600 }\ninstance: { provider: process, properties: { command: node, args: ['-e', 'setInterval(() => {}, 1e9)', '${marker}'] } }\n`,
    );
    expect((await cli(url, 'group', 'commit', warming)).code).toBe(0);
    const late = await cli(url, 'group', 'watch', 'cli-warming', '--timeout', '1', '--interval', '0.2');
    expect(late.code).toBe(4);
    expect(late.stderr.trim().split('\n')).toHaveLength(1);
    for (const id of ['cli-paused', 'cli-warming'])
      expect((await cli(url, 'group', 'destroy', id)).code).toBe(0);
  });

  /** Commits a process group of `size` whose `hook` waits an hour. */
  async function commitHooked(id: string, size: number, hook: 'launching' | 'terminating') {
    const file = await writeProcessSpec(dir, id, marker, { size });
    await writeFile(file, `${await readFile(file, 'utf8')}lifecycle:\n  ${hook}: { timeoutSeconds: 3600 }\n`);
    expect((await cli(url, 'group', 'commit', file)).code).toBe(0);
  }

  /** The instance a hook was announced for, from the group's events (local mode also prints it). */
  function announced(id: string, hook: 'launching' | 'terminating'): Promise<string> {
    return waitFor(`the ${hook} hook to be announced`, async () => {
      const res = await fetch(`${url}/groups/${id}/events`);
      const { events } = (await res.json()) as { events: { kind: string; data?: { instanceId?: string } }[] };
      return events.find((e) => e.kind === `instance-${hook}`)?.data?.instanceId;
    });
  }

  it('shows a new instance waiting in its launching hook and completes it: in service at once', async () => {
    await commitHooked('cli-boot', 1, 'launching');
    const waiting = await announced('cli-boot', 'launching');
    const get = await cli(url, 'group', 'get', 'cli-boot');
    expect(get.stdout).toMatch(/HOOK/);
    expect(get.stdout).toMatch(new RegExp(`${waiting}.*launching until`));
    const done = await cli(url, 'group', 'complete', 'cli-boot', waiting);
    expect(done).toMatchObject({ code: 0 });
    expect(done.stdout).toContain(`launching hook of ${waiting} completed with continue`);
    // Without the answer the instance would stay out of service for an hour.
    expect((await cli(url, 'group', 'watch', 'cli-boot', '--timeout', '30', '--interval', '0.2')).code).toBe(
      0,
    );
    const after = await cli(url, 'group', 'get', 'cli-boot');
    expect(after.stdout).not.toMatch(/HOOK/);
    expect((await cli(url, 'group', 'destroy', 'cli-boot')).code).toBe(0);
  });

  it('completes a waiting terminating hook: the scale-down goes on at once; nothing waiting is a 409', async () => {
    await commitHooked('cli-hook', 2, 'terminating');
    expect((await cli(url, 'group', 'watch', 'cli-hook', '--timeout', '30', '--interval', '0.2')).code).toBe(
      0,
    );
    expect((await cli(url, 'group', 'scale', 'cli-hook', '1')).code).toBe(0);
    // The terminating instance is announced in the group's events (and printed by local mode).
    const waiting = await announced('cli-hook', 'terminating');
    const other = await cli(url, 'group', 'complete', 'cli-hook', 'not-waiting');
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(
      /no lifecycle hook of group cli-hook waits for instance not-waiting \(HTTP 409\)/,
    );
    const done = await cli(url, 'group', 'complete', 'cli-hook', waiting);
    expect(done).toMatchObject({ code: 0 });
    expect(done.stdout).toContain(`terminating hook of ${waiting} completed with continue`);
    // Without the answer the hook would hold the instance for an hour.
    expect((await cli(url, 'group', 'watch', 'cli-hook', '--timeout', '30', '--interval', '0.2')).code).toBe(
      0,
    );
    // Then asked to stop (SIGTERM), it exits by itself: gone from the group.
    const group = (await (await fetch(`${url}/groups/cli-hook`)).json()) as {
      status: { instances: { id: string }[] };
    };
    expect(group.status.instances.map((i) => i.id)).not.toContain(waiting);
    expect(group.status.instances).toHaveLength(1);
    expect((await cli(url, 'group', 'destroy', 'cli-hook')).code).toBe(0);
  });

  it('fails with one line on a missing version, a pets group resize and a missing group', async () => {
    const file = await writeProcessSpec(dir, 'cli-errors', marker, { size: 0 });
    expect((await cli(url, 'group', 'commit', file)).code).toBe(0);
    const rollback = await cli(url, 'group', 'rollback', 'cli-errors', '9');
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toMatch(/^error: .*version 9.*\(HTTP 404\)\n$/);

    const pets = join(dir, 'pets.yaml');
    await writeFile(
      pets,
      `id: cli-pets\npaused: true\nallocation: { logicalIds: [a] }\ninstance: { provider: process, properties: { command: node } }\n`,
    );
    expect((await cli(url, 'group', 'commit', pets)).code).toBe(0);
    const scale = await cli(url, 'group', 'scale', 'cli-pets', '2');
    expect(scale.code).toBe(1);
    expect(scale.stderr).toMatch(/^error: .*logicalIds.*\(HTTP 409\)\n$/);

    for (const args of [['free'], ['destroy'], ['events'], ['history'], ['reconcile']]) {
      const out = await cli(url, 'group', ...args, 'no-such-group');
      expect(out, args.join(' ')).toMatchObject({
        code: 1,
        stderr: 'error: group no-such-group not found (HTTP 404)\n',
      });
    }
  });

  it('fails with one line when the endpoint is unreachable', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const out = await cli(closed, 'group', 'ls');
    expect(out.code).toBe(1);
    expect(out.stderr).toBe(
      `error: cannot reach ${closed}: connection refused (is the local controller running? start it with npm start)\n`,
    );
  });

  it('refuses a plain http:// endpoint off this machine: one line, exit 1, nothing sent', async () => {
    const sent: string[] = [];
    const stderr: string[] = [];
    const code = await run(['--endpoint', 'http://api.example.com:8787', 'group', 'ls'], {
      stdout: () => {},
      stderr: (text) => stderr.push(text),
      env: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'eu-west-1' },
      fetch: async (input) => {
        sent.push(String(input));
        throw new Error('nothing may be sent');
      },
    });
    expect(code).toBe(1);
    expect(stderr.join('')).toBe(
      'error: refusing to send SigV4-signed requests over plain http:// to api.example.com:8787: use https:// (only loopback endpoints may use http)\n',
    );
    expect(sent).toEqual([]);
  });

  it('refuses a spec whose provider properties are wrong before sending anything', async () => {
    const file = join(dir, 'bad-ec2.yaml');
    await writeFile(
      file,
      [
        'id: bad-ec2',
        'allocation: { size: 1 }',
        'instance:',
        '  provider: ec2',
        '  properties: { imageId: nope }',
        '',
      ].join('\n'),
    );
    const sent: string[] = [];
    const stderr: string[] = [];
    const code = await run(['--endpoint', 'http://127.0.0.1:8787', 'group', 'commit', file], {
      stdout: () => {},
      stderr: (text) => stderr.push(text),
      env: {},
      fetch: async (input) => {
        sent.push(String(input));
        throw new Error('nothing may be sent');
      },
    });
    expect(code).toBe(1);
    expect(stderr.join('')).toMatch(/instance\.properties\.imageId: must be an AMI id/);
    expect(sent).toEqual([]);
  });

  it('reconcile against a deployed API says the pass was requested (202)', async () => {
    const out: string[] = [];
    const code = await run(['--endpoint', 'http://127.0.0.1:8787', 'group', 'reconcile', 'web'], {
      stdout: (text) => out.push(text),
      stderr: () => {},
      env: {},
      fetch: async () =>
        new Response(
          JSON.stringify({
            groupId: 'web',
            requested: true,
            message: 'a reconcile pass of group web was requested',
          }),
          { status: 202, headers: { 'content-type': 'application/json' } },
        ),
    });
    expect(code).toBe(0);
    expect(out.join('')).toBe('group web: a reconcile pass of group web was requested\n');
  });

  it('prints the JSON Schema without needing an endpoint', async () => {
    const out = await cli('http://127.0.0.1:1', 'schema');
    const schema = JSON.parse(out.stdout) as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['id', 'allocation', 'instance']));
    expect(schema.required).toContain('id');
  });

  it('works as a real process through bin/infrakit.js', async () => {
    const file = await writeProcessSpec(dir, 'cli-bin', marker, { size: 0 });
    expect((await cli(url, 'group', 'commit', file)).code).toBe(0);
    const { stdout } = await execFileP(process.execPath, ['bin/infrakit.js', '--json', 'group', 'ls'], {
      cwd: ROOT,
      env: { ...process.env, INFRAKIT_ENDPOINT: url },
    });
    const ids = (JSON.parse(stdout) as { groups: { id: string }[] }).groups.map((g) => g.id);
    expect(ids).toContain('cli-bin');

    const failed = await execFileP(process.execPath, ['bin/infrakit.js', 'group', 'get', 'nope'], {
      cwd: ROOT,
      env: { ...process.env, INFRAKIT_ENDPOINT: url },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 1, stderr: 'error: group nope not found (HTTP 404)\n' });
  });
});
