import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProcessProvider, type ProcessProviderOptions } from '../../src/providers/process/index.js';
import { INHERITED_ENV } from '../../src/providers/process/launch.js';
import { TAG_GROUP } from '../../src/tags.js';
import {
  killAllAndRemove,
  killStarted,
  launchOneProcess,
  type Started,
  tempDataDir,
  waitFor,
} from './process-helpers.js';

/**
 * What an instance process gets from the controller: an allow-listed environment (never the
 * controller's credentials), and private files (0700 folders, 0600 files) for its state and log.
 */

/** A Node.js instance that writes its environment and umask to `out`, then idles. */
function reporter(out: string, env: Record<string, string> = {}) {
  const script =
    `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ env: process.env, umask: process.umask() }));` +
    'setInterval(() => {}, 1e9);';
  return { command: process.execPath, args: ['-e', script], env };
}

const SECRETS = {
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret-of-the-controller',
  AWS_SESSION_TOKEN: 'session-of-the-controller',
  AWS_PROFILE: 'admin',
  GITHUB_TOKEN: 'ghp_example',
  NODE_OPTIONS: '--max-old-space-size=100',
  INFRAKIT_TEST_UNLISTED: 'controller only',
};

describe('process provider: environment and file modes of instances', () => {
  let dataDir: string;
  const started: Started[] = [];

  beforeEach(async () => {
    dataDir = join(await tempDataDir(), 'process');
  });
  afterEach(async () => {
    await killStarted(started.splice(0));
    await killAllAndRemove(dataDir);
  });

  async function launch(
    options: Omit<ProcessProviderOptions, 'dataDir'>,
    properties: unknown,
    init?: string,
  ) {
    const provider = new ProcessProvider({ dataDir, stopGraceMs: 300, ...options });
    const { groupId, instance } = await launchOneProcess(provider, started, properties, init, 'env');
    return { provider, groupId, instance };
  }

  async function report(out: string): Promise<{ env: Record<string, string>; umask: number }> {
    await waitFor(async () => (await readFile(out, 'utf8').catch(() => '')) !== '');
    return JSON.parse(await readFile(out, 'utf8'));
  }

  it("a child gets the allow-listed variables, the spec's env and its INFRAKIT_* ids, never the controller's secrets", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, SECRETS, { LANG: 'C.UTF-8', TZ: 'UTC' });
    try {
      const out = join(dataDir, '..', 'env.json');
      const { groupId, instance } = await launch(
        {},
        reporter(out, { GREETING: 'hello', TZ: 'Europe/Paris', INFRAKIT_INSTANCE_ID: 'spoofed' }),
      );
      const { env } = await report(out);
      for (const name of Object.keys(SECRETS)) expect(env[name], name).toBeUndefined();
      const inherited = INHERITED_ENV.filter((n) => n !== 'TZ' && process.env[n] !== undefined);
      expect(inherited).toContain('PATH');
      expect(Object.keys(env).sort()).toEqual(
        [...inherited, 'TZ', 'GREETING', 'INFRAKIT_INSTANCE_ID', 'INFRAKIT_GROUP'].sort(),
      );
      for (const name of inherited) expect(env[name], name).toBe(process.env[name]);
      expect(env.LANG).toBe('C.UTF-8');
      // The spec's env wins over an inherited variable; the provider's own ids win over the spec.
      expect(env.TZ).toBe('Europe/Paris');
      expect(env.GREETING).toBe('hello');
      expect(env.INFRAKIT_INSTANCE_ID).toBe(instance.id);
      expect(env.INFRAKIT_GROUP).toBe(groupId);
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });

  it('the environment option is what the allow-list is taken from, and the init script sees the same', async () => {
    const out = join(dataDir, '..', 'env-init.json');
    const { groupId } = await launch(
      { environment: { ...SECRETS, PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/home/nobody-here' } },
      reporter(out),
      'export FROM_INIT=yes',
    );
    const { env } = await report(out);
    for (const name of Object.keys(SECRETS)) expect(env[name], name).toBeUndefined();
    expect(env.HOME).toBe('/home/nobody-here');
    expect(env.FROM_INIT).toBe('yes');
    expect(env.INFRAKIT_GROUP).toBe(groupId);
    // Only what /bin/sh itself adds (PWD, SHLVL, _) beyond the allow-list, the init's export and our ids.
    const expected = new Set(['PATH', 'HOME', 'FROM_INIT', 'INFRAKIT_INSTANCE_ID', 'INFRAKIT_GROUP']);
    expect(
      Object.keys(env).filter((n) => !expected.has(n) && !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(n)),
    ).toEqual([]);
  });

  it('a child starts with the umask option, and the controller keeps its own', async () => {
    const before = process.umask();
    const out = join(dataDir, '..', 'umask.json');
    await launch({ umask: 0o027 }, reporter(out));
    expect((await report(out)).umask).toBe(0o027);
    expect(process.umask()).toBe(before);
  });

  it('state and log files are 0600 and their folders 0700, a looser existing folder is tightened', async () => {
    await mkdir(join(dataDir, 'logs'), { recursive: true, mode: 0o755 });
    await chmod(join(dataDir, 'logs'), 0o755);
    const { provider, groupId, instance } = await launch({}, { command: 'sleep', args: ['30'] });
    const modeOf = async (path: string) => (await stat(path)).mode & 0o777;
    for (const dir of [dataDir, join(dataDir, 'instances'), join(dataDir, 'logs')]) {
      expect(await modeOf(dir), dir).toBe(0o700);
    }
    const log = String(instance.details?.log);
    expect(log.startsWith(join(dataDir, 'logs'))).toBe(true);
    expect(await modeOf(log)).toBe(0o600);
    expect(await modeOf(join(dataDir, 'instances', `${instance.id}.json`))).toBe(0o600);
    // A relabel rewrites the state file: it stays private.
    await provider.label([instance.id], { extra: 'x' });
    expect(await modeOf(join(dataDir, 'instances', `${instance.id}.json`))).toBe(0o600);
    expect((await provider.describe({ tags: { [TAG_GROUP]: groupId } }))[0]?.tags.extra).toBe('x');
  });
});
