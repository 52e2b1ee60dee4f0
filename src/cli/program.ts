import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_ENDPOINT } from './client.js';
import * as commands from './commands.js';
import { type CliIo, type CommandContext, createContext } from './context.js';
import { watchGroup } from './watch.js';

/** Environment variable naming the API endpoint when `--endpoint` is not given. */
export const ENDPOINT_ENV = 'INFRAKIT_ENDPOINT';

function positiveNumber(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number > 0');
  return n;
}

function portNumber(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port number 0-65535');
  return n;
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number >= 1');
  return n;
}

/**
 * The `infrakit` command tree. Commander's own exits and output are redirected to `io` so the
 * whole CLI can run in-process (tests) as well as from `bin/infrakit.js`.
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('infrakit')
    .description('Declarative, self-healing groups of instances: talk to an InfraKit-serverless API.')
    .addOption(
      new Option(
        '--endpoint <url>',
        `API endpoint (env ${ENDPOINT_ENV}); SigV4-signed unless on loopback`,
      ).default(io.env[ENDPOINT_ENV] || DEFAULT_ENDPOINT),
    )
    .option('--json', 'machine-readable JSON output', false)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');

  const context = (cmd: Command): CommandContext => {
    const opts = cmd.optsWithGlobals<{ endpoint: string; json: boolean }>();
    return createContext(io, { endpoint: opts.endpoint, json: Boolean(opts.json) });
  };

  // Subcommands inherit exitOverride and the output configuration from their parent.
  const group = program.command('group').description('manage groups');

  group
    .command('ls')
    .description('list groups with a status summary')
    .action((_opts, cmd: Command) => commands.listGroups(context(cmd)));
  group
    .command('get')
    .argument('<id>')
    .description('show a group: spec version, status line, what the planner holds back, and instances')
    .option('--explain', "also the planner's reasoning per instance")
    .action((id: string, opts: { explain?: boolean }, cmd: Command) =>
      commands.getGroup(context(cmd), id, opts.explain ? { explain: true } : {}),
    );
  group
    .command('commit')
    .argument('<file>', 'spec file: YAML, JSON or InfraKit-format JSON')
    .description('create or replace a group from a spec file')
    .option('--pretend', 'show what would be launched and terminated, and why; save nothing')
    .option('--if-match <etag>', 'only if the stored version still has this ETag (from group get --json)')
    .option('--create-only', 'fail if the group already exists')
    .action(
      (file: string, opts: { pretend?: boolean; ifMatch?: string; createOnly?: boolean }, cmd: Command) =>
        commands.commitGroup(context(cmd), file, opts),
    );
  group
    .command('scale')
    .argument('<id>')
    .argument('<size>')
    .description('set the size of a cattle group')
    .action((id: string, size: string, _opts, cmd: Command) => commands.scaleGroup(context(cmd), id, size));
  for (const verb of ['pause', 'resume'] as const) {
    group
      .command(verb)
      .argument('<id>')
      .description(
        verb === 'pause'
          ? 'pause a group: no action at all; with --rollout only its rollout, healing and scaling go on'
          : 'resume a paused group, or with --rollout its paused rollout',
      )
      .option('--rollout', `${verb} only the rollout (update.paused)`)
      .action((id: string, opts: { rollout?: boolean }, cmd: Command) =>
        commands.pauseGroup(context(cmd), id, verb, opts),
      );
  }
  group
    .command('free')
    .argument('<id>')
    .description('stop managing a group; its instances keep running')
    .action((id: string, _opts, cmd: Command) => commands.freeGroup(context(cmd), id));
  group
    .command('destroy')
    .argument('<id>')
    .description('terminate every instance of a group, then remove it')
    .option('--wait', 'wait until the group is gone')
    .option('--timeout <seconds>', 'with --wait: give up after this long', positiveNumber, 120)
    .option(
      '--delete-volumes',
      'also delete what its pets keep (volumes, ENIs, Elastic IPs); kept by default',
    )
    .action((id: string, opts: { wait?: boolean; timeout: number; deleteVolumes?: boolean }, cmd: Command) =>
      commands.destroyGroup(context(cmd), id, {
        ...(opts.wait ? { wait: true } : {}),
        ...(opts.deleteVolumes ? { deleteVolumes: true } : {}),
        timeoutSeconds: opts.timeout,
      }),
    );
  group
    .command('reconcile')
    .argument('<id>')
    .description('reconcile a group now')
    .action((id: string, _opts, cmd: Command) => commands.reconcileGroup(context(cmd), id));
  group
    .command('complete')
    .argument('<id>')
    .argument('<instance>')
    .description(
      "complete an instance's waiting lifecycle hook (launching or terminating): the controller goes on",
    )
    .option(
      '--abandon',
      'answer abandon instead of continue (a launching instance is terminated and replaced)',
    )
    .action((id: string, instance: string, opts: { abandon?: boolean }, cmd: Command) =>
      commands.completeHook(context(cmd), id, instance, opts.abandon ? 'abandon' : 'continue'),
    );
  group
    .command('events')
    .argument('<id>')
    .description("the group's event log, newest first")
    .option('--limit <n>', 'how many events', positiveInt, 50)
    .action((id: string, opts: { limit: number }, cmd: Command) =>
      commands.groupEvents(context(cmd), id, opts.limit),
    );
  group
    .command('history')
    .argument('<id>')
    .description('stored spec versions, newest first')
    .action((id: string, _opts, cmd: Command) => commands.groupHistory(context(cmd), id));
  group
    .command('rollback')
    .argument('<id>')
    .argument('<version>')
    .description('make a past spec version current again (as a new version)')
    .action((id: string, version: string, _opts, cmd: Command) =>
      commands.rollbackGroup(context(cmd), id, version),
    );
  group
    .command('watch')
    .argument('<id>')
    .description('follow a group until it converges (exit 0), is blocked (3) or the timeout passes (4)')
    .option('--timeout <seconds>', 'give up after this long', positiveNumber, 300)
    .option('--interval <seconds>', 'poll interval', positiveNumber, 1)
    .action((id: string, opts: { timeout: number; interval: number }, cmd: Command) =>
      watchGroup(context(cmd), id, { timeoutSeconds: opts.timeout, intervalMs: opts.interval * 1000 }),
    );

  program
    .command('console')
    .description(
      'serve the web console on 127.0.0.1 for --endpoint: API calls are forwarded and SigV4-signed here, credentials never reach the browser',
    )
    .option('--port <port>', 'port on 127.0.0.1 (0: any free port)', portNumber, 8788)
    .action((opts: { port: number }, cmd: Command) => commands.serveConsole(context(cmd), opts.port));

  program
    .command('schema')
    .description('print the JSON Schema of group specs (for editors)')
    .action(() => commands.printSchema(io));
  return program;
}
