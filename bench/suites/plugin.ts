import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { messageOf } from '../../src/errors.js';
import { InfrakitPlugins } from '../../src/providers/infrakit/index.js';
import {
  INFRAKIT_SCRIPT,
  infrakitAvailable,
  type InfrakitPlugins as RunningPlugins,
  startInfrakitPlugins,
} from '../../test/helpers/infrakit.js';
import { pidAlive } from '../../test/helpers/pid.js';
import { type BenchSuite, type FigureSpec, type Outcome, unmeasured } from '../types.js';

/**
 * `npm run bench plugin`: this controller side by side with Docker InfraKit's own group controller
 * (`group-stateless`), each against a fresh real `simulator` plugin (and the real `vanilla` flavor
 * plugin), both seen through the same counting proxy: a unix socket named `simulator` (and one
 * named `vanilla`) in a second plugins folder, forwarding every connection to the real socket and
 * counting the JSON-RPC methods of the HTTP request bodies.
 *
 * Each side commits N groups of 10 on `simulator/compute` with the vanilla flavor, waits for the
 * simulator to hold all N × 10, lets two polls pass, then counts the calls over three steady 10 s
 * windows, reporting their mean per window (InfraKit's poll is 10 s; ours runs with
 * `--sweep-interval 10`). Each window's counts by method are logged with `BENCH_DEBUG=1`. Then
 * `HEAL_TRIALS` heal trials at once, each on its own group: a member described by the simulator
 * is destroyed through the simulator (with the project's plugin client, on the real socket, so
 * uncounted) at a random moment within two polls, and the time until the proxy sees that group's
 * next `Instance.Provision` is its heal time.
 *
 * Ours heals through its plugin watch (one describe of the object holding its instances every
 * 3 s by default), which the steady-poll count includes. Two more short runs of ours (10 groups)
 * time the heal with every setting at its default, and with the watch slowed to InfraKit's 10 s.
 *
 * Our vanilla flavor is built in: it never calls a flavor plugin, so `plugin.flavor.calls.per_poll`
 * is 0 by construction (its health is the provider's view of the instance, from the describe).
 * InfraKit, for its part, sends no `Flavor.Healthy` to steady groups either.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const execFileP = promisify(execFile);
const GROUP_SIZE = 10;
const POLL_S = 10;
/** Heal trials per run, at once on distinct groups. */
const HEAL_TRIALS = 9;
/** Groups: 100 as in issue 12 §4 unless `BENCH_PLUGIN_GROUPS` says otherwise. */
const GROUPS = Number.parseInt(process.env.BENCH_PLUGIN_GROUPS ?? '100', 10);
const OBJECT = 'simulator/compute';

const debug = (line: string) => {
  if (process.env.BENCH_DEBUG) process.stderr.write(`[plugin] ${line}\n`);
};

const SPECS = {
  ratio: {
    name: 'plugin.calls.ratio_vs_infrakit',
    unit: 'ratio',
    goal: `<= 0.05 (instance-plugin calls per steady 10 s poll, ours ÷ InfraKit's; ${GROUPS} groups × ${GROUP_SIZE})`,
  },
  ours: {
    name: 'plugin.calls.per_poll',
    unit: 'calls',
    goal: `informative (ours, instance plugin, per 10 s sweep, ${GROUPS} groups × ${GROUP_SIZE})`,
  },
  theirs: {
    name: 'infrakit.calls.per_poll',
    unit: 'calls',
    goal: `informative (InfraKit group-stateless, instance plugin, per 10 s poll, ${GROUPS} groups × ${GROUP_SIZE})`,
  },
  flavor: {
    name: 'plugin.flavor.calls.per_poll',
    unit: 'calls',
    goal: '0 expected: the built-in vanilla flavor never calls a plugin',
  },
  theirFlavor: {
    name: 'infrakit.flavor.calls.per_poll',
    unit: 'calls',
    goal: 'informative (InfraKit, vanilla flavor plugin, per 10 s poll)',
  },
  heal: {
    name: 'plugin.heal.p50.s',
    unit: 's',
    goal: `<= infrakit.heal.p50.s (destroy in the simulator → replacement's Provision; --sweep-interval 10 as InfraKit's poll, plugin watch at its default 3 s; ${GROUPS} groups, ${HEAL_TRIALS} trials)`,
  },
  theirHeal: {
    name: 'infrakit.heal.p50.s',
    unit: 's',
    goal: `informative (destroy in the simulator → replacement's Provision, 10 s poll, ${GROUPS} groups, ${HEAL_TRIALS} trials)`,
  },
  healDefault: {
    name: 'plugin.heal.default.p50.s',
    unit: 's',
    goal: `informative (ours with every setting at its default: sweep 5 s, plugin watch 3 s; 10 groups, ${HEAL_TRIALS} trials)`,
  },
  healSlowWatch: {
    name: 'plugin.heal.watch10.p50.s',
    unit: 's',
    goal: `informative, about infrakit.heal.p50.s (ours with the sweep and the plugin watch both at 10 s: no two looks at the plugin closer than InfraKit's polls; 10 groups, ${HEAL_TRIALS} trials)`,
  },
} satisfies Record<string, FigureSpec>;

// ---------------------------------------------------------------------------------------------
// The counting proxy

interface CountingProxy {
  readonly counts: Map<string, number>;
  /** Called with each JSON-RPC method and its params as its request body is complete. */
  onCall?: ((method: string, params: unknown) => void) | undefined;
  total(prefix?: string): number;
  reset(): void;
  close(): Promise<void>;
}

/**
 * A parser of one direction of an HTTP/1.1 connection (client → server): each complete request's
 * body (Content-Length or chunked) is handed to `onBody`.
 */
function requestParser(onBody: (body: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const chunked = /\r\ntransfer-encoding:[^\r]*chunked/i.test(head);
      let rest = buf.subarray(end + 4);
      if (chunked) {
        const parts: Buffer[] = [];
        let at = 0;
        let done = false;
        for (;;) {
          const eol = rest.indexOf('\r\n', at);
          if (eol < 0) break;
          const size = Number.parseInt(rest.subarray(at, eol).toString('latin1'), 16);
          if (!Number.isFinite(size)) throw new Error('bad chunk size');
          if (size === 0) {
            const trailerEnd = rest.indexOf('\r\n\r\n', eol);
            if (trailerEnd === eol) {
              at = eol + 4;
              done = true;
            } else if (trailerEnd > 0) {
              at = trailerEnd + 4;
              done = true;
            } else if (rest.length >= eol + 4 && rest.subarray(eol, eol + 4).toString() === '\r\n\r\n') {
              at = eol + 4;
              done = true;
            }
            break;
          }
          if (rest.length < eol + 2 + size + 2) break;
          parts.push(rest.subarray(eol + 2, eol + 2 + size));
          at = eol + 2 + size + 2;
        }
        if (!done) return;
        onBody(Buffer.concat(parts));
        rest = rest.subarray(at);
      } else {
        const n = length ? Number.parseInt(length[1] as string, 10) : 0;
        if (rest.length < n) return;
        onBody(rest.subarray(0, n));
        rest = rest.subarray(n);
      }
      buf = rest;
    }
  };
}

async function startProxy(listenPath: string, targetPath: string): Promise<CountingProxy> {
  const sockets = new Set<Socket>();
  const proxy: CountingProxy = {
    counts: new Map(),
    onCall: undefined,
    total(prefix = '') {
      let n = 0;
      for (const [method, count] of this.counts) if (method.startsWith(prefix)) n += count;
      return n;
    },
    reset() {
      this.counts.clear();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const count = (body: Buffer) => {
    let method = 'unparsed';
    let params: unknown;
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { method?: unknown; params?: unknown };
      if (typeof parsed.method === 'string') method = parsed.method;
      params = parsed.params;
    } catch {
      // counted as unparsed
    }
    proxy.counts.set(method, (proxy.counts.get(method) ?? 0) + 1);
    proxy.onCall?.(method, params);
  };
  const server: Server = createServer((client) => {
    const upstream = createConnection(targetPath);
    sockets.add(client);
    sockets.add(upstream);
    const parse = requestParser(count);
    client.on('data', (chunk: Buffer) => {
      try {
        parse(chunk);
      } catch (err) {
        debug(`proxy parse: ${messageOf(err)}`);
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPath, () => resolve());
  });
  return proxy;
}

// ---------------------------------------------------------------------------------------------
// Helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms: number,
  every = 250,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last = '';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = `: ${messageOf(err)}`;
    }
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms / 1000} s${last}`);
    await sleep(every);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function killPid(pid: number): Promise<void> {
  if (!pidAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 1_500;
  while (pidAlive(pid) && Date.now() < deadline) await sleep(50);
  if (pidAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

const groupIds = (prefix: string, count = GROUPS) =>
  Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);

/** One side's world: the real plugins, the proxy folder, the proxies, the client on the real sockets. */
interface World {
  readonly real: RunningPlugins;
  readonly proxyHome: string;
  readonly proxyDir: string;
  readonly instances: CountingProxy;
  readonly flavors: CountingProxy;
  /** The project's client on the real socket (uncounted): describes and destroys out of band. */
  readonly simulator: ReturnType<InfrakitPlugins['instance']>;
  close(): Promise<void>;
}

async function startWorld(): Promise<World> {
  const real = await startInfrakitPlugins(['simulator', 'vanilla']);
  const proxyHome = await mkdtemp(join(tmpdir(), 'ik-proxy-'));
  const proxyDir = join(proxyHome, 'plugins');
  await mkdir(proxyDir, { recursive: true });
  let instances: CountingProxy | undefined;
  let flavors: CountingProxy | undefined;
  try {
    instances = await startProxy(join(proxyDir, 'simulator'), join(real.pluginsDir, 'simulator'));
    flavors = await startProxy(join(proxyDir, 'vanilla'), join(real.pluginsDir, 'vanilla'));
  } catch (err) {
    await instances?.close();
    await real.stop();
    await rm(proxyHome, { recursive: true, force: true });
    throw err;
  }
  const simulator = new InfrakitPlugins({ pluginsDir: real.pluginsDir, callTimeoutMs: 15_000 }).instance(
    OBJECT,
  );
  const i = instances;
  const f = flavors;
  return {
    real,
    proxyHome,
    proxyDir,
    instances: i,
    flavors: f,
    simulator,
    async close() {
      await i.close().catch(() => undefined);
      await f.close().catch(() => undefined);
      await real.stop().catch(() => undefined);
      await rm(proxyHome, { recursive: true, force: true });
    },
  };
}

/** Instances of `ids`' groups in the simulator, by group (the simulator's own view). */
async function membersByGroup(world: World, prefix: string): Promise<Map<string, string[]>> {
  const all = await world.simulator.describe({});
  const by = new Map<string, string[]>();
  for (const i of all) {
    const group = i.tags['infrakit.group'];
    if (!group?.startsWith(`${prefix}-`)) continue;
    by.set(group, [...(by.get(group) ?? []), i.id]);
  }
  return by;
}

function converged(by: Map<string, string[]>, groups = GROUPS): boolean {
  if (by.size !== groups) return false;
  for (const ids of by.values()) if (ids.length !== GROUP_SIZE) return false;
  return true;
}

/** Steady poll windows counted (their mean is reported, each is logged). */
const WINDOWS = 3;
/** Polls waited after convergence before counting. */
const SETTLE_POLLS = 2;

/**
 * Counts the calls on both proxies over `WINDOWS` steady 10 s windows (after `SETTLE_POLLS` polls);
 * the mean per window.
 */
async function steadyWindow(world: World): Promise<{ instance: number; flavor: number; detail: string }> {
  // Two polls to settle: the follow-up passes after convergence are not the steady state.
  await sleep(SETTLE_POLLS * POLL_S * 1000);
  let instance = 0;
  let flavor = 0;
  const details: string[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    world.instances.reset();
    world.flavors.reset();
    await sleep(POLL_S * 1000);
    instance += world.instances.total();
    flavor += world.flavors.total();
    details.push(
      [...world.instances.counts, ...world.flavors.counts].map(([m, n]) => `${m}=${n}`).join(' ') || 'none',
    );
  }
  return { instance: instance / WINDOWS, flavor: flavor / WINDOWS, detail: details.join(' | ') };
}

/** The `infrakit.group` tag of an `Instance.Provision` request's spec, if any. */
function provisionedGroup(params: unknown): string | undefined {
  const spec = (params as { Spec?: { Tags?: Record<string, unknown> } } | undefined)?.Spec;
  const group = spec?.Tags?.['infrakit.group'];
  return typeof group === 'string' ? group : undefined;
}

/**
 * `HEAL_TRIALS` trials at once, each on its own group: a member (an id the simulator described) is
 * destroyed at a random moment within two poll intervals, and the trial ends when the proxy sees an
 * `Instance.Provision` tagged with that group. Random moments stand for failures that come at any
 * phase of either controller's polling; then all members are waited for again.
 */
async function healTrials(
  world: World,
  prefix: string,
  timeoutMs: number,
  groups = GROUPS,
): Promise<number[]> {
  const ids = groupIds(prefix, groups);
  const trials = Array.from({ length: Math.min(HEAL_TRIALS, ids.length) }, (_, t) => {
    const group = ids[Math.floor((t * ids.length) / HEAL_TRIALS)] as string;
    return { group, delayMs: Math.random() * 2 * POLL_S * 1000 };
  });
  const provisioned = new Map<string, number>();
  world.instances.onCall = (method, params) => {
    const group = method === 'Instance.Provision' ? provisionedGroup(params) : undefined;
    if (group !== undefined && !provisioned.has(group)) provisioned.set(group, performance.now());
  };
  try {
    return await Promise.all(
      trials.map(async ({ group, delayMs }, t) => {
        await sleep(delayMs);
        const members = await world.simulator.describe({ 'infrakit.group': group });
        const victim = members[0]?.id;
        if (victim === undefined) throw new Error(`the simulator describes no member of ${group}`);
        provisioned.delete(group);
        const started = performance.now();
        await world.simulator.destroy(victim, 'terminate');
        const at = await waitUntil(
          `trial ${t + 1} (a member of ${group} destroyed): the replacement Provision`,
          async () => provisioned.get(group),
          timeoutMs,
          20,
        );
        const seconds = (at - started) / 1000;
        debug(`${prefix} heal ${t + 1} (${group}): ${seconds.toFixed(2)} s`);
        return seconds;
      }),
    );
  } finally {
    world.instances.onCall = undefined;
    await waitUntil(
      'all members again',
      async () => (converged(await membersByGroup(world, prefix), groups) ? true : undefined),
      60_000,
    ).catch((err: unknown) => debug(messageOf(err)));
  }
}

interface SideResult {
  calls?: { instance: number; flavor: number };
  callsReason?: string;
  heal?: number[];
  healReason?: string;
}

// ---------------------------------------------------------------------------------------------
// InfraKit's side

async function infrakitSide(): Promise<SideResult> {
  const result: SideResult = {};
  const world = await startWorld();
  let group: ChildProcess | undefined;
  const groupPidFile = join(world.proxyDir, 'group-stateless.pid');
  try {
    // group-stateless in the proxy home: it discovers `simulator` and `vanilla` as the proxies.
    const logPath = join(world.proxyHome, 'group.log');
    const log = openSync(logPath, 'a');
    const env = { ...process.env, INFRAKIT_HOME: world.proxyHome, HOME: world.proxyHome };
    group = spawn(INFRAKIT_SCRIPT, ['plugin', 'start', 'group'], { stdio: ['ignore', log, log], env });
    closeSync(log);
    const child = group;
    await waitUntil(
      'the group-stateless socket',
      async () => {
        if (child.exitCode !== null)
          throw new Error(`group-stateless exited: ${await readFile(logPath, 'utf8')}`);
        return existsSync(join(world.proxyDir, 'group-stateless')) ? true : undefined;
      },
      20_000,
      50,
    );

    const specDir = join(world.proxyHome, 'specs');
    await mkdir(specDir);
    const ids = groupIds('ik');
    const commit = async (id: string) => {
      const file = join(specDir, `${id}.json`);
      await writeFile(
        file,
        JSON.stringify({
          ID: id,
          Properties: {
            Allocation: { Size: GROUP_SIZE },
            Instance: { Plugin: OBJECT, Properties: { note: 'bench' } },
            Flavor: { Plugin: 'vanilla', Properties: { Init: ['echo hi'] } },
          },
        }),
      );
      await execFileP(INFRAKIT_SCRIPT, ['local', 'group-stateless', 'commit-group', file], {
        env,
        timeout: 30_000,
      });
    };
    const started = performance.now();
    for (let i = 0; i < ids.length; i += 10) await Promise.all(ids.slice(i, i + 10).map(commit));
    await waitUntil(
      'InfraKit converged',
      async () => (converged(await membersByGroup(world, 'ik')) ? true : undefined),
      120_000,
      500,
    );
    debug(
      `InfraKit: ${GROUPS} groups committed and converged in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    try {
      const window = await steadyWindow(world);
      debug(`InfraKit steady window: ${window.detail}`);
      result.calls = window;
    } catch (err) {
      result.callsReason = `InfraKit's steady window: ${messageOf(err)}`;
    }
    try {
      result.heal = await healTrials(world, 'ik', 45_000);
    } catch (err) {
      result.healReason = `InfraKit's heal trials: ${messageOf(err)}`;
    }
  } finally {
    const pid = Number.parseInt(await readFile(groupPidFile, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(pid) && pid > 0) await killPid(pid);
    if (group?.pid !== undefined && group.exitCode === null) await killPid(group.pid);
    await world.close();
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Our side

/** One run of our controller: how many groups, the flags that differ, and whether to count calls. */
interface OurRun {
  readonly label: string;
  readonly groups: number;
  readonly flags: readonly string[];
  readonly countCalls: boolean;
}

const OURS_EQUAL: OurRun = {
  label: 'ours',
  groups: GROUPS,
  flags: ['--sweep-interval', String(POLL_S)],
  countCalls: true,
};
/** Everything at its default (sweep 5 s, plugin watch 3 s); fewer groups, as only heal is timed. */
const OURS_DEFAULT: OurRun = { label: 'ours-default', groups: 10, flags: [], countCalls: false };
/** Sweep and plugin watch both every 10 s: no look at the plugin closer together than InfraKit's. */
const OURS_SLOW_WATCH: OurRun = {
  label: 'ours-watch10',
  groups: 10,
  flags: ['--sweep-interval', String(POLL_S), '--plugin-watch-interval', String(POLL_S)],
  countCalls: false,
};

async function ourSide(run: OurRun): Promise<SideResult> {
  const result: SideResult = {};
  const prefix = run.label;
  const world = await startWorld();
  const dataDir = await mkdtemp(join(tmpdir(), 'ik-bench-ours-'));
  let child: ChildProcess | undefined;
  let output = '';
  try {
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/local/main.ts',
        '--plugins-dir',
        world.proxyDir,
        ...run.flags,
        '--no-examples',
        '--port',
        '0',
        '--data-dir',
        dataDir,
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          INFRAKIT_HOME: world.proxyHome,
          HOME: world.proxyHome,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      },
    );
    const proc = child;
    proc.stdout?.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-20_000);
    });
    proc.stderr?.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-20_000);
    });
    const url = await waitUntil(
      'our controller ready',
      async () => {
        if (proc.exitCode !== null) throw new Error(`the controller exited: ${output.slice(-2000)}`);
        return /ready: listening on (\S+)/.exec(output)?.[1];
      },
      60_000,
      50,
    );

    const ids = groupIds(prefix, run.groups);
    const put = async (id: string) => {
      const spec = {
        id,
        allocation: { size: GROUP_SIZE },
        instance: { provider: 'infrakit', properties: { plugin: OBJECT, properties: {} } },
        flavor: { kind: 'vanilla', properties: { init: ['echo hi'] } },
      };
      const res = await fetch(`${url}/groups/${id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(spec),
      });
      if (!res.ok) throw new Error(`PUT /groups/${id}: ${res.status} ${await res.text()}`);
    };
    const started = performance.now();
    for (let i = 0; i < ids.length; i += 10) await Promise.all(ids.slice(i, i + 10).map(put));
    await waitUntil(
      `${prefix} converged`,
      async () => (converged(await membersByGroup(world, prefix), run.groups) ? true : undefined),
      240_000,
      500,
    );
    debug(
      `${prefix}: ${run.groups} groups committed and converged in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    if (run.countCalls) {
      try {
        const window = await steadyWindow(world);
        debug(`${prefix} steady window: ${window.detail}`);
        result.calls = window;
      } catch (err) {
        result.callsReason = `${prefix} steady window: ${messageOf(err)}`;
      }
    }
    try {
      result.heal = await healTrials(world, prefix, 45_000, run.groups);
    } catch (err) {
      debug(`${prefix} controller's output:\n${output.slice(-6000)}`);
      result.healReason = `${prefix} heal trials: ${messageOf(err)}`;
    }
  } finally {
    if (process.env.BENCH_DEBUG) debug(`${prefix} controller's last output:\n${output.slice(-3000)}`);
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child?.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await Promise.race([exited, sleep(5_000)]);
    }
    await world.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  return result;
}

// ---------------------------------------------------------------------------------------------

export const suite: BenchSuite = {
  name: 'plugin',
  figures: Object.values(SPECS),
  timeoutMs: 12 * 60_000,
  async run() {
    const all = Object.values(SPECS);
    if (!infrakitAvailable()) {
      return all.map((s) => unmeasured(s, `InfraKit's binary is absent (${INFRAKIT_SCRIPT})`));
    }
    const sideOf = async (name: string, run: () => Promise<SideResult>): Promise<SideResult> => {
      try {
        return await run();
      } catch (err) {
        const reason = `${name}: ${messageOf(err)}`;
        process.stderr.write(`plugin: ${reason}\n`);
        return { callsReason: reason, healReason: reason };
      }
    };
    // `BENCH_PLUGIN_RUNS=ours,ours-default` runs only those (a run left out is unmeasured).
    const runs = process.env.BENCH_PLUGIN_RUNS?.split(',').map((r) => r.trim());
    const skipped: SideResult = {
      callsReason: 'left out by BENCH_PLUGIN_RUNS',
      healReason: 'left out by BENCH_PLUGIN_RUNS',
    };
    const maybe = (label: string, run: () => Promise<SideResult>) =>
      runs && !runs.includes(label) ? Promise.resolve(skipped) : sideOf(label, run);
    const theirs = await maybe('infrakit', infrakitSide);
    const ours = await maybe(OURS_EQUAL.label, () => ourSide(OURS_EQUAL));
    const oursDefault = await maybe(OURS_DEFAULT.label, () => ourSide(OURS_DEFAULT));
    const oursSlow = await maybe(OURS_SLOW_WATCH.label, () => ourSide(OURS_SLOW_WATCH));

    const out: Outcome[] = [];
    const fig = (spec: FigureSpec, value: number | undefined, reason: string | undefined): void => {
      out.push(value === undefined ? unmeasured(spec, reason ?? 'not reached') : { ...spec, value });
    };
    fig(SPECS.theirs, theirs.calls?.instance, theirs.callsReason);
    fig(SPECS.theirFlavor, theirs.calls?.flavor, theirs.callsReason);
    fig(SPECS.ours, ours.calls?.instance, ours.callsReason);
    fig(SPECS.flavor, ours.calls?.flavor, ours.callsReason);
    if (ours.calls && theirs.calls && theirs.calls.instance > 0)
      fig(SPECS.ratio, ours.calls.instance / theirs.calls.instance, undefined);
    else
      fig(
        SPECS.ratio,
        undefined,
        [ours.callsReason, theirs.callsReason].filter(Boolean).join('; ') ||
          'InfraKit made no instance-plugin call',
      );
    fig(SPECS.heal, ours.heal ? median(ours.heal) : undefined, ours.healReason);
    fig(SPECS.theirHeal, theirs.heal ? median(theirs.heal) : undefined, theirs.healReason);
    fig(SPECS.healDefault, oursDefault.heal ? median(oursDefault.heal) : undefined, oursDefault.healReason);
    fig(SPECS.healSlowWatch, oursSlow.heal ? median(oursSlow.heal) : undefined, oursSlow.healReason);
    return out;
  },
};
