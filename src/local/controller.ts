import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { type Api, createApi } from '../api/index.js';
import { consoleFile } from '../console/assets.js';
import { messageOf } from '../errors.js';
import type { Log } from '../log.js';
import { isLoopback } from '../loopback.js';
import { buildPlugins } from '../plugins/catalog.js';
import { InfrakitProvider } from '../providers/infrakit/index.js';
import { ProcessProvider } from '../providers/process/index.js';
import type { InstanceProvider } from '../providers/types.js';
import { createEngine } from '../reconcile/index.js';
import type { Engine } from '../reconcile/types.js';
import { DynamoGroupStore } from '../store/dynamo.js';
import { ensureControllerIdentity } from '../store/identity.js';
import type { GroupStore } from '../store/types.js';
import { openLocalDynamo } from './dynamo.js';
import { commitExamples, type ExampleOutcome } from './examples.js';
import { type Expiry, startExpiry } from './expiry.js';
import { serveGateway } from './http-adapter.js';
import type { LocalOptions } from './options.js';
import { type PluginWatch, startPluginWatch } from './plugin-watch.js';
import { ensurePrivateDir } from './private-dir.js';
import { Reporter } from './reporter.js';
import { ReconcileScheduler } from './scheduler.js';
import { WatchedProvider } from './watched-provider.js';

/**
 * Local mode wired together: DynamoDB (embedded or external), the store, the process provider
 * (and EC2 against an emulator when asked), the engine, the API on loopback, a sweep timer playing
 * the EventBridge schedule, and process exits playing EC2 state-change events (our children's at
 * once, adopted processes' within the provider's poll period).
 */

/** Shorter than in AWS: a local pass is quick, and a killed controller's lease should free up fast. */
const LOCAL_LEASE_TTL_MS = 15_000;
/**
 * The process provider (and an emulated EC2) shows a launch to `describe` at once, so a launched
 * instance still invisible after this long has died: its intent is taken as lost and relaunched.
 * The engine's default (minutes) is for real EC2's eventual consistency and is kept for that.
 */
const LOCAL_LAUNCH_SETTLE_MS = 1_000;

export interface LocalController {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly engine: Engine;
  readonly store: GroupStore;
  readonly api: Api;
  readonly examples: readonly ExampleOutcome[];
  /** The provider plugins serving groups here, and those that do not run here with why. */
  readonly plugins: {
    readonly providers: readonly string[];
    readonly unavailable: readonly { readonly name: string; readonly reason: string }[];
  };
  /** Stops sweeping and serving, waits for passes under way; instances keep running. */
  stop(): Promise<void>;
}

export interface LocalControllerDeps {
  /** Where readable output goes (one line per call). @default console.log */
  readonly print?: (line: string) => void;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The umask instance processes start with, when the controller runs with a stricter one (`main.ts`). */
  readonly instanceUmask?: number;
}

/** Log lines of the API worth a person's attention; debug and info stay quiet. */
function apiLog(reporter: Reporter): Log {
  return {
    debug() {},
    info() {},
    warn: (message, attrs) =>
      reporter.line(`api: ${message} ${attrs ? JSON.stringify(attrs) : ''}`.trimEnd()),
    error: (message, attrs) =>
      reporter.line(`api error: ${message} ${attrs ? JSON.stringify(attrs) : ''}`.trimEnd()),
  };
}

export async function startLocalController(
  options: LocalOptions,
  deps: LocalControllerDeps = {},
): Promise<LocalController> {
  const env = deps.env ?? process.env;
  const print = deps.print ?? ((line: string) => console.log(line));
  // Private (0700), also when it exists already: it holds the specs' commands and their output.
  await ensurePrivateDir(options.dataDir);
  const dynamo = await openLocalDynamo({
    dataDir: options.dataDir,
    tableName: options.tableName,
    ...(options.dynamodbEndpoint ? { endpoint: options.dynamodbEndpoint } : {}),
    env,
  });
  const store = new DynamoGroupStore({ client: dynamo.client, tableName: options.tableName });
  // One identity per table: controllers sharing a table are one controller; two tables never collide.
  const controllerId = await ensureControllerIdentity(
    dynamo.client,
    options.tableName,
    `local-${randomUUID()}`,
  );

  // The same plugin list as the Lambda runtime and the construct (src/plugins/catalog.ts).
  const plugins = await buildPlugins({
    where: 'local',
    controllerId,
    env,
    dataDir: options.dataDir,
    ...(options.ec2Endpoint ? { ec2Endpoint: options.ec2Endpoint } : {}),
    ...(options.pluginsDir ? { pluginsDir: options.pluginsDir } : {}),
    ...(deps.instanceUmask !== undefined ? { instanceUmask: deps.instanceUmask } : {}),
  });
  const processes = plugins.providers.get('process');
  if (!(processes instanceof ProcessProvider)) throw new Error('local mode needs the process provider');
  // Process exits play EC2's state-change events: the provider is watched to report them.
  const watched = new WatchedProvider(processes);
  const providers = new Map<string, InstanceProvider>([...plugins.providers, [watched.name, watched]]);
  const { flavors } = plugins;

  const realEc2 = options.ec2Endpoint !== undefined && !isLoopback(new URL(options.ec2Endpoint));
  // Aborted by `stop`: every provider call in flight (a sweep's, a scheduled pass's, an API
  // request's) is cancelled, so the passes under way end soon and release their leases.
  const shutdown = new AbortController();
  // Every pass and plugin call in flight listens to it: dozens at once is normal, not a leak.
  setMaxListeners(0, shutdown.signal);
  const engine = createEngine({
    store,
    providers,
    flavors,
    owner: `local:${hostname()}:${process.pid}`,
    controllerId,
    leaseTtlMs: LOCAL_LEASE_TTL_MS,
    ...(realEc2 ? {} : { launchSettleMs: LOCAL_LAUNCH_SETTLE_MS }),
    signal: shutdown.signal,
    // No bus locally: the notice is printed here and served in the group's events (the API).
    announce: async (n) =>
      print(
        `${n.groupId}: ${n.instanceId} waits in its ${n.hook} hook until ${new Date(n.deadline).toISOString()} (then ${n.defaultResult}): infrakit group complete ${n.groupId} ${n.instanceId}`,
      ),
  });
  const reporter = new Reporter({ store }, print);
  const scheduler = new ReconcileScheduler({
    reconcile: (id) => engine.reconcileGroup(id),
    onResult: (result, reasons) => {
      reporter.result(result, reasons);
      if (result.outcome !== 'busy') void reporter.show([result]);
    },
    onError: (id, err) => reporter.line(`${id}  reconcile failed: ${messageOf(err)}`),
  });

  const api = createApi({
    store,
    engine,
    providers,
    flavors,
    requestReconcile: async (ids, reason) => scheduler.request(ids, reason),
    controllerId,
    // No IAM split on this machine: the operator's pass runs in the request, its result answers it.
    inlineReconcile: true,
    log: apiLog(reporter),
  });

  let server: Server | undefined;
  let serverIdle: (() => Promise<void>) | undefined;
  let expiry: Expiry | undefined;
  let pluginWatch: PluginWatch | undefined;
  let stopping = false;
  let stopped: Promise<void> | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;
  /** Timers set on an instance's exit, cleared by `stop`. */
  const exitTimers = new Set<NodeJS.Timeout>();
  /** Store reads started on an instance's exit, awaited by `stop` before the store closes. */
  const lookups = new Set<Promise<void>>();

  /** The plan summary each group's last sweep gave: a group whose summary holds needs no new status line. */
  const sweptSummary = new Map<string, string>();
  const sweepOnce = async () => {
    try {
      const report = await engine.sweep({ concurrency: 4 });
      for (const result of report.results) reporter.result(result, ['sweep']);
      // Work that needs several passes (rolling update, destroy) goes on without waiting a sweep.
      const acted = report.results.filter((r) => r.outcome === 'acted').map((r) => r.groupId);
      if (acted.length > 0) scheduler.request(acted, 'follow-up');
      // Only groups whose sweep said something new get a status line, from the status their pass
      // observed: a steady sweep costs one describe per provider (per place), as in AWS.
      const changed = report.results.filter((r) => {
        // Another reconciler holds the group: its pass has the news, the next sweep shows it.
        if (r.outcome === 'busy') return false;
        const summary = r.plan?.summary ?? r.outcome;
        const same = r.outcome === 'steady' && sweptSummary.get(r.groupId) === summary;
        sweptSummary.set(r.groupId, summary);
        return !same;
      });
      await reporter.show(changed);
    } catch (err) {
      reporter.line(`sweep failed: ${messageOf(err)}`);
    }
  };
  const scheduleSweep = (delayMs: number) => {
    if (stopping) return;
    if (sweepTimer) clearTimeout(sweepTimer);
    sweepTimer = setTimeout(() => {
      sweepTimer = undefined;
      if (sweeping) return scheduleSweep(100);
      sweeping = sweepOnce().finally(() => {
        sweeping = undefined;
        scheduleSweep(options.sweepIntervalSeconds * 1000);
      });
    }, delayMs);
  };

  const unsubscribe = processes.onExit((exit) => {
    const group = watched.groupOf(exit.id) ?? exit.groupId;
    const terminated = watched.terminationReason(exit.id);
    watched.forget(exit.id);
    // Our own terminations are reported by the pass that made them.
    if (terminated !== undefined || stopping) return;
    // An adopted process is not our child: only its parent learns how it ended.
    const how = exit.signal
      ? `signal ${exit.signal}`
      : exit.adopted
        ? 'adopted, status unknown'
        : `exit code ${exit.code}`;
    const exited = (g: string | undefined) =>
      reporter.line(`${g ?? 'unknown group'}  instance ${exit.id} (pid ${exit.pid}) exited (${how})`);
    if (group) {
      exited(group);
      scheduler.request([group], 'instance exited');
      // Died before its launch was confirmed? Then it counts as pending until the settle time ends.
      const later = setTimeout(() => {
        exitTimers.delete(later);
        scheduler.request([group], 'instance exited');
      }, LOCAL_LAUNCH_SETTLE_MS + 50);
      later.unref();
      exitTimers.add(later);
      return;
    }
    // Exited before its launch was recorded: ask the store's index, else sweep now.
    const lookup = store
      .groupOfInstance(exit.id)
      .then((g) => {
        exited(g);
        if (g) scheduler.request([g], 'instance exited');
        else scheduleSweep(0);
      })
      .catch(() => {
        exited(undefined);
        scheduleSweep(0);
      })
      .finally(() => lookups.delete(lookup));
    lookups.add(lookup);
  });

  /**
   * In this order: no new work (timers, exit notifications, HTTP connections), then what is in
   * flight is aborted and waited for (passes release their leases; status refreshes and store
   * lookups end), and only then the store closes, so that nothing reaches it afterwards. Calling
   * it again waits for the same stop.
   */
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      if (sweepTimer) clearTimeout(sweepTimer);
      for (const timer of exitTimers) clearTimeout(timer);
      exitTimers.clear();
      unsubscribe();
      server?.close();
      server?.closeAllConnections();
      shutdown.abort(new Error('the controller is stopping'));
      await Promise.allSettled([
        sweeping,
        scheduler.stop(),
        expiry?.stop(),
        pluginWatch?.stop(),
        serverIdle?.(),
        ...lookups,
      ]);
      // Passes report their results to the reporter, which may have refreshes still queued.
      await reporter.close();
      await dynamo.close();
    })();
    return stopped;
  };

  try {
    const examples = options.examples
      ? await commitExamples({ store, providers, flavors, now: Date.now })
      : [];
    const served = await serveGateway(api, {
      host: options.host,
      port: options.port,
      onError: (err) => reporter.line(`http: ${messageOf(err)}`),
      // The console at `/`, served only on loopback behind the Host and Origin guard.
      files: consoleFile,
    }).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'EADDRINUSE'
        ? new Error(`port ${options.port} on ${options.host} is in use (another controller?): pass --port`)
        : err;
    });
    server = served.server;
    serverIdle = served.idle;
    // First sweep at once: adopt what survived the last run and heal what died meanwhile.
    scheduleSweep(0);
    // Plugin instances have no exit events: a watch of their plugins plays them.
    const infrakit = providers.get('infrakit');
    if (infrakit instanceof InfrakitProvider)
      pluginWatch = startPluginWatch({
        provider: infrakit,
        controllerId,
        intervalMs: options.pluginWatchIntervalSeconds * 1000,
        onChange: (groups) => scheduler.request(groups, 'plugin instances changed'),
        onError: (err) => reporter.line(`plugin watch: ${messageOf(err)}`),
      });
    expiry = startExpiry({
      client: dynamo.client,
      tableName: options.tableName,
      report: (l) => reporter.line(l),
    });
    const servedPlugins = { providers: [...providers.keys()].sort(), unavailable: plugins.unavailable };
    return { url: served.url, engine, store, api, examples, plugins: servedPlugins, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
