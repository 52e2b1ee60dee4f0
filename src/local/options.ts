import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';

/** Local mode's settings, from flags or their environment variables (flags win). */
export interface LocalOptions {
  /** Always loopback: local mode never listens on another interface. */
  readonly host: '127.0.0.1';
  /** API port; 0 picks a free one. @default 8787 */
  readonly port: number;
  /** Absolute path of the data folder (dynalite files, process state and logs). @default .infrakit */
  readonly dataDir: string;
  /** Seconds between sweeps (the safety net behind exit notifications). @default 5 */
  readonly sweepIntervalSeconds: number;
  /** Also register the EC2 provider against this endpoint (moto or any compatible one). */
  readonly ec2Endpoint?: string;
  /** Use this DynamoDB-compatible endpoint instead of the embedded dynalite. */
  readonly dynamodbEndpoint?: string;
  /** Commit the groups of `examples/` on start when they do not exist yet. @default true */
  readonly examples: boolean;
  /** DynamoDB table name. @default infrakit */
  readonly tableName: string;
  /** InfraKit's plugins folder: serve `infrakit` groups on the instance plugins found there. */
  readonly pluginsDir?: string;
  /** Seconds between looks of the plugin watch (`infrakit` groups' stand-in for events). @default 3 */
  readonly pluginWatchIntervalSeconds: number;
  /**
   * Serve InfraKit's Group protocol on a unix socket of this name in `pluginsDir`, so that
   * `infrakit local <name> …` drives this controller. Off unless asked; the flag alone means `group`.
   */
  readonly infrakitSocket?: string;
}

/** The socket name `--infrakit-socket` takes without a value: `infrakit local group …`. */
export const DEFAULT_INFRAKIT_SOCKET = 'group';

/** The flags, their environment variables and defaults, as the docs list them. */
export const LOCAL_FLAGS = [
  { flag: '--port <port>', env: 'INFRAKIT_PORT', default: '8787', doc: 'API port on 127.0.0.1' },
  { flag: '--data-dir <dir>', env: 'INFRAKIT_DATA_DIR', default: '.infrakit', doc: 'data folder' },
  {
    flag: '--sweep-interval <seconds>',
    env: 'INFRAKIT_SWEEP_INTERVAL',
    default: '5',
    doc: 'seconds between sweeps',
  },
  {
    flag: '--ec2-endpoint <url>',
    env: 'INFRAKIT_EC2_ENDPOINT',
    doc: 'also manage `ec2` groups against this endpoint',
  },
  {
    flag: '--dynamodb-endpoint <url>',
    env: 'INFRAKIT_DYNAMODB_ENDPOINT',
    doc: 'external DynamoDB-compatible endpoint',
  },
  { flag: '--table <name>', env: 'INFRAKIT_TABLE', default: 'infrakit', doc: 'DynamoDB table name' },
  {
    flag: '--plugins-dir <dir>',
    env: 'INFRAKIT_PLUGINS_DIR',
    doc: 'also manage `infrakit` groups on the InfraKit instance plugins in this folder',
  },
  {
    flag: '--plugin-watch-interval <seconds>',
    env: 'INFRAKIT_PLUGIN_WATCH_INTERVAL',
    default: '3',
    doc: 'seconds between looks for `infrakit` group members that changed (heals before the sweep)',
  },
  {
    flag: '--infrakit-socket [name]',
    env: 'INFRAKIT_SOCKET',
    preset: DEFAULT_INFRAKIT_SOCKET,
    doc: "serve InfraKit's Group protocol on this socket in --plugins-dir (infrakit local <name> …)",
  },
] as const;

function port(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

function seconds(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0.1 || n > 3600)
    throw new InvalidArgumentError('must be between 0.1 and 3600 seconds');
  return n;
}

/**
 * A plugin name as InfraKit's CLI addresses it: one file name in the plugins folder, no `/` (InfraKit
 * reads `name/object`), not a `.pid` or `.listen` file of its own.
 */
function socketName(text: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(text) || /\.(pid|listen)$/.test(text))
    throw new InvalidArgumentError(
      'must be a plugin name: letters, digits, ".", "_" or "-" (no "/"), at most 64, not ending in .pid or .listen',
    );
  return text;
}

function url(text: string): string {
  if (!URL.canParse(text) || !/^https?:$/.test(new URL(text).protocol)) {
    throw new InvalidArgumentError('must be an http(s) URL');
  }
  return text.replace(/\/$/, '');
}

const PARSERS: Record<string, (text: string) => string | number> = {
  '--port <port>': port,
  '--sweep-interval <seconds>': seconds,
  '--plugin-watch-interval <seconds>': seconds,
  '--ec2-endpoint <url>': url,
  '--dynamodb-endpoint <url>': url,
  '--infrakit-socket [name]': socketName,
};

/** The `npm start` command line (commander); `parseLocalOptions` turns its result into options. */
export function localCommand(): Command {
  const cmd = new Command('infrakit-local')
    .description('Run the InfraKit-serverless controller on this machine (loopback only).')
    .allowExcessArguments(false);
  for (const f of LOCAL_FLAGS) {
    const option = new Option(f.flag, f.doc).env(f.env);
    const parse = PARSERS[f.flag];
    if (parse) option.argParser(parse);
    if ('default' in f) option.default(parse ? parse(f.default) : f.default);
    if ('preset' in f) option.preset(f.preset);
    cmd.addOption(option);
  }
  cmd.option('--no-examples', 'do not commit the example groups on start (env INFRAKIT_EXAMPLES=false)');
  return cmd;
}

/** `INFRAKIT_EXAMPLES`, the environment's say on `--no-examples`; undefined when not set. */
function examplesFromEnv(value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(true|1|yes|on)$/i.test(value)) return true;
  if (/^(false|0|no|off)$/i.test(value)) return false;
  throw new Error(`INFRAKIT_EXAMPLES must be true or false, not ${JSON.stringify(value)}`);
}

/** Parses `argv` (user arguments only); commander prints usage errors and throws or exits. */
export function parseLocalOptions(
  argv: readonly string[],
  cwd = process.cwd(),
  env: Readonly<Record<string, string | undefined>> = process.env,
): LocalOptions {
  const cmd = localCommand();
  cmd.parse([...argv], { from: 'user' });
  // The flag wins; commander's own env support would read any value, even "false", as the flag.
  const examplesFlag = cmd.getOptionValueSource('examples') === 'cli';
  const o = cmd.opts<{
    port: number;
    dataDir: string;
    sweepInterval: number;
    ec2Endpoint?: string;
    dynamodbEndpoint?: string;
    table: string;
    examples: boolean;
    pluginsDir?: string;
    pluginWatchInterval: number;
    infrakitSocket?: string;
  }>();
  // The socket lives in the plugins folder, where InfraKit's CLI looks for plugins.
  if (o.infrakitSocket !== undefined && !o.pluginsDir)
    throw new Error(
      '--infrakit-socket (INFRAKIT_SOCKET) needs --plugins-dir: the socket goes in that folder',
    );
  return {
    host: '127.0.0.1',
    port: o.port,
    dataDir: resolve(cwd, o.dataDir),
    sweepIntervalSeconds: o.sweepInterval,
    ...(o.ec2Endpoint ? { ec2Endpoint: o.ec2Endpoint } : {}),
    ...(o.dynamodbEndpoint ? { dynamodbEndpoint: o.dynamodbEndpoint } : {}),
    examples: examplesFlag ? o.examples : (examplesFromEnv(env.INFRAKIT_EXAMPLES) ?? true),
    tableName: o.table,
    ...(o.pluginsDir ? { pluginsDir: resolve(cwd, o.pluginsDir) } : {}),
    pluginWatchIntervalSeconds: o.pluginWatchInterval,
    ...(o.infrakitSocket !== undefined ? { infrakitSocket: o.infrakitSocket } : {}),
  };
}
