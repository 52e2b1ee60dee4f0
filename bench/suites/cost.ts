import { performance } from 'node:perf_hooks';
import { messageOf } from '../../src/errors.js';
import { silentLog } from '../../src/log.js';
import type { Engine } from '../../src/reconcile/types.js';
import { scheduledSweep } from '../../src/runtime/sweep.js';
import { startDynaliteProcess } from '../../test/helpers/dynalite.js';
import { type FakeWorld, fakeWorld } from '../fake-world.js';
import { type BenchSuite, type FigureSpec, type Outcome, unmeasured } from '../types.js';

/**
 * `cost.<n>groups.*`: what the controller costs per month at rest (every group steady, a sweep every
 * minute), from counts measured on a steady sweep and list prices. README "Cost" explains the model.
 *
 * Measured here, in this process, for 100 and 1,000 groups of 10 instances: the reconcile handler's
 * work for one scheduled sweep (`scheduledSweep`, what `lambda/reconcile.ts` runs) against dynalite
 * (in a child process, so its work is not counted) and the paging fake EC2 reached through a real `EC2Client` (EC2's query protocol and XML, so the
 * SDK's parsing of 1,000-instance pages is included): its CPU time (less the emulated EC2's), its
 * DynamoDB requests and the capacity DynamoDB reports for them (`ReturnConsumedCapacity`), and its
 * EC2 calls.
 *
 * Assumed, because nothing here can measure them: the round trips to EC2 and DynamoDB from a Lambda
 * function (the emulators here answer in-process), and the share of a CPU Lambda gives 1,024 MB.
 */

/** List prices (us-east-1, USD), as the issue states them. */
export const PRICES = {
  /** Lambda arm64, per request. */
  lambdaRequest: 0.2 / 1e6,
  /** Lambda arm64, per GB-second. */
  lambdaGbSecond: 0.0000133334,
  /** DynamoDB on demand, per read request unit (4 KB strongly consistent, or two eventually consistent). */
  dynamoRead: 0.125 / 1e6,
  /** DynamoDB on demand, per write request unit (1 KB). */
  dynamoWrite: 0.625 / 1e6,
} as const;

/** The reconcile function's memory (infra/lib/controller.ts). */
export const MEMORY_MB = 1024;
/** Lambda gives one full vCPU at 1,769 MB and CPU in proportion to memory below that. */
export const FULL_VCPU_MB = 1769;
/** A sweep a minute (the schedule's default), over a 730-hour month. */
export const SWEEPS_PER_MONTH = 730 * 60;
/** Assumed round trip of one EC2 Describe page of up to 1,000 instances, from Lambda. */
export const ASSUMED_EC2_PAGE_MS = 500;
/** Assumed round trip of one DynamoDB request from Lambda. */
export const ASSUMED_DYNAMO_REQUEST_MS = 10;

const SIZE = 10;
const SIZES = [
  { groups: 100, sweeps: 7 },
  { groups: 1_000, sweeps: 3 },
] as const;

const log = (message: string) => process.stderr.write(`  cost: ${message}\n`);

function specs(groups: number): FigureSpec[] {
  const p = `cost.${groups}groups`;
  return [
    { name: `${p}.month.usd`, unit: 'USD', goal: groups === 100 ? '<= 1' : 'informative' },
    { name: `${p}.handler.ms`, unit: 'ms', goal: 'informative (measured here)' },
    { name: `${p}.billed.ms`, unit: 'ms', goal: 'informative (model)' },
    { name: `${p}.ddb.rru`, unit: 'RRU', goal: 'informative' },
    { name: `${p}.ddb.wru`, unit: 'WRU', goal: '0' },
    { name: `${p}.ddb.requests`, unit: 'req', goal: 'informative' },
    { name: `${p}.ec2.calls`, unit: 'calls', goal: 'informative (free)' },
  ];
}

/** One steady sweep's counts. */
interface SweepSample {
  /**
   * The CPU time of the sweep here, less the emulated EC2's (its answers are EC2's work, not the
   * handler's). CPU rather than wall time, so that other processes on the machine do not inflate it;
   * in this process, with no network, the sweep is CPU-bound and the two agree on an idle machine.
   */
  readonly ms: number;
  /** The sweep's wall time here, all of it (for the log). */
  readonly wallMs: number;
  /** The CPU time the emulated EC2 spent answering (EC2's side, not the handler's). */
  readonly emulatedMs: number;
  readonly rru: number;
  readonly wru: number;
  readonly requests: number;
  readonly ec2Calls: number;
  readonly steady: boolean;
}

async function measureSweep(w: FakeWorld, engine: Engine, groups: number): Promise<SweepSample> {
  const before = {
    ...w.capacity,
    requests: sumRequests(w),
    ec2: w.ec2.calls.length,
    emulatedMs: w.ec2Time.serverCpuMs,
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  // What lambda/reconcile.ts runs for a scheduled event (its deadline: 5 min less its margin).
  const { report } = await scheduledSweep(
    { engine, publisher: { publish: async () => 0 }, log: silentLog },
    Date.now() + 5 * 60_000 - 3_000,
  );
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const emulatedMs = w.ec2Time.serverCpuMs - before.emulatedMs;
  const ms = (used.user + used.system) / 1000 - emulatedMs;
  const steady = report.results.filter((r) => r.outcome === 'steady').length === groups;
  return {
    ms,
    wallMs,
    emulatedMs,
    rru: w.capacity.reads - before.reads,
    wru: w.capacity.writes - before.writes,
    requests: sumRequests(w) - before.requests,
    ec2Calls: w.ec2.calls.length - before.ec2,
    steady,
  };
}

function sumRequests(w: FakeWorld): number {
  let n = 0;
  for (const v of w.capacity.requests.values()) n += v;
  return n;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** The monthly cost of a sweep a minute whose counts are `s`, and the billed duration it assumes. */
export function monthlyCost(s: Omit<SweepSample, 'steady' | 'emulatedMs' | 'wallMs'>): {
  usd: number;
  billedMs: number;
} {
  const cpuMs = s.ms * (FULL_VCPU_MB / MEMORY_MB);
  const waitMs = s.ec2Calls * ASSUMED_EC2_PAGE_MS + s.requests * ASSUMED_DYNAMO_REQUEST_MS;
  const billedMs = Math.ceil(cpuMs + waitMs);
  const lambda = PRICES.lambdaRequest + (billedMs / 1000) * (MEMORY_MB / 1024) * PRICES.lambdaGbSecond;
  const dynamo = s.rru * PRICES.dynamoRead + s.wru * PRICES.dynamoWrite;
  return { usd: SWEEPS_PER_MONTH * (lambda + dynamo), billedMs };
}

async function measure(groups: number, sweeps: number): Promise<Outcome[]> {
  // In its own process: DynamoDB's side of each request is not the handler's CPU time.
  const dynamo = await startDynaliteProcess();
  try {
    const w = await fakeWorld(dynamo, groups, SIZE, { via: 'sdk' });
    try {
      const engine = w.engine();
      // Reach steady state: the first sweep adopts the instances and records their state.
      let steady = false;
      for (let pass = 1; pass <= 5 && !steady; pass++) {
        const s = await measureSweep(w, engine, groups);
        log(`${groups} groups, sweep ${pass}: ${JSON.stringify(s)}`);
        steady = s.steady && s.wru === 0;
      }
      if (!steady) throw new Error(`no steady sweep of ${groups} groups within 5 sweeps`);
      const samples: SweepSample[] = [];
      for (let n = 0; n < sweeps; n++) {
        const s = await measureSweep(w, engine, groups);
        if (!s.steady) throw new Error(`a counted sweep of ${groups} groups was not steady`);
        samples.push(s);
      }
      log(
        `${groups} groups, counted: handler CPU ${samples.map((s) => s.ms.toFixed(0)).join(', ')} ms; emulated EC2 CPU ${samples.map((s) => s.emulatedMs.toFixed(0)).join(', ')} ms; wall ${samples.map((s) => s.wallMs.toFixed(0)).join(', ')} ms`,
      );
      const counts = {
        ms: median(samples.map((s) => s.ms)),
        rru: median(samples.map((s) => s.rru)),
        wru: median(samples.map((s) => s.wru)),
        requests: median(samples.map((s) => s.requests)),
        ec2Calls: median(samples.map((s) => s.ec2Calls)),
      };
      const { usd, billedMs } = monthlyCost(counts);
      const [month, sweepMs, billed, rru, wru, requests, ec2] = specs(groups) as [
        FigureSpec,
        FigureSpec,
        FigureSpec,
        FigureSpec,
        FigureSpec,
        FigureSpec,
        FigureSpec,
      ];
      return [
        { ...month, value: usd },
        { ...sweepMs, value: counts.ms },
        { ...billed, value: billedMs },
        { ...rru, value: counts.rru },
        { ...wru, value: counts.wru },
        { ...requests, value: counts.requests },
        { ...ec2, value: counts.ec2Calls },
      ];
    } finally {
      w.close();
    }
  } finally {
    await dynamo.stop();
  }
}

export const suite: BenchSuite = {
  name: 'cost',
  figures: SIZES.flatMap(({ groups }) => specs(groups)),
  async run() {
    const out: Outcome[] = [];
    for (const { groups, sweeps } of SIZES) {
      try {
        out.push(...(await measure(groups, sweeps)));
      } catch (err) {
        log(`${groups} groups not measured: ${messageOf(err)}`);
        out.push(...specs(groups).map((s) => unmeasured(s, messageOf(err))));
      }
    }
    return out;
  },
};
