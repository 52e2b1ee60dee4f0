import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ProcessProvider } from '../../src/providers/process/index.js';
import { processStartTime } from '../../src/providers/process/os-process.js';
import { cattleRequests, uniqueGroupId } from '../contract/instance-provider.js';

const execFileP = promisify(execFile);

/** A fresh data dir under the OS temp dir. */
export function tempDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'infrakit-process-'));
}

interface RecordedProcess {
  readonly id: string;
  readonly pid: number;
  readonly startTime: string;
}

/** The pid and start time a state file records for `id`. */
export async function recorded(dataDir: string, id: string): Promise<RecordedProcess> {
  const text = await readFile(join(dataDir, 'instances', `${id}.json`), 'utf8');
  return JSON.parse(text) as RecordedProcess;
}

/** True while `pid` is alive (and not a zombie). */
export async function alive(pid: number): Promise<boolean> {
  return (await processStartTime(pid)) !== undefined;
}

/** Polls `condition` every 20 ms until it holds; throws after `ms`. */
export async function waitFor(condition: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Rejects when `promise` has not settled within `ms` (so a broken stop fails fast, not at the test timeout). */
export function within<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A process a test started, remembered so cleanup can kill it even after its state file is gone. */
export interface Started {
  readonly pid: number;
  readonly startTime: string | undefined;
}

/** SIGKILLs the group of each still-live started process (checked by start time, so never a reused pid). */
export async function killStarted(started: readonly Started[]): Promise<void> {
  for (const { pid, startTime } of started) {
    if (startTime === undefined || (await processStartTime(pid)) !== startTime) continue;
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
        break;
      } catch {
        // no such group (a helper inside another group): try the pid itself
      }
    }
  }
}

/** SIGKILLs one recorded instance's process group (only if it is still the recorded process). */
export async function killRecorded(dataDir: string, id: string): Promise<void> {
  const { pid, startTime } = await recorded(dataDir, id);
  if ((await processStartTime(pid)) !== startTime) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
  await waitFor(async () => !(await alive(pid)));
}

/**
 * Test cleanup: SIGKILLs every process recorded under `dataDir`, whatever its tags, then removes
 * the directory. Only processes whose start time still matches are signalled.
 */
export async function killAllAndRemove(dataDir: string): Promise<void> {
  const names = await readdir(join(dataDir, 'instances')).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    await killRecorded(dataDir, name.slice(0, -'.json'.length)).catch(() => {});
  }
  await rm(dataDir, { recursive: true, force: true });
}

/**
 * Pids of live (non-zombie) processes whose environment holds `name=value`, read straight from the
 * OS (`/proc/<pid>/environ` on Linux, `ps axeww` elsewhere), independently of any state file: what
 * really runs, to compare with what `describe` reports.
 */
export async function pidsWithEnv(name: string, value: string): Promise<number[]> {
  const entry = `${name}=${value}`;
  const pids: number[] = [];
  if (process.platform === 'linux') {
    for (const n of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
      const environ = await readFile(`/proc/${n}/environ`, 'latin1').catch(() => '');
      if (environ.split('\0').includes(entry) && (await alive(Number(n)))) pids.push(Number(n));
    }
  } else {
    const { stdout } = await execFileP('ps', ['axeww', '-o', 'pid=,stat=,command='], {
      maxBuffer: 256 * 1024 * 1024,
    });
    for (const line of stdout.split('\n')) {
      const m = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
      if (m && !m[2]?.startsWith('Z') && (m[3] ?? '').split(/\s+/).includes(entry)) pids.push(Number(m[1]));
    }
  }
  return pids.sort((a, b) => a - b);
}

/**
 * Launches one instance of a fresh group with `properties` (and an init script), recording its
 * process in `started` for cleanup.
 */
export async function launchOneProcess(
  provider: ProcessProvider,
  started: Started[],
  properties: unknown,
  init?: string,
  groupPrefix = 'proc',
) {
  const groupId = uniqueGroupId(groupPrefix);
  const [request] = cattleRequests(groupId, 1);
  if (!request) throw new Error('no request');
  const { launched } = await provider.provision(provider.validate(properties), [
    { ...request, ...(init ? { init } : {}) },
  ]);
  const instance = launched[0];
  if (!instance) throw new Error('nothing launched');
  const pid = Number(instance.details?.pid);
  started.push({ pid, startTime: await processStartTime(pid) });
  return { groupId, instance, pid };
}
