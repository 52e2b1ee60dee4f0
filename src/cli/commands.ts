import { groupSpecJsonSchema } from '../spec/index.js';
import { ApiError } from './client.js';
import { startConsoleProxy } from './console.js';
import { type CliIo, type CommandContext, CommandFailure } from './context.js';
import { formatEvents, formatGroup, formatGroupList, formatHistory, formatPlan } from './format.js';
import { readSpecFile } from './spec-file.js';
import type { SpecView } from './views.js';
import { withConfigHash } from './watch.js';

/**
 * The commands. Each fetches through the client and prints either the API's JSON (`--json`) or a
 * human rendering from `format.ts`; errors propagate to `run`, which prints one line.
 */

const MAX_PAGES = 100;

/** Follows `next` cursors until the last page (bounded, in case a server loops). */
async function allPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: readonly T[]; next?: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await fetchPage(cursor);
    items.push(...page.items);
    if (!page.next) break;
    cursor = page.next;
  }
  return items;
}

export async function listGroups(ctx: CommandContext): Promise<void> {
  const groups = await allPages(async (cursor) => {
    const res = await ctx.client.listGroups(cursor ? { cursor } : {});
    return { items: res.body.groups, ...(res.body.next ? { next: res.body.next } : {}) };
  });
  if (ctx.json) ctx.outJson({ groups });
  else ctx.out(formatGroupList(groups));
}

export async function getGroup(
  ctx: CommandContext,
  id: string,
  options: { explain?: boolean } = {},
): Promise<void> {
  const res = await ctx.client.getGroup(id, options.explain ? { explain: true } : {});
  if (ctx.json) ctx.outJson(res.body);
  else ctx.out(formatGroup(withConfigHash(res.body)));
}

/** The stored group, or undefined when it does not exist (for the pretend diff). */
async function currentSpec(ctx: CommandContext, id: string): Promise<SpecView | undefined> {
  try {
    return (await ctx.client.getGroup(id)).body.spec;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

export async function commitGroup(
  ctx: CommandContext,
  file: string,
  options: { pretend?: boolean; ifMatch?: string; createOnly?: boolean },
): Promise<void> {
  const spec = await readSpecFile(file);
  const put = {
    contentType: spec.contentType,
    ...(options.ifMatch ? { ifMatch: options.ifMatch } : {}),
    ...(options.createOnly ? { createOnly: true } : {}),
  };
  if (options.pretend) {
    const before = await currentSpec(ctx, spec.id);
    const res = await ctx.client.pretendPutGroup(spec.id, spec.text, put);
    if (ctx.json) return ctx.outJson(res.body);
    ctx.out(formatPlan(spec.id, before, res.body.spec, res.body.plan));
    return;
  }
  const res = await ctx.client.putGroup(spec.id, spec.text, put);
  if (ctx.json) return ctx.outJson(res.body);
  const stored = res.body;
  ctx.out(`group ${stored.id} committed: version ${stored.version} (etag ${stored.etag ?? res.etag ?? '-'})`);
}

export async function scaleGroup(ctx: CommandContext, id: string, sizeText: string): Promise<void> {
  const size = Number(sizeText);
  if (!Number.isInteger(size) || size < 0)
    throw new CommandFailure(`size must be a whole number >= 0, not ${sizeText}`);
  const res = await ctx.client.setSize(id, size);
  if (ctx.json) return ctx.outJson(res.body);
  const stored = res.body;
  ctx.out(`group ${id} scaled to ${size}: version ${stored.version}`);
}

/** `group pause|resume ID [--rollout]`. */
export async function pauseGroup(
  ctx: CommandContext,
  id: string,
  verb: 'pause' | 'resume',
  options: { rollout?: boolean },
): Promise<void> {
  const rollout = options.rollout === true;
  const res = await ctx.client.setPaused(id, verb, rollout);
  if (ctx.json) return ctx.outJson(res.body);
  const what = rollout ? `group ${id}'s rollout` : `group ${id}`;
  const meaning =
    verb === 'resume'
      ? ''
      : rollout
        ? ' (no outdated instance is replaced; healing and scaling go on)'
        : ' (no action at all until resumed)';
  ctx.out(`${what} ${verb === 'pause' ? 'paused' : 'resumed'}${meaning}: version ${res.body.version}`);
}

export async function freeGroup(ctx: CommandContext, id: string): Promise<void> {
  const res = await ctx.client.free(id);
  if (ctx.json) return ctx.outJson(res.body);
  ctx.out(res.body.message || `group ${id} freed: its instances keep running, unmanaged`);
}

export async function completeHook(
  ctx: CommandContext,
  id: string,
  instanceId: string,
  result: 'continue' | 'abandon',
): Promise<void> {
  const res = await ctx.client.complete(id, instanceId, result);
  if (ctx.json) return ctx.outJson(res.body);
  ctx.out(`group ${id}: ${res.body.message}`);
}

export async function reconcileGroup(ctx: CommandContext, id: string): Promise<void> {
  const res = await ctx.client.reconcile(id);
  if (ctx.json) return ctx.outJson(res.body);
  const body = res.body;
  // A deployed API asks the reconciler and answers 202 before the pass runs.
  if ('requested' in body) return ctx.out(`group ${id}: ${body.message}`);
  const outcome = body.outcome;
  const counts = outcome === 'acted' ? ` (launched ${body.launched}, terminated ${body.terminated})` : '';
  const summary = body.plan?.summary;
  // A summary such as `steady: 3/3 healthy` already says the outcome.
  const line = summary?.startsWith(`${outcome}:`)
    ? summary
    : [`${outcome}${counts}`, summary].filter(Boolean).join(': ');
  ctx.out(`group ${id}: ${line}`);
}

export async function destroyGroup(
  ctx: CommandContext,
  id: string,
  options: { wait?: boolean; timeoutSeconds: number; deleteVolumes?: boolean },
): Promise<void> {
  const res = await ctx.client.destroy(id, options.deleteVolumes ? { deleteVolumes: true } : {});
  if (!options.wait) {
    if (ctx.json) return ctx.outJson(res.body ?? { id, destroying: true });
    ctx.out(`group ${id} is being destroyed: its instances are terminated, then the group is removed`);
  }
  // What the pets keep stays unless asked for: say so, resource by resource.
  const kept = res.body?.kept ?? [];
  const deleting = res.body?.deleting ?? [];
  if (!ctx.json) {
    const list = (rs: typeof kept) => rs.map((r) => `${r.kind} ${r.id} (${r.logicalId})`).join(', ');
    if (kept.length > 0) ctx.out(`kept (--delete-volumes deletes them): ${list(kept)}`);
    if (deleting.length > 0) ctx.out(`deleted once the instances are gone: ${list(deleting)}`);
  }
  if (!options.wait) return;
  const deadline = ctx.now() + options.timeoutSeconds * 1000;
  for (;;) {
    try {
      await ctx.client.getGroup(id);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) break;
      throw err;
    }
    if (ctx.now() >= deadline)
      throw new CommandFailure(`group ${id} still exists after ${options.timeoutSeconds} s`, 4);
    await ctx.sleep(500);
  }
  if (ctx.json) ctx.outJson({ id, removed: true });
  else ctx.out(`group ${id} destroyed`);
}

export async function groupEvents(ctx: CommandContext, id: string, limit: number): Promise<void> {
  const res = await ctx.client.events(id, { limit });
  if (ctx.json) return ctx.outJson(res.body);
  ctx.out(formatEvents(res.body.events));
}

export async function groupHistory(ctx: CommandContext, id: string): Promise<void> {
  const versions = await allPages(async (cursor) => {
    const res = await ctx.client.history(id, cursor ? { cursor } : {});
    return { items: res.body.versions, ...(res.body.next ? { next: res.body.next } : {}) };
  });
  if (ctx.json) return ctx.outJson({ versions });
  ctx.out(formatHistory(versions, versions[0]?.version));
}

export async function rollbackGroup(ctx: CommandContext, id: string, versionText: string): Promise<void> {
  const version = Number(versionText);
  if (!Number.isInteger(version) || version < 1) {
    throw new CommandFailure(`version must be a whole number >= 1, not ${versionText}`);
  }
  const res = await ctx.client.rollback(id, version);
  if (ctx.json) return ctx.outJson(res.body);
  const stored = res.body;
  ctx.out(`group ${id} rolled back to the spec of version ${version}: now version ${stored.version}`);
}

/** `infrakit console`: serves until SIGINT or SIGTERM (or `io.stop`, in tests). */
export async function serveConsole(ctx: CommandContext, port: number): Promise<void> {
  const proxy = await startConsoleProxy(ctx.client, { port }).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'EADDRINUSE'
      ? new CommandFailure(`port ${port} on 127.0.0.1 is in use: pass --port`)
      : err;
  });
  ctx.out(`console: ${proxy.url}  (API: ${ctx.client.endpoint}; press Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await proxy.close();
}

/** Needs no endpoint: the schema is compiled into the CLI. */
export function printSchema(io: CliIo): void {
  io.stdout(`${JSON.stringify(groupSpecJsonSchema(), null, 2)}\n`);
}
