import { appendFile } from 'node:fs/promises';
import { NotOwnedError } from '../../errors.js';
import { TAG_GROUP } from '../../tags.js';
import type {
  DescribeSelector,
  DestroyResult,
  InstanceDescription,
  InstanceProvider,
  ProvisionRequest,
  ProvisionResult,
} from '../types.js';
import { launchProcess } from './launch.js';
import { isSameProcess, signalGroupOnly, signalInstance, sleep } from './os-process.js';
import { parseProcessProperties } from './properties.js';
import { type InstanceState, StateStore } from './state-store.js';

export type { ProcessProperties } from './properties.js';
export { ProcessPropertiesSchema } from './properties.js';

export interface ProcessProviderOptions {
  /** Directory holding `instances/<id>.json` and `logs/<id>.log`; may be shared by several controllers. */
  readonly dataDir: string;
  /** How long `destroy` waits after SIGTERM before sending SIGKILL. @default 5000 */
  readonly stopGraceMs?: number;
  /** Clock for launch times (epoch ms). @default Date.now */
  readonly now?: () => number;
}

/** A process started by this provider object has exited (see `ProcessProvider.onExit`). */
export interface ProcessExit {
  readonly id: string;
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
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
 * `INFRAKIT_GROUP` and (pets) `INFRAKIT_LOGICAL_ID`. Output goes to `logs/<id>.log`, which is kept
 * after the instance is destroyed for post-mortems.
 */
export class ProcessProvider implements InstanceProvider {
  readonly name = 'process';
  private readonly store: StateStore;
  private readonly stopGraceMs: number;
  private readonly now: () => number;
  private readonly exitListeners = new Set<(exit: ProcessExit) => void>();

  constructor(options: ProcessProviderOptions) {
    this.store = new StateStore(options.dataDir);
    this.stopGraceMs = options.stopGraceMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  /** Validates `{ command, args?, env?, cwd? }`; unknown keys are errors. Pure. */
  validate(properties: unknown): Record<string, unknown> {
    return parseProcessProperties(properties);
  }

  /**
   * Starts one process per request, in order, recording tags, logical ID and token in its state
   * file as soon as it runs. Honours no idempotency token: calling twice with one token starts
   * twice as many processes, so the engine describes by `infrakit.intent` first. A command that
   * cannot start throws `InvalidConfigurationError`; processes started before it keep running and
   * are found by `describe`.
   */
  async provision(
    properties: Record<string, unknown>,
    requests: readonly ProvisionRequest[],
  ): Promise<ProvisionResult> {
    const props = parseProcessProperties(properties);
    await this.store.init();
    const launched: InstanceDescription[] = [];
    for (const request of requests) {
      launched.push(await this.launchOne(props, request));
    }
    return { launched };
  }

  /**
   * Every instance whose process is alive and whose tags match `selector`. State files of dead
   * processes are removed on the way (safe under races: a dead (pid, start time) never comes back,
   * and removing an already removed file is not an error). Throws on an unreadable state file.
   */
  async describe(selector: DescribeSelector): Promise<readonly InstanceDescription[]> {
    const states = (await this.store.list()).filter((s) => matches(s.tags, selector));
    const alive = await Promise.all(
      states.map(async (s) => {
        if (await isSameProcess(s.pid, s.startTime)) return s;
        await this.store.remove(s.id);
        return undefined;
      }),
    );
    return alive
      .filter((s): s is InstanceState => s !== undefined)
      .sort((a, b) => a.launchedAt - b.launchedAt || a.id.localeCompare(b.id))
      .map(toDescription);
  }

  /**
   * Stops `ids`: SIGTERM to each process group, SIGKILL after the grace, then the state file is
   * removed. Every id with a state file must carry `infrakit.group = groupId`, checked before any
   * signal is sent, else `NotOwnedError`. Idempotent: an unknown id, a dead process or one another
   * controller is stopping at the same moment counts as destroyed.
   */
  async destroy(ids: readonly string[], groupId: string, reason: string): Promise<DestroyResult> {
    const unique = [...new Set(ids)];
    const states = await Promise.all(unique.map((id) => this.store.read(id)));
    const notOwned = states
      .filter((s): s is InstanceState => s !== undefined && s.tags[TAG_GROUP] !== groupId)
      .map((s) => s.id);
    if (notOwned.length > 0) throw new NotOwnedError(notOwned, groupId);
    await Promise.all(states.map((s) => (s ? this.stop(s, reason) : undefined)));
    return { destroyed: unique };
  }

  /** Merges `tags` into each live instance's state file (atomic rewrite). Unknown or dead ids are skipped. */
  async label(ids: readonly string[], tags: Readonly<Record<string, string>>): Promise<void> {
    await Promise.all(
      [...new Set(ids)].map(async (id) => {
        const state = await this.store.read(id);
        if (!state || !(await isSameProcess(state.pid, state.startTime))) return;
        // Read-modify-write without a lock: concurrent labels of one instance are last-writer-wins.
        await this.store.write({ ...state, tags: { ...state.tags, ...tags } });
      }),
    );
  }

  /**
   * Calls `listener` when a process started by this provider object exits, for whatever reason
   * (crash, out-of-band kill, `destroy`), so local mode can reconcile the group at once instead of
   * waiting for the next sweep. Processes adopted from an earlier controller are not watched (they
   * are not our children); the sweep catches those. Returns a function that unsubscribes.
   */
  onExit(listener: (exit: ProcessExit) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  private async launchOne(
    props: ReturnType<typeof parseProcessProperties>,
    request: ProvisionRequest,
  ): Promise<InstanceDescription> {
    const id = this.store.newId();
    const logFile = this.store.logFileFor(id);
    const proc = await launchProcess(
      props,
      request.init,
      { id, logicalId: request.logicalId, groupId: request.tags[TAG_GROUP] },
      logFile,
    );
    proc.child.once('exit', (code, signal) => {
      const groupId = request.tags[TAG_GROUP];
      for (const listener of this.exitListeners)
        listener({ id, pid: proc.pid, code, signal, ...(groupId !== undefined ? { groupId } : {}) });
    });
    const state: InstanceState = {
      version: 1,
      id,
      pid: proc.pid,
      startTime: proc.startTime ?? '',
      tags: { ...request.tags },
      ...(request.logicalId !== undefined ? { logicalId: request.logicalId } : {}),
      token: request.token,
      launchedAt: this.now(),
      logFile,
    };
    if (proc.startTime === undefined) {
      // Exited before we could even look at it: nothing to track, and describe would drop it anyway.
      return { ...toDescription(state), state: 'shutting-down', health: { status: 'impaired' } };
    }
    try {
      await this.store.write(state);
    } catch (err) {
      // An untracked process would leak forever: stop it rather than leave it unrecorded.
      signalInstance(proc.pid, 'SIGKILL');
      throw err;
    }
    return toDescription(state);
  }

  private async stop(state: InstanceState, reason: string): Promise<void> {
    const { pid, startTime } = state;
    if (await isSameProcess(pid, startTime)) {
      await appendFile(state.logFile, `\n[infrakit] destroying ${state.id}: ${reason}\n`).catch(() => {});
      // The start time was checked just above; a pid recycled in the microseconds since is not a
      // practical concern (it needs a full wrap of the pid space).
      signalInstance(pid, 'SIGTERM');
      if (!(await waitGone(pid, startTime, this.stopGraceMs))) {
        signalInstance(pid, 'SIGKILL');
        await waitGone(pid, startTime, KILL_WAIT_MS);
      }
      // Helpers the init script left in the group (a background `sleep &`) must not outlive the
      // instance. While any member is left the kernel keeps the group's id out of reuse, so this
      // reaches only our stragglers (or nobody: ESRCH is ignored).
      signalGroupOnly(pid, 'SIGKILL');
    }
    await this.store.remove(state.id);
  }
}

/** Waits until (pid, startTime) is gone; false when `ms` passed first. */
async function waitGone(pid: number, startTime: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (await isSameProcess(pid, startTime)) {
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
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
