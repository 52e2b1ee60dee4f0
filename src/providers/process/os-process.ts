import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

/**
 * Process identity read from the operating system. A pid alone is not an identity: the kernel
 * reuses pids, so a state file naming pid 4242 must not adopt whatever process holds 4242 today.
 * The pair (pid, start time) is unique for the lifetime of a machine, so every check here compares
 * the start time the OS reports now with the one recorded right after spawn.
 */

const run = promisify(execFile);

/**
 * The start time of `pid` as an opaque string, or `undefined` when no such live process exists
 * (gone, or a zombie that has exited but not been reaped yet).
 *
 * Linux: field 22 (`starttime`, clock ticks since boot) of `/proc/<pid>/stat`. Elsewhere:
 * `ps -o stat=,lstart= -p <pid>` (second resolution, good enough against reuse in practice).
 */
export async function processStartTime(pid: number): Promise<string | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return process.platform === 'linux' ? linuxStartTime(pid) : psStartTime(pid);
}

async function linuxStartTime(pid: number): Promise<string | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ESRCH')) return undefined;
    throw err;
  }
  return parseProcStat(stat);
}

/**
 * Parses `/proc/<pid>/stat`. The second field (`comm`) is in parentheses and may itself contain
 * spaces and parentheses, so the fields are counted from the last `)`: after it come field 3
 * (state) … field 22 (starttime). Zombies (`Z`) and dead tasks (`X`) count as gone.
 */
export function parseProcStat(stat: string): string | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const state = fields[0];
  const startTime = fields[22 - 3];
  if (state === undefined || startTime === undefined) return undefined;
  if (state === 'Z' || state === 'X') return undefined;
  return startTime;
}

async function psStartTime(pid: number): Promise<string | undefined> {
  try {
    const { stdout } = await run('ps', ['-o', 'stat=,lstart=', '-p', String(pid)]);
    const line = stdout.trim();
    if (!line) return undefined;
    const [stat = '', ...rest] = line.split(/\s+/);
    if (stat.startsWith('Z')) return undefined;
    return rest.join(' ');
  } catch {
    // ps exits non-zero when the pid does not exist.
    return undefined;
  }
}

/** True when `pid` is alive and is still the process that started at `startTime`. */
export async function isSameProcess(pid: number, startTime: string): Promise<boolean> {
  return (await processStartTime(pid)) === startTime;
}

/**
 * Signals the instance: the whole process group led by `pid` (instances are spawned detached, so
 * each leads its own group, and helpers started by its init script go with it). When `pid` leads
 * no group (a process started some other way), only `pid` itself is signalled. Call it only right
 * after `isSameProcess` said `pid` is ours. Already gone is fine.
 */
export function signalInstance(pid: number, signal: NodeJS.Signals): void {
  if (!signalGroupOnly(pid, signal)) trySignal(pid, signal);
}

/**
 * Signals the process group `pid` and nothing else (no fallback to a process of that pid, which
 * may by now be someone else's); false when no such group exists.
 */
export function signalGroupOnly(pid: number, signal: NodeJS.Signals): boolean {
  return trySignal(-pid, signal);
}

/** Sends `signal`; false when there is no such process (group). */
function trySignal(target: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch (err) {
    if (isErrno(err, 'ESRCH')) return false;
    throw err;
  }
}

/** Node's errno-style error test. */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === code;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
