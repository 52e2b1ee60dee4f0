import type { IncomingHttpHeaders } from 'node:http';

/**
 * What the loopback servers (local mode's API and embedded dynalite, `infrakit console`'s proxy)
 * check before a request reaches their handler, so that a web page in the user's browser other
 * than their own console page cannot drive them:
 *
 * - **Host**: only `127.0.0.1:<port>`, `localhost:<port>` or `[::1]:<port>`. A DNS-rebinding page
 *   reaches the loopback port under its own name (`rebind.attacker.example:<port>`), and the
 *   browser sends that name: refused.
 * - **Origin / Sec-Fetch-Site**: a browser marks a cross-site request with its `Origin` (every
 *   non-GET request, and GET under CORS) and, in current browsers, `Sec-Fetch-Site: cross-site`
 *   or `same-site` (every request). Any such mark that is not our own origin is refused, for every
 *   method, so a page can neither write nor read. The CLI and other non-browser clients send
 *   neither.
 * - **Content-Type** (the API only): a write with a body must say JSON or YAML. The types a page
 *   may send cross-site without a CORS preflight (`text/plain`, forms) are refused, as is none.
 */

/** A request refused before its handler ran. */
export interface Refusal {
  readonly status: 403 | 415;
  readonly code: 'forbidden-host' | 'forbidden-origin' | 'unsupported-media-type';
  readonly message: string;
}

/** The names the loopback listener answers to; it listens on 127.0.0.1, the others name the same host. */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'] as const;

/** `Sec-Fetch-Site` values of requests not made by another site: the page's own origin, or the user. */
const OWN_FETCH_SITES = new Set(['same-origin', 'none']);

/** Methods that change something and may carry a body. */
const WRITE_METHODS = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);

/** Media types of a write's body: what `src/api/body.ts` parses (JSON, YAML), and `+json`/`+yaml`. */
const BODY_TYPES = new Set([
  'application/json',
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
]);
const STRUCTURED_SUFFIX = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+\+(json|yaml)$/;

/** `host:port` forms a request to this listener may name (the bare name too on port 80). */
function authorities(port: number): Set<string> {
  const names = new Set<string>(LOOPBACK_NAMES.map((n) => `${n}:${port}`));
  if (port === 80) for (const n of LOOPBACK_NAMES) names.add(n);
  return names;
}

/** True when `origin` is `http://` and one of our own authorities (the console page it serves). */
function ownOrigin(origin: string, allowed: ReadonlySet<string>): boolean {
  const lower = origin.trim().toLowerCase();
  return lower.startsWith('http://') && allowed.has(lower.slice('http://'.length));
}

/** A header value for a message: quoted, clipped. */
function shown(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

/**
 * Refuses a request not addressed to this loopback listener on `port` by name (`Host`), or marked
 * by a browser as coming from another site (`Origin`, `Sec-Fetch-Site`); undefined when it may go on.
 */
export function refuseForeign(headers: IncomingHttpHeaders, port: number): Refusal | undefined {
  const allowed = authorities(port);
  const host = headers.host?.trim().toLowerCase();
  if (host === undefined || !allowed.has(host)) {
    return {
      status: 403,
      code: 'forbidden-host',
      message:
        `Host ${host === undefined ? '(none)' : shown(host)} is not this controller: ` +
        `address it as 127.0.0.1:${port}, localhost:${port} or [::1]:${port}`,
    };
  }
  const origin = headers.origin;
  if (origin !== undefined && !ownOrigin(origin, allowed)) {
    return {
      status: 403,
      code: 'forbidden-origin',
      message: `requests from Origin ${shown(origin)} are refused: only the page this listener serves may call it`,
    };
  }
  const site = headers['sec-fetch-site'];
  if (site !== undefined && !OWN_FETCH_SITES.has(site.toLowerCase())) {
    return {
      status: 403,
      code: 'forbidden-origin',
      message: `requests from another site (Sec-Fetch-Site: ${shown(site)}) are refused`,
    };
  }
  return undefined;
}

/**
 * Refuses a write (`PUT`, `POST`, `PATCH`, `DELETE`) whose non-empty body is not declared JSON or
 * YAML; undefined when it may go on. Call it once the body has been read.
 */
export function refuseBodyType(
  method: string,
  contentType: string | undefined,
  bodyBytes: number,
): Refusal | undefined {
  if (bodyBytes === 0 || !WRITE_METHODS.has(method.toUpperCase())) return undefined;
  const mediaType = (contentType?.split(';')[0] ?? '').trim().toLowerCase();
  if (BODY_TYPES.has(mediaType) || STRUCTURED_SUFFIX.test(mediaType)) return undefined;
  return {
    status: 415,
    code: 'unsupported-media-type',
    message:
      mediaType === ''
        ? 'a request body needs a Content-Type: application/json or application/yaml'
        : `unsupported Content-Type ${mediaType}: send application/json or application/yaml`,
  };
}
