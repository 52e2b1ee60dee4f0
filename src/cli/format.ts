import type { FieldIssue } from '../errors.js';
import {
  desiredOf,
  type EventView,
  type GroupSummaryView,
  type GroupView,
  type InstanceView,
  type PlanView,
  type SpecView,
  type StatusView,
  type VersionView,
} from './views.js';

/**
 * Presentation for people: tables, status lines and the pretend diff. Pure string functions; the
 * commands decide what to print, the client what to fetch.
 */

/** Left-aligned columns separated by two spaces; cells never wrap. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `2026-11-26 07:00:01` in local time; `-` when unknown. */
export function when(epochMs: number | undefined): string {
  if (epochMs === undefined) return '-';
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The counts a status line shows. */
export interface GroupCounts {
  readonly desired: number;
  readonly running: number;
  readonly healthy: number;
  /** Instances whose config hash differs from the spec's (a rolling update is under way). */
  readonly updating: number;
}

/** Counts from a status; `configHash` is the spec's (when known) to tell outdated instances. */
export function countsOf(desired: number, status: StatusView | undefined, configHash?: string): GroupCounts {
  const instances = status?.instances ?? [];
  const updating =
    configHash === undefined
      ? 0
      : instances.filter((i) => i.configHash !== undefined && i.configHash !== configHash).length;
  return {
    desired,
    running: instances.filter((i) => i.state === 'running').length,
    healthy: instances.filter((i) => i.health === 'healthy').length,
    updating,
  };
}

/** One line: `web  desired 3  running 3  healthy 3  updating 0  converged`. */
export function statusLine(id: string, counts: GroupCounts, status: StatusView | undefined): string {
  const state = status?.blocked
    ? `blocked: ${status.blocked}`
    : status?.lifecycle === 'destroying'
      ? 'destroying'
      : status?.converged
        ? 'converged'
        : 'converging';
  return `${id}  desired ${counts.desired}  running ${counts.running}  healthy ${counts.healthy}  updating ${counts.updating}  ${state}`;
}

export function formatGroupList(groups: readonly GroupSummaryView[]): string {
  if (groups.length === 0) return 'no groups';
  return table(
    ['ID', 'VERSION', 'KIND', 'PROVIDER', 'DESIRED', 'STATE', 'LAST RECONCILE', 'SUMMARY'],
    groups.map((g) => [
      g.id,
      String(g.version),
      g.pets ? 'pets' : 'cattle',
      g.provider ?? '-',
      String(g.desired ?? '-'),
      g.blocked ? 'blocked' : g.lifecycle === 'destroying' ? 'destroying' : g.paused ? 'paused' : 'active',
      when(g.lastReconcileAt),
      g.blocked ?? g.summary ?? '',
    ]),
  );
}

/** Optional columns, shown only when some instance has them (target groups, a launching hook). */
function instanceColumns(instances: readonly InstanceView[]) {
  const columns: { header: string; cell: (i: InstanceView) => string }[] = [];
  if (instances.some((i) => i.targets !== undefined))
    columns.push({
      header: 'TARGETS',
      // One state per target group, in the spec's order; `-`: in none of them.
      cell: (i) => i.targets?.map((t) => (t.reason ? `${t.state} (${t.reason})` : t.state)).join(', ') || '-',
    });
  if (instances.some((i) => i.launching !== undefined))
    columns.push({
      header: 'HOOK',
      cell: (i) =>
        i.launching
          ? `launching${i.launching.until !== undefined ? ` until ${when(i.launching.until)}` : ''}`
          : '',
    });
  return columns;
}

function instanceRows(instances: readonly InstanceView[]): string[][] {
  const extra = instanceColumns(instances);
  return instances.map((i) => [
    i.id,
    i.logicalId ?? '-',
    i.state,
    i.health,
    (i.configHash ?? '').slice(0, 12) || '-',
    when(i.launchedAt),
    String(i.details?.pid ?? i.details?.privateIp ?? ''),
    ...extra.map((c) => c.cell(i)),
  ]);
}

/** `group get`: header, status line and the instance table. */
export function formatGroup(group: GroupView): string {
  const counts = countsOf(desiredOf(group.spec), group.status, group.configHash);
  const lines = [
    `group ${group.id}  version ${group.version}  ${group.spec.instance.provider}  ${group.status?.lifecycle ?? group.lifecycle ?? ''}`.trimEnd(),
    statusLine(group.id, counts, group.status),
  ];
  if (group.status?.summary) lines.push(`last plan: ${group.status.summary}`);
  if (group.status?.observeError) lines.push(`observe failed: ${group.status.observeError}`);
  lines.push(...rolloutLines(group.status));
  const instances = group.status?.instances ?? [];
  lines.push('');
  lines.push(
    instances.length === 0
      ? 'no instances'
      : table(
          [
            ...['INSTANCE', 'LOGICAL ID', 'STATE', 'HEALTH', 'CONFIG', 'LAUNCHED', 'PID/IP'],
            ...instanceColumns(instances).map((c) => c.header),
          ],
          instanceRows(instances),
        ),
  );
  const explain = group.status?.explain;
  if (explain && explain.length > 0) {
    lines.push('');
    lines.push(
      table(
        ['INSTANCE', 'CONDITION', 'DECISION', 'WHY'],
        explain.map((v) => [
          v.id,
          `${v.condition}${v.outdated ? ', outdated' : ''}`,
          v.decision,
          v.detail ?? '',
        ]),
      ),
    );
  }
  return lines.join('\n');
}

/** The rollout under way, the last automatic rollback, and what the planner holds back and why. */
function rolloutLines(status: GroupView['status'] | undefined): string[] {
  if (!status) return [];
  const lines: string[] = [];
  const r = status.rollout;
  if (r) {
    const state = r.halted ? 'halted' : r.paused ? 'paused' : 'rolling';
    lines.push(
      `rollout: config ${r.configHash} ${state}, ${r.failedReplacements} failed in a row, ` +
        `last progress ${when(r.lastProgressAt)}`,
    );
  }
  if (status.lastRollback) lines.push(`last rollback: ${status.lastRollback}`);
  if (status.holds.length > 0) {
    lines.push(`held back: ${status.holds.length}`);
    for (const h of status.holds) lines.push(`  ${h.id}  ${h.reason}: ${h.detail}`);
  }
  return lines;
}

export function formatEvents(events: readonly EventView[]): string {
  if (events.length === 0) return 'no events';
  return table(
    ['TIME', 'LEVEL', 'KIND', 'MESSAGE'],
    events.map((e) => [when(e.at), e.level, e.kind, e.message]),
  );
}

export function formatHistory(versions: readonly VersionView[], current?: number): string {
  if (versions.length === 0) return 'no versions';
  return table(
    ['VERSION', 'UPDATED', 'DESIRED', 'PROVIDER', ''],
    versions.map((v) => [
      String(v.version),
      when(v.updatedAt),
      String(desiredOf(v.spec)),
      v.spec.instance.provider,
      [v.version === current ? '(current)' : '', v.note ?? ''].filter(Boolean).join(' '),
    ]),
  );
}

/** Field issues, one per line, for an invalid spec. */
export function formatIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `  ${i.path || '(document)'}: ${i.message}`).join('\n');
}

type Flat = Map<string, string>;

function flatten(value: unknown, prefix: string, out: Flat): Flat {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) out.set(prefix, '{}');
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.set(prefix, JSON.stringify(value));
  }
  return out;
}

/** Leaf-by-leaf spec changes: `~ path: old → new`, `+ path: new`, `- path: old`. Sorted by path. */
export function specDiff(before: SpecView | undefined, after: SpecView): string[] {
  if (!before) return [];
  const a = flatten(before, '', new Map());
  const b = flatten(after, '', new Map());
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const lines: string[] = [];
  for (const p of paths) {
    const x = a.get(p);
    const y = b.get(p);
    if (x === y) continue;
    if (x === undefined) lines.push(`  + ${p}: ${y}`);
    else if (y === undefined) lines.push(`  - ${p}: ${x}`);
    else lines.push(`  ~ ${p}: ${x} → ${y}`);
  }
  return lines;
}

/**
 * The pretend output: what changes in the spec, then each action as a diff line (`+` launches,
 * `-` terminations) with its reason, then the planner's summary and anything blocking it.
 */
export function formatPlan(
  id: string,
  before: SpecView | undefined,
  after: SpecView,
  plan: PlanView,
): string {
  const lines: string[] = [
    before ? `group ${id} (pretend: nothing saved)` : `group ${id} (new; pretend: nothing saved)`,
  ];
  const changes = specDiff(before, after);
  if (before) {
    lines.push(changes.length > 0 ? 'spec changes:' : 'spec unchanged');
    lines.push(...changes);
  }
  lines.push(plan.actions.length > 0 ? 'plan:' : 'plan: no actions');
  for (const action of plan.actions) {
    if (action.kind === 'launch') {
      const ids =
        action.logicalIds && action.logicalIds.length > 0 ? ` [${action.logicalIds.join(', ')}]` : '';
      lines.push(`  + launch ${action.count}${ids}  (${action.reason})`);
    } else {
      for (const instanceId of action.ids) lines.push(`  - terminate ${instanceId}  (${action.reason})`);
    }
  }
  const blocked = typeof plan.blocked === 'string' ? plan.blocked : plan.blocked?.reason;
  if (blocked) lines.push(`blocked: ${blocked}`);
  for (const note of plan.notes ?? []) lines.push(`note: ${note}`);
  if (plan.summary) lines.push(`summary: ${plan.summary}`);
  return lines.join('\n');
}
