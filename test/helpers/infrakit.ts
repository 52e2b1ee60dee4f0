import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pidAlive } from './pid.js';

/**
 * Docker InfraKit's real plugins (`../shared/tools/infrakit`, beside the project root), started by
 * the tests in a temporary `INFRAKIT_HOME`. Where the script is missing the suites skip with a
 * message, except under CI=true, where a missing script is a failure.
 */

/** The script that runs InfraKit's binary (`shared/tools/infrakit/infrakit` beside the project). */
export const INFRAKIT_SCRIPT = fileURLToPath(
  new URL('../../../shared/tools/infrakit/infrakit', import.meta.url),
);

let availability: boolean | undefined;

export function infrakitAvailable(): boolean {
  if (availability === undefined) {
    availability = existsSync(INFRAKIT_SCRIPT);
    if (!availability && process.env.CI === 'true')
      throw new Error(`InfraKit's binary is required when CI=true: ${INFRAKIT_SCRIPT} is missing`);
    if (!availability)
      console.warn(`InfraKit not found (${INFRAKIT_SCRIPT}): skipping InfraKit plugin tests`);
    else unpack();
  }
  return availability;
}

/**
 * The script unpacks the binary once into a shared cache; test files starting at the same moment
 * may race on that first unpack (one's checksum sees the other's half-written file). A few tries
 * settle it, before any plugin is started.
 */
function unpack(): void {
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const run = spawnSync(INFRAKIT_SCRIPT, ['version'], { encoding: 'utf8', timeout: 60_000 });
    if (run.status === 0) return;
    last = `${run.stderr ?? ''}${run.error?.message ?? ''}`;
    spawnSync('sleep', [String(0.2 + Math.random())]);
  }
  throw new Error(`InfraKit's binary does not run (${INFRAKIT_SCRIPT} version): ${last}`);
}

export interface InfrakitPlugins {
  /** `INFRAKIT_HOME` (and `HOME`) of the plugins. */
  readonly home: string;
  /** Where the sockets are: `$INFRAKIT_HOME/plugins`. */
  readonly pluginsDir: string;
  /** The `file` plugin's folder (`INFRAKIT_INSTANCE_FILE_DIR`): one file per instance. */
  readonly fileDir: string;
  /**
   * SIGKILLs the process of plugin `name` by the pid in its `.pid` file: a crash. Plugins started
   * together share one process; start one with `start` to kill it alone.
   */
  kill(name: string): Promise<void>;
  /** Starts plugin `name` in this home as a process of its own: after `kill`, or as one more. */
  start(name: string): Promise<void>;
  /** Stops every plugin by the pid in its `.pid` file, then removes the home folder. */
  stop(): Promise<void>;
}

const SOCKET_OF: Record<string, string> = { group: 'group-stateless' };

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Starts `infrakit plugin start <names…>` in a fresh home and waits for every socket. */
export async function startInfrakitPlugins(names: readonly string[]): Promise<InfrakitPlugins> {
  const home = await mkdtemp(join(tmpdir(), 'infrakit-plugins-'));
  const pluginsDir = join(home, 'plugins');
  const fileDir = join(home, 'files');
  await mkdir(fileDir);
  const logPath = join(home, 'plugins.log');
  const launch = (which: readonly string[]): ChildProcess => {
    const log = openSync(logPath, 'a');
    const started = spawn(INFRAKIT_SCRIPT, ['plugin', 'start', ...which], {
      stdio: ['ignore', log, log],
      env: { ...process.env, INFRAKIT_HOME: home, HOME: home, INFRAKIT_INSTANCE_FILE_DIR: fileDir },
    });
    closeSync(log);
    return started;
  };
  const child = launch(names);
  const socketOf = (n: string) => join(pluginsDir, SOCKET_OF[n] ?? n);
  const sockets = names.map(socketOf);
  const pidFiles = new Set(sockets.map((s) => `${s}.pid`));
  const pidOf = async (file: string) => {
    const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  };

  const kill = async (name: string) => {
    const pid = await pidOf(`${socketOf(name)}.pid`);
    if (pid === undefined) throw new Error(`no pid file for the ${name} plugin`);
    process.kill(pid, 'SIGKILL');
    if (!(await waitFor(() => !pidAlive(pid), 5_000))) throw new Error(`the ${name} plugin outlived SIGKILL`);
  };
  const start = async (name: string) => {
    pidFiles.add(`${socketOf(name)}.pid`);
    // A killed plugin leaves both behind, and InfraKit refuses to start over a pid file.
    await rm(socketOf(name), { force: true });
    await rm(`${socketOf(name)}.pid`, { force: true });
    const again = launch([name]);
    const up = await waitFor(
      () => again.exitCode !== null || (existsSync(socketOf(name)) && existsSync(`${socketOf(name)}.pid`)),
      20_000,
    );
    if (!up || again.exitCode !== null) throw new Error(`the ${name} plugin did not start again`);
  };

  const stop = async () => {
    const pids = new Set<number>();
    for (const file of pidFiles) {
      const pid = await pidOf(file);
      if (pid !== undefined) pids.add(pid);
    }
    if (child.pid !== undefined && child.exitCode === null) pids.add(child.pid);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    // InfraKit's graceful stop takes about 5 s; its plugins here keep nothing worth a clean stop.
    for (const pid of pids) {
      if (!(await waitFor(() => !pidAlive(pid), 1_000))) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
    await rm(home, { recursive: true, force: true });
  };

  const ready = await waitFor(
    () => child.exitCode !== null || [...sockets, ...pidFiles].every((p) => existsSync(p)),
    20_000,
  );
  if (!ready || child.exitCode !== null) {
    const output = await readFile(logPath, 'utf8').catch(() => '');
    await stop();
    throw new Error(
      `InfraKit plugins ${names.join(', ')} did not start within 20 s:\n${output.slice(-2000)}`,
    );
  }
  return { home, pluginsDir, fileDir, kill, start, stop };
}
