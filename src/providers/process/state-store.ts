import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { InfrakitError } from '../../errors.js';
import { isErrno } from './os-process.js';

/**
 * One JSON file per instance under `<dataDir>/instances/<id>.json`. There is deliberately no
 * shared index: several controllers may share a data dir, and a single index file would need a
 * lock. Every write is a temp file plus `rename`, which is atomic on POSIX file systems, so a
 * reader sees either the old or the new content, never a torn file. Folders are 0700 and files
 * 0600: they name the commands instances run, and logs hold their output.
 */

/** Files read at once while listing: enough to overlap I/O, far below any descriptor limit. */
const READ_CONCURRENCY = 32;

/** Instance ids look like `p-<16 hex>`; anything else is never ours (and never a path). */
export const PROCESS_INSTANCE_ID = /^p-[0-9a-f]{16}$/;

const StateSchema = z
  .object({
    version: z.literal(1),
    id: z.string().regex(PROCESS_INSTANCE_ID),
    /** Absent while the record is provisional (written before the spawn, see `ProcessProvider`). */
    pid: z.int().positive().optional(),
    /** OS start time of `pid`, read right after spawn (see `processStartTime`); present with `pid`. */
    startTime: z.string().min(1).optional(),
    /**
     * Wall-clock epoch ms at which a provisional record was written, before its process was
     * spawned; absent once the record names its process.
     */
    provisionalSince: z.number().optional(),
    tags: z.record(z.string(), z.string()),
    logicalId: z.string().optional(),
    token: z.string(),
    /** Epoch ms. */
    launchedAt: z.number(),
    logFile: z.string(),
  })
  .refine((s) => (s.pid !== undefined && s.startTime !== undefined) || s.provisionalSince !== undefined, {
    message: 'a record names its process (pid and startTime) or is provisional',
  });

/** What is recorded about one instance: a complete or a provisional record. */
export type InstanceRecord = z.infer<typeof StateSchema>;

/** A complete record: the instance's process is known. */
export type InstanceState = InstanceRecord & { readonly pid: number; readonly startTime: string };

/** True when the record names its process. */
export function isComplete(record: InstanceRecord): record is InstanceState {
  return record.pid !== undefined && record.startTime !== undefined;
}

export class StateStore {
  readonly dataDir: string;
  readonly instancesDir: string;
  readonly logsDir: string;

  constructor(dataDir: string) {
    this.dataDir = dataDir;
    this.instancesDir = join(dataDir, 'instances');
    this.logsDir = join(dataDir, 'logs');
  }

  /** Creates the directories, 0700, and tightens them to 0700 when looser (idempotent). */
  async init(): Promise<void> {
    await privateDir(this.dataDir);
    await privateDir(this.instancesDir);
    await privateDir(this.logsDir);
  }

  /** A fresh instance id; 64 random bits make collisions between controllers negligible. */
  newId(): string {
    return `p-${randomBytes(8).toString('hex')}`;
  }

  logFileFor(id: string): string {
    return join(this.logsDir, `${id}.log`);
  }

  /** Writes (creates or replaces) an instance's record atomically. */
  async write(state: InstanceRecord): Promise<void> {
    const target = this.pathOf(state.id);
    // A unique temp name per writer: two controllers relabelling at once must not share a temp file.
    const temp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    try {
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  /** The record of `id`, or `undefined` when there is none (unknown id, or already removed). */
  async read(id: string): Promise<InstanceRecord | undefined> {
    if (!PROCESS_INSTANCE_ID.test(id)) return undefined;
    let text: string;
    try {
      text = await readFile(this.pathOf(id), 'utf8');
    } catch (err) {
      // Another controller may have destroyed it between our listing and this read.
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    return this.parse(id, text);
  }

  /**
   * Every instance state in the directory. Throws on an unreadable or corrupt file rather than
   * skipping it: a caller must never act on an incomplete observation.
   */
  async list(): Promise<InstanceRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.instancesDir);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
    const ids = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length));
    const states = await mapLimit(ids, READ_CONCURRENCY, (id) => this.read(id));
    return states.filter((s): s is InstanceRecord => s !== undefined);
  }

  /** Removes an instance's state; already removed is fine (several controllers may race here). */
  async remove(id: string): Promise<void> {
    if (!PROCESS_INSTANCE_ID.test(id)) return;
    await rm(this.pathOf(id), { force: true });
  }

  private pathOf(id: string): string {
    return join(this.instancesDir, `${id}.json`);
  }

  private parse(id: string, text: string): InstanceRecord {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new InfrakitError(`corrupt process state file ${this.pathOf(id)}`, { cause: err });
    }
    const result = StateSchema.safeParse(json);
    if (!result.success || result.data.id !== id) {
      throw new InfrakitError(`invalid process state file ${this.pathOf(id)}`, { cause: result.error });
    }
    return result.data;
  }
}

/** Creates `path` (and parents) 0700; an existing one open to group or others is made 0700. */
async function privateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o700);
}

/** `items.map(fn)` with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
