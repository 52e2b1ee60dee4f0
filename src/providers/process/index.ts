import { appendFile } from 'node:fs/promises';
import { sleepUnlessAborted } from '../../abort.js';
import { NotOwnedError } from '../../errors.js';
import { isOwnedBy, TAG_GROUP } from '../../tags.js';
import type {
  CallOptions,
  DescribeSelector,
  DestroyOptions,
  DestroyResult,
  InstanceDescription,
  InstanceOwner,
  InstanceProvider,
  ProvisionRequest,
  ProvisionResult,
} from '../types.js';
import { INSTANCE_ID_ENV, type LaunchEnvironment, launchProcess } from './launch.js';
import {
  type FoundProcess,
  findByEnvironment,
  isSameProcess,
  signalGroupOnly,
  signalInstance,
} from './os-process.js';
import { parseProcessProperties } from './properties.js';
import { type InstanceRecord, type InstanceState, isComplete, StateStore } from './state-store.js';

export type { ProcessProperties } from './properties.js';
export { ProcessPropertiesSchema } from './properties.js';

export interface ProcessProviderOptions {
  /** Directory holding `instances/<id>.json` and `logs/<id>.log`; may be shared by several controllers. */
  readonly dataDir: string;
  /**
   * The controller's environment, of which an instance gets only the allow-listed variables
   * (`INHERITED_ENV`), plus its spec's `env`. @default process.env
   */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** The umask instance processes start with. @default the controller's own */
  readonly umask?: number;
  /** How long `destroy` waits after SIGTERM before sending SIGKILL. @default 5000 */
  readonly stopGraceMs?: number;
  /** Clock for launch times (epoch ms). @default Date.now */
  readonly now?: () => number;
  /**
   * How long (wall-clock ms) a provisional record whose process cannot be found is kept before it
   * counts as a launch that never spawned and is removed (see "Crash safety" below). @default 30000
   */
  readonly provisionalGraceMs?: number;
  /** How often the liveness of adopted processes is checked while someone listens to `onExit`. @default 250 */
  readonly adoptedPollMs?: number;
  /**
   * Test hook, called before each step of a launch: `spawn` (the provisional record is written,
   * no process yet) and `record` (the process runs, its record is not complete yet). A hook that
   * SIGKILLs the controller simulates a crash at that point.
   */
  readonly beforeLaunchStep?: (step: 'spawn' | 'record', id: string) => void | Promise<void>;
}

/** An instance's process has exited (see `ProcessProvider.onExit`). */
export interface ProcessExit {
  readonly id: string;
  readonly pid: number;
  /** Exit code and signal; both `null` for an adopted process, whose exit status only its parent learns. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when the process was adopted (started by an earlier controller), not our child. */
  readonly adopted?: boolean;
  /** The instance's `infrakit.group` tag, known from the launch request even before it returns. */
  readonly groupId?: string;
}

/** How often `destroy` re-checks whether a signalled process is gone. */
const POLL_MS = 20;
/** After SIGKILL, how long to wait for the kernel to finish the process before moving on. */
const KILL_WAIT_MS = 2000;

/**
 * The `process` instance provider: each instance is a real detached OS process, the local stand-in
 * for an EC2 instance. State lives in one file per instance under the data dir (see `StateStore`),
 * never in this object, so processes outlive the controller and any provider object on the same
 * data dir (a restarted controller, or a second controller beside it) adopts them.
 *
 * Liveness is pid plus OS start time, so a pid reused by an unrelated process is never mistaken
 * for an instance. Each instance is also told who it is through `INFRAKIT_INSTANCE_ID`,
 * `INFRAKIT_GROUP` and (pets) `INFRAKIT_LOGICAL_ID`; the rest of its environment is its spec's
 * `env` over a short allow-list of the controller's (`INHERITED_ENV`: never its credentials).
 * Output goes to `logs/<id>.log` (0600), which is kept after the instance is destroyed for
 * post-mortems.
 *
 * Crash safety of a launch: a process must never run without a record `describe` can find, or a
 * controller killed at that moment leaks it (never adopted, never stopped, and launched again). So
 * a launch is three steps: (1) a provisional record (id, tags, token, no pid) is written; (2) the
 * process is spawned, with `INFRAKIT_INSTANCE_ID=<id>` in its environment; (3) the record is
 * completed with pid and start time. A crash after (1) leaves a provisional record, which
 * `describe` resolves by looking for a process-group leader whose environment names the id
 * (`findByEnvironment`): found (a crash between (2) and (3)), the record is completed and the
 * instance reported like any other; not found for `provisionalGraceMs` (a crash between (1) and
 * (2)), nothing was ever spawned and the record is removed. Within the grace, a provisional record
 * without a process is neither reported nor removed: a launch may be between (1) and (2) right now.
 * (Only a launcher stalled for the whole grace between (1) and (2) and then killed between (2) and
 * (3) could still leak.)
 *
 * Exits: a process this object started is its child, and its `exit` event is reported through
 * `onExit` at once. Processes adopted from an earlier controller are not our children, so while
 * anyone listens their liveness is polled (pid plus start time, every `adoptedPollMs`), and their
 * exit is reported the same way within that period.
 */
export class ProcessProvider implements InstanceProvider {
  readonly name = 'process';
  private readonly store: StateStore;
  private readonly stopGraceMs: number;
  private readonly now: () => number;
  private readonly provisionalGraceMs: number;
  private readonly adoptedPollMs: number;
  private readonly beforeLaunchStep: ProcessProviderOptions['beforeLaunchStep'];
  private readonly launchEnvironment: LaunchEnvironment;
  private readonly exitListeners = new Set<(exit: ProcessExit) => void>();
  /** Ids this object is launching right now: their provisional records need no search. */
  private readonly launching = new Set<string>();
  /** Ids of live processes this object started (its children, whose exits Node reports). */
  private readonly children = new Set<string>();
  /** Adopted processes whose exit is polled for, by id. */
  private readonly adopted = new Map<string, InstanceState>();
  private pollTimer: NodeJS.Timeout | undefined;

  constructor(options: ProcessProviderOptions) {
    this.store = new StateStore(options.dataDir);
    this.stopGraceMs = options.stopGraceMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.provisionalGraceMs = options.provisionalGraceMs ?? 30_000;
    this.adoptedPollMs = options.adoptedPollMs ?? 250;
    this.beforeLaunchStep = options.beforeLaunchStep;
    this.launchEnvironment = {
      environment: options.environment ?? process.env,
      ...(options.umask !== undefined ? { umask: options.umask } : {}),
    };
  }

  /** Validates `{ command, args?, env?, cwd? }`; unknown keys are errors. Pure. */
  validate(properties: unknown): Record<string, unknown> {
    return parseProcessProperties(properties);
  }

  /**
   * Starts one process per request, in order, recording tags, logical ID and token in its state
   * file before it runs (provisionally, see "Crash safety" above). Honours no idempotency token: calling twice with one token starts
   * twice as many processes, so the engine describes by `infrakit.intent` first. A command that
   * cannot start throws `InvalidConfigurationError`; processes started before it keep running and
   * are found by `describe`. Once `options.signal` aborts, no further process is started (the
   * signal never reaches a process: aborting a call never kills an instance).
   */
  async provision(
    properties: Record<string, unknown>,
    requests: readonly ProvisionRequest[],
    options?: CallOptions,
  ): Promise<ProvisionResult> {
    const signal = options?.signal;
    const props = parseProcessProperties(properties);
    await this.store.init();
    const launched: InstanceDescription[] = [];
    for (const request of requests) {
      signal?.throwIfAborted();
      launched.push(await this.launchOne(props, request));
    }
    return { launched };
  }

  /**
   * Every instance whose process is alive and whose tags match `selector`, including one whose
   * launcher died before completing its record (the record is completed here). State files of dead
   * processes, and provisional ones whose process never appeared, are removed on the way (safe
   * under races: a dead (pid, start time) never comes back, and removing an already removed file is
   * not an error). Throws on an unreadable state file, or once `options.signal` aborts (checked
   * before and after reading the state files).
   */
  async describe(selector: DescribeSelector, options?: CallOptions): Promise<readonly InstanceDescription[]> {
    const signal = options?.signal;
    signal?.throwIfAborted();
    const records = (await this.store.list()).filter((s) => matches(s.tags, selector));
    signal?.throwIfAborted();
    const alive = await this.resolve(records);
    for (const state of alive) this.watchIfAdopted(state);
    return alive.sort((a, b) => a.launchedAt - b.launchedAt || a.id.localeCompare(b.id)).map(toDescription);
  }

  /**
   * Stops `ids`: SIGTERM to each process group, SIGKILL after the grace, then the state file is
   * removed. Every id with a state file must belong to `owner` (its controller and group tags), checked before any
   * signal is sent, else `NotOwnedError`. Idempotent: an unknown id, a dead process or one another
   * controller is stopping at the same moment counts as destroyed. Once `options.signal` aborts,
   * no further process is signalled and the waits for SIGTERM's grace and for SIGKILL end: the
   * call throws, and a later destroy of the same ids finishes the work.
   */
  async destroy(
    ids: readonly string[],
    owner: InstanceOwner,
    reason: string,
    options?: DestroyOptions,
  ): Promise<DestroyResult> {
    const signal = options?.signal;
    signal?.throwIfAborted();
    const unique = [...new Set(ids)];
    const owned = await this.ownedRecords(unique, owner);
    // Provisional records are resolved first: a process whose launcher died is stopped too.
    signal?.throwIfAborted();
    const grace = options?.graceMs ?? this.stopGraceMs;
    await Promise.all((await this.resolve(owned)).map((s) => this.terminate(s, reason, grace, signal)));
    return { destroyed: unique };
  }

  /**
   * SIGTERM to each live process of `ids` (owned by `owner`, checked first), without waiting: the
   * engine's drain gives it `drainTimeoutSeconds` to exit, then destroys what is left with SIGKILL.
   */
  async stop(ids: readonly string[], owner: InstanceOwner, reason: string): Promise<void> {
    const owned = await this.ownedRecords([...new Set(ids)], owner);
    for (const state of await this.resolve(owned)) {
      if (!(await isSameProcess(state.pid, state.startTime))) continue;
      await appendFile(state.logFile, `\n[infrakit] stopping ${state.id} (SIGTERM): ${reason}\n`, {
        mode: 0o600,
      }).catch(() => {});
      signalInstance(state.pid, 'SIGTERM');
    }
  }

  /** The state records of `ids`; `NotOwnedError` before anything else when one is not `owner`'s. */
  private async ownedRecords(ids: readonly string[], owner: InstanceOwner): Promise<InstanceRecord[]> {
    const records = (await Promise.all(ids.map((id) => this.store.read(id)))).filter(
      (r): r is InstanceRecord => r !== undefined,
    );
    const notOwned = records.filter((r) => !isOwnedBy(r.tags, owner)).map((r) => r.id);
    if (notOwned.length > 0) throw new NotOwnedError(notOwned, owner);
    return records;
  }

  /** Merges `tags` into each live instance's state file (atomic rewrite). Unknown or dead ids are skipped. */
  async label(ids: readonly string[], tags: Readonly<Record<string, string>>): Promise<void> {
    await Promise.all(
      [...new Set(ids)].map(async (id) => {
        const record = await this.store.read(id);
        if (!record) return;
        const state = isComplete(record)
          ? (await isSameProcess(record.pid, record.startTime))
            ? record
            : undefined
          : (await this.resolve([record]))[0];
        if (!state) return;
        // Read-modify-write without a lock: concurrent labels of one instance are last-writer-wins.
        await this.store.write({ ...state, tags: { ...state.tags, ...tags } });
      }),
    );
  }

  /**
   * Calls `listener` when an instance's process exits, for whatever reason (crash, out-of-band
   * kill, `destroy`), so local mode can reconcile the group at once instead of waiting for the next
   * sweep. A process this object started is reported by Node's `exit` event, with its code or
   * signal; one adopted from an earlier controller (seen by `describe`, not our child) is polled and
   * reported within `adoptedPollMs`, with `adopted: true` and no code or signal. Returns a function
   * that unsubscribes; with no listener left, polling stops.
   */
  onExit(listener: (exit: ProcessExit) => void): () => void {
    this.exitListeners.add(listener);
    return () => {
      this.exitListeners.delete(listener);
      if (this.exitListeners.size === 0) {
        this.adopted.clear();
        if (this.pollTimer) clearTimeout(this.pollTimer);
        this.pollTimer = undefined;
      }
    };
  }

  private emitExit(exit: ProcessExit): void {
    for (const listener of this.exitListeners) listener(exit);
  }

  /**
   * The live instances among `records`. A complete record counts while its (pid, start time)
   * lives, and is removed once it does not. A provisional record counts when a process carrying
   * its id is found (and is completed then); it is removed when none is found after the grace.
   * Records this object is launching right now are skipped: the launch completes them.
   */
  private async resolve(records: readonly InstanceRecord[]): Promise<InstanceState[]> {
    const orphans = records.filter((r) => !isComplete(r) && !this.launching.has(r.id));
    const found =
      orphans.length > 0
        ? await findByEnvironment(INSTANCE_ID_ENV, new Set(orphans.map((r) => r.id)))
        : new Map<string, FoundProcess>();
    const states = await Promise.all(
      records.map(async (record): Promise<InstanceState | undefined> => {
        if (isComplete(record)) {
          if (await isSameProcess(record.pid, record.startTime)) return record;
          await this.store.remove(record.id);
          return undefined;
        }
        if (this.launching.has(record.id)) return undefined;
        const proc = found.get(record.id);
        if (proc) return this.complete(record.id, proc);
        if (Date.now() - (record.provisionalSince ?? 0) > this.provisionalGraceMs) {
          // Re-read first: a (very) late launcher may have completed the record meanwhile.
          const now = await this.store.read(record.id);
          if (now && !isComplete(now)) await this.store.remove(record.id);
        }
        return undefined;
      }),
    );
    return states.filter((s): s is InstanceState => s !== undefined);
  }

  /** Completes the provisional record of `id` with the process found for it (re-read first, so a record completed or removed meanwhile is left as it is). */
  private async complete(id: string, proc: FoundProcess): Promise<InstanceState | undefined> {
    const record = await this.store.read(id);
    if (!record) return undefined; // destroyed meanwhile: its process is on its way out
    if (isComplete(record)) return (await isSameProcess(record.pid, record.startTime)) ? record : undefined;
    const { provisionalSince: _, ...rest } = record;
    const state: InstanceState = { ...rest, pid: proc.pid, startTime: proc.startTime };
    await this.store.write(state);
    return state;
  }

  /** Starts polling `state`'s process for its exit when it is not our child and someone listens. */
  private watchIfAdopted(state: InstanceState): void {
    if (this.exitListeners.size === 0 || this.children.has(state.id)) return;
    const known = this.adopted.get(state.id);
    if (known && known.pid === state.pid && known.startTime === state.startTime) return;
    this.adopted.set(state.id, state);
    this.schedulePoll();
  }

  private schedulePoll(): void {
    if (this.pollTimer || this.adopted.size === 0 || this.exitListeners.size === 0) return;
    const timer = setTimeout(() => {
      void this.pollAdopted().finally(() => {
        // Unless an unsubscribe and a new subscriber started another chain meanwhile.
        if (this.pollTimer === timer) this.pollTimer = undefined;
        this.schedulePoll();
      });
    }, this.adoptedPollMs);
    // Never keeps the controller alive by itself.
    timer.unref();
    this.pollTimer = timer;
  }

  /** One liveness check of every adopted process (a read of `/proc/<pid>/stat` each on Linux). */
  private async pollAdopted(): Promise<void> {
    await Promise.all(
      [...this.adopted.values()].map(async (state) => {
        const alive = await isSameProcess(state.pid, state.startTime).catch(() => true);
        if (alive || this.adopted.get(state.id) !== state) return;
        this.adopted.delete(state.id);
        const groupId = state.tags[TAG_GROUP];
        this.emitExit({
          id: state.id,
          pid: state.pid,
          code: null,
          signal: null,
          adopted: true,
          ...(groupId !== undefined ? { groupId } : {}),
        });
      }),
    );
  }

  private async launchOne(
    props: ReturnType<typeof parseProcessProperties>,
    request: ProvisionRequest,
  ): Promise<InstanceDescription> {
    const id = this.store.newId();
    const logFile = this.store.logFileFor(id);
    const groupId = request.tags[TAG_GROUP];
    const provisional: InstanceRecord = {
      version: 1,
      id,
      provisionalSince: Date.now(),
      tags: { ...request.tags },
      ...(request.logicalId !== undefined ? { logicalId: request.logicalId } : {}),
      token: request.token,
      launchedAt: this.now(),
      logFile,
    };
    this.launching.add(id);
    try {
      // (1) Recorded before anything runs; see "Crash safety" above.
      await this.store.write(provisional);
      await this.beforeLaunchStep?.('spawn', id);
      let proc: Awaited<ReturnType<typeof launchProcess>>;
      try {
        // (2) The process, which carries its id in its environment.
        proc = await launchProcess(
          props,
          request.init,
          { id, logicalId: request.logicalId, groupId },
          logFile,
          this.launchEnvironment,
        );
      } catch (err) {
        await this.store.remove(id);
        throw err;
      }
      this.children.add(id);
      proc.child.once('exit', (code, signal) => {
        this.children.delete(id);
        this.emitExit({ id, pid: proc.pid, code, signal, ...(groupId !== undefined ? { groupId } : {}) });
      });
      await this.beforeLaunchStep?.('record', id);
      const { provisionalSince: _, ...rest } = provisional;
      const state: InstanceState = { ...rest, pid: proc.pid, startTime: proc.startTime ?? '' };
      if (proc.startTime === undefined) {
        // Exited before we could even look at it: nothing to track, and describe would drop it anyway.
        await this.store.remove(id);
        return { ...toDescription(state), state: 'shutting-down', health: { status: 'impaired' } };
      }
      try {
        // (3) Complete.
        await this.store.write(state);
      } catch (err) {
        // An untracked process would leak forever: stop it rather than leave it unrecorded.
        signalInstance(proc.pid, 'SIGKILL');
        await this.store.remove(id).catch(() => {});
        throw err;
      }
      return toDescription(state);
    } finally {
      this.launching.delete(id);
    }
  }

  private async terminate(
    state: InstanceState,
    reason: string,
    graceMs: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const { pid, startTime } = state;
    signal?.throwIfAborted();
    if (await isSameProcess(pid, startTime)) {
      await appendFile(state.logFile, `\n[infrakit] destroying ${state.id}: ${reason}\n`, {
        mode: 0o600,
      }).catch(() => {});
      // The start time was checked just above; a pid recycled in the microseconds since is not a
      // practical concern (it needs a full wrap of the pid space).
      signalInstance(pid, 'SIGTERM');
      if (!(await waitGone(pid, startTime, graceMs, signal))) {
        signalInstance(pid, 'SIGKILL');
        await waitGone(pid, startTime, KILL_WAIT_MS, signal);
      }
      // Helpers the init script left in the group (a background `sleep &`) must not outlive the
      // instance. While any member is left the kernel keeps the group's id out of reuse, so this
      // reaches only our stragglers (or nobody: ESRCH is ignored).
      signalGroupOnly(pid, 'SIGKILL');
    }
    await this.store.remove(state.id);
  }
}

/** Waits until (pid, startTime) is gone; false when `ms` passed first; throws once `signal` aborts. */
async function waitGone(
  pid: number,
  startTime: string,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (await isSameProcess(pid, startTime)) {
    if (Date.now() >= deadline) return false;
    await sleepUnlessAborted(POLL_MS, signal);
  }
  return true;
}

/** Tag equality for `selector.tags`, presence for `selector.tagKeys`. */
function matches(tags: Readonly<Record<string, string>>, selector: DescribeSelector): boolean {
  for (const [key, value] of Object.entries(selector.tags ?? {})) {
    if (tags[key] !== value) return false;
  }
  return (selector.tagKeys ?? []).every((key) => Object.hasOwn(tags, key));
}

function toDescription(state: InstanceState): InstanceDescription {
  return {
    id: state.id,
    state: 'running',
    tags: state.tags,
    launchedAt: state.launchedAt,
    health: { status: 'ok', since: state.launchedAt },
    details: { pid: state.pid, log: state.logFile },
  };
}
