import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
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
  return parseProcStatFields(stat)?.startTime;
}

/** Start time and process group (field 5) of a live process's `/proc/<pid>/stat`. */
function parseProcStatFields(stat: string): { startTime: string; pgid: number } | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const state = fields[0];
  const pgid = Number(fields[5 - 3]);
  const startTime = fields[22 - 3];
  if (state === undefined || startTime === undefined) return undefined;
  if (state === 'Z' || state === 'X') return undefined;
  return { startTime, pgid };
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

/** A live process found by its environment (see `findByEnvironment`). */
export interface FoundProcess {
  readonly pid: number;
  readonly startTime: string;
}

/** Processes whose environment is read at once while scanning. */
const SCAN_CONCURRENCY = 32;

/**
 * The live processes whose environment holds `name=<value>` for one of `values`, keyed by that
 * value. Only process-group leaders count (an instance leads its own group; helpers its init
 * script started inherit the variable but not the leadership). Processes whose environment we may
 * not read (other users') are skipped: ours are always readable.
 *
 * Linux: `/proc/<pid>/environ` (the environment the process was exec'd with). Elsewhere:
 * `ps axeww`, which prints each process's environment after its command line.
 */
export async function findByEnvironment(
  name: string,
  values: ReadonlySet<string>,
): Promise<Map<string, FoundProcess>> {
  const found = new Map<string, FoundProcess>();
  if (values.size === 0) return found;
  const candidates =
    process.platform === 'linux'
      ? await linuxEnvironmentMatches(name, values)
      : await psEnvironmentMatches(name, values);
  for (const { pid, value } of candidates) {
    const startTime = await processStartTime(pid);
    if (startTime === undefined) continue;
    // Two leaders with one value: a helper the init script made a leader (`setsid`) inherited the
    // variable; the instance itself started first.
    const other = found.get(value);
    if (!other || startedBefore(startTime, other.startTime)) found.set(value, { pid, startTime });
  }
  return found;
}

/** Compares two start times of `processStartTime` (clock ticks on Linux, a date elsewhere). */
function startedBefore(a: string, b: string): boolean {
  const [x, y] = process.platform === 'linux' ? [Number(a), Number(b)] : [Date.parse(a), Date.parse(b)];
  return x < y;
}

interface EnvironmentMatch {
  readonly pid: number;
  readonly value: string;
}

async function linuxEnvironmentMatches(
  name: string,
  values: ReadonlySet<string>,
): Promise<EnvironmentMatch[]> {
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
  const prefix = `${name}=`;
  const matches: EnvironmentMatch[] = [];
  let next = 0;
  const worker = async () => {
    while (next < pids.length) {
      const pid = pids[next++] as number;
      if (pid === process.pid) continue;
      let environ: string;
      try {
        environ = await readFile(`/proc/${pid}/environ`, 'latin1');
      } catch {
        continue; // gone meanwhile, or not ours to read
      }
      const entry = environ.split('\0').find((e) => e.startsWith(prefix));
      const value = entry?.slice(prefix.length);
      if (value === undefined || !values.has(value)) continue;
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      if (parseProcStatFields(stat)?.pgid === pid) matches.push({ pid, value });
    }
  };
  await Promise.all(Array.from({ length: Math.min(SCAN_CONCURRENCY, pids.length) }, worker));
  return matches.sort((a, b) => a.pid - b.pid);
}

async function psEnvironmentMatches(name: string, values: ReadonlySet<string>): Promise<EnvironmentMatch[]> {
  const { stdout } = await run('ps', ['axeww', '-o', 'pid=,pgid=,command='], {
    maxBuffer: 256 * 1024 * 1024,
  });
  const prefix = `${name}=`;
  const matches: EnvironmentMatch[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (!m || m[1] !== m[2]) continue;
    const entry = (m[3] ?? '').split(/\s+/).find((t) => t.startsWith(prefix));
    const value = entry?.slice(prefix.length);
    if (value !== undefined && values.has(value)) matches.push({ pid: Number(m[1]), value });
  }
  return matches;
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
