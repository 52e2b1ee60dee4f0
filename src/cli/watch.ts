import { configHash } from '../spec/index.js';
import { ApiError } from './client.js';
import { type CommandContext, CommandFailure, EXIT_BLOCKED, EXIT_TIMEOUT } from './context.js';
import { countsOf, statusLine, when } from './format.js';
import { desiredOf, type GroupView } from './views.js';

/** The view with the spec's config hash filled in, so outdated instances can be counted. */
export function withConfigHash(group: GroupView): GroupView {
  if (group.configHash) return group;
  // The API returns validated specs with defaults filled in: the same input the engine hashes.
  const { instance, flavor } = group.spec;
  return { ...group, configHash: configHash({ instance, flavor }) };
}

/**
 * `group watch`: polls the group and prints a status line whenever it changes, until the group is
 * converged (exit 0), blocked (exit 3), removed after a destroy (exit 0), or the timeout passes
 * (exit 4). A group that is converging but whose instances are not all healthy yet keeps waiting.
 */
export async function watchGroup(
  ctx: CommandContext,
  id: string,
  options: { timeoutSeconds: number; intervalMs: number },
): Promise<void> {
  const deadline = ctx.now() + options.timeoutSeconds * 1000;
  let lastLine = '';
  let sawDestroying = false;
  for (;;) {
    let group: GroupView;
    try {
      group = withConfigHash((await ctx.client.getGroup(id)).body);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && sawDestroying) {
        report(ctx, { id, state: 'removed' }, `${stamp(ctx)} ${id}  removed`);
        return;
      }
      throw err;
    }
    const status = group.status;
    const counts = countsOf(desiredOf(group.spec), status, group.configHash);
    sawDestroying ||= status?.lifecycle === 'destroying';
    const line = statusLine(id, counts, status);
    if (line !== lastLine && !ctx.json) ctx.out(`${stamp(ctx)} ${line}`);
    lastLine = line;

    if (status?.blocked) {
      report(ctx, { id, state: 'blocked', blocked: status.blocked, ...counts });
      throw new CommandFailure(`group ${id} is blocked: ${status.blocked}`, EXIT_BLOCKED);
    }
    const settled =
      status?.lifecycle !== 'destroying' &&
      status?.converged === true &&
      counts.healthy >= counts.desired &&
      counts.updating === 0;
    if (settled) {
      report(ctx, { id, state: 'converged', ...counts });
      return;
    }
    if (ctx.now() >= deadline) {
      report(ctx, { id, state: 'timeout', ...counts });
      throw new CommandFailure(
        `group ${id} did not converge within ${options.timeoutSeconds} s (${line})`,
        EXIT_TIMEOUT,
      );
    }
    await ctx.sleep(options.intervalMs);
  }
}

function stamp(ctx: CommandContext): string {
  return when(ctx.now()).slice(11);
}

/** In JSON mode the final state is one object; for people the last status line already said it. */
function report(ctx: CommandContext, value: Record<string, unknown>, humanLine?: string): void {
  if (ctx.json) ctx.outJson(value);
  else if (humanLine) ctx.out(humanLine);
}
