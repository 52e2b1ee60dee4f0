import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * How a spec names an InfraKit plugin object, and where that name leads.
 *
 * - `simulator/compute`: socket `simulator` in the plugins folder, object (`Type`) `compute`;
 *   `vanilla`: socket `vanilla`, the plugin's only object (`Type` empty). This is how InfraKit users
 *   write plugin names, and the plugins folder is InfraKit's (`$INFRAKIT_PLUGINS_DIR`, else
 *   `$INFRAKIT_HOME/plugins`, else `~/.infrakit/plugins`). A plugin listening on TCP leaves a
 *   `<name>.listen` file holding `tcp://host:port` there instead of a socket; it is followed too.
 * - `unix:///path/to/socket`: that socket; `#compute` at the end names the object.
 * - `http://host:port/path`, `https://…`: that URL; `#compute` names the object.
 * - `lambda:<function>`: an AWS Lambda function (its name, `name:alias`, or its ARN) invoked with the
 *   JSON-RPC request as the payload; `#compute` names the object.
 *
 * A deployed controller reaches no unix socket and no plugins folder: it names its plugins in its
 * configuration (`endpoints.ts`), each a `lambda:` or `https://` address, and specs use those names.
 */

/** A parsed plugin address; `type` is the object's name within the plugin (`""`: its only one). */
export type PluginAddress =
  | { readonly kind: 'name'; readonly text: string; readonly socket: string; readonly type: string }
  | { readonly kind: 'unix'; readonly text: string; readonly socketPath: string; readonly type: string }
  | { readonly kind: 'http'; readonly text: string; readonly url: string; readonly type: string }
  | { readonly kind: 'lambda'; readonly text: string; readonly functionName: string; readonly type: string };

/** How an HTTPS endpoint is authenticated and trusted (a configured plugin's, `endpoints.ts`). */
export interface HttpsAccess {
  /** Sign requests with SigV4 for this service (`execute-api`, `lambda` for function URLs). */
  readonly sigv4Service?: string | undefined;
  /** PEM certificates trusted for this endpoint in addition to the system's (a private CA). */
  readonly ca?: string | undefined;
}

/**
 * Where to send a JSON-RPC request: a unix socket (HTTP over it), an HTTP(S) URL, or a Lambda
 * function.
 */
export type PluginEndpoint =
  | { readonly kind: 'unix'; readonly socketPath: string }
  | ({ readonly kind: 'http'; readonly url: string } & HttpsAccess)
  | { readonly kind: 'lambda'; readonly functionName: string };

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const TYPE = /^[A-Za-z0-9._-]{0,128}$/;
/** A function name (`name`, `name:alias`) or ARN, as Lambda's `Invoke` takes it. */
const FUNCTION =
  /^(?:arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9$_-]{1,128})?$/;

/** `endpoint` as one readable string, for messages. */
export function endpointText(endpoint: PluginEndpoint): string {
  if (endpoint.kind === 'unix') return `unix://${endpoint.socketPath}`;
  return endpoint.kind === 'lambda' ? `lambda:${endpoint.functionName}` : endpoint.url;
}

/**
 * Parses a plugin address; throws `Error` with a readable reason when it is not one. Pure. The
 * three forms are in this module's comment.
 */
export function parsePluginAddress(text: string): PluginAddress {
  if (text.startsWith('unix:') || text.startsWith('http:') || text.startsWith('https:'))
    return parseUrl(text);
  if (text.startsWith('lambda:')) return parseLambda(text);
  const parts = text.split('/');
  const [socket, type, ...rest] = parts;
  if (
    socket === undefined ||
    !SEGMENT.test(socket) ||
    rest.length > 0 ||
    (type !== undefined && !SEGMENT.test(type))
  )
    throw new Error(
      'must be a plugin name (`vanilla`, `simulator/compute`: letters, digits, . _ -), a unix:///path, an http(s):// URL or lambda:<function>',
    );
  return { kind: 'name', text, socket, type: type ?? '' };
}

function parseLambda(text: string): PluginAddress {
  const [target = '', ...rest] = text.slice('lambda:'.length).split('#');
  const type = rest.join('#');
  if (!FUNCTION.test(target))
    throw new Error(
      'must name a Lambda function: lambda:<name>, lambda:<name>:<alias> or lambda:<function ARN>',
    );
  if (!TYPE.test(type)) throw new Error('the object name after # may only hold letters, digits, . _ -');
  return { kind: 'lambda', text, functionName: target, type };
}

function parseUrl(text: string): PluginAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('is not a valid URL');
  }
  const type = decodeURIComponent(url.hash.replace(/^#/, ''));
  if (!TYPE.test(type)) throw new Error('the object name after # may only hold letters, digits, . _ -');
  if (url.search) throw new Error('must not have a query string');
  if (url.username || url.password) throw new Error('must not carry credentials');
  url.hash = '';
  if (url.protocol === 'unix:') {
    if (url.host) throw new Error('unix addresses have no host: write unix:///absolute/path');
    const socketPath = decodeURIComponent(url.pathname);
    if (!socketPath.startsWith('/') || socketPath === '/' || socketPath.split('/').includes('..'))
      throw new Error('must name an absolute socket path: unix:///absolute/path');
    return { kind: 'unix', text, socketPath, type };
  }
  if (!url.hostname) throw new Error('must name a host');
  return { kind: 'http', text, url: url.toString(), type };
}

/** Where InfraKit keeps plugin sockets, as InfraKit finds it. */
export function defaultPluginsDir(
  env: Readonly<Record<string, string | undefined>> = process.env,
  home: string = homedir(),
): string {
  if (env.INFRAKIT_PLUGINS_DIR) return env.INFRAKIT_PLUGINS_DIR;
  if (env.INFRAKIT_HOME) return join(env.INFRAKIT_HOME, 'plugins');
  return join(home, '.infrakit', 'plugins');
}

/**
 * The endpoint `address` leads to now. A named plugin is one of `configured` (a deployed
 * controller's), or else looked up in `pluginsDir` on every call (a restarted plugin may move from a
 * socket to TCP); `undefined` when nothing bears its name.
 */
export async function resolveEndpoint(
  address: PluginAddress,
  pluginsDir: string | undefined,
  configured?: ReadonlyMap<string, PluginEndpoint>,
): Promise<PluginEndpoint | undefined> {
  if (address.kind === 'unix') return { kind: 'unix', socketPath: address.socketPath };
  if (address.kind === 'http') return { kind: 'http', url: address.url };
  if (address.kind === 'lambda') return { kind: 'lambda', functionName: address.functionName };
  const named = configured?.get(address.socket);
  if (named) return named;
  if (pluginsDir === undefined) return undefined;
  const socketPath = join(pluginsDir, address.socket);
  try {
    await stat(socketPath);
    return { kind: 'unix', socketPath };
  } catch {
    // No socket: perhaps the plugin listens on TCP and left a discovery file.
  }
  let listen: string;
  try {
    listen = (await readFile(`${socketPath}.listen`, 'utf8')).trim();
  } catch {
    return undefined;
  }
  const tcp = /^(?:tcp|http):\/\/([^/\s]+)\/?$/.exec(listen);
  return tcp ? { kind: 'http', url: `http://${tcp[1]}/` } : undefined;
}
