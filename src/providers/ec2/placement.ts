/**
 * Pure placement helpers: which subnet each new instance goes to, and whether a pet's logical ID is
 * a private IP inside one of the subnets.
 */

/** A subnet as placement needs it. */
export interface SubnetInfo {
  readonly id: string;
  readonly cidr?: string;
  readonly availabilityZone?: string;
}

/** Parses a dotted-quad IPv4 address to a 32-bit unsigned number; undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    // No leading zeros: `010` is octal to some tools and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** Whether `ip` lies inside `cidr` (`10.0.1.0/24`). */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const net = parseIpv4(base ?? '');
  const addr = parseIpv4(ip);
  if (net === undefined || addr === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32)
    return false;
  const size = 2 ** (32 - bits);
  return Math.floor(net / size) === Math.floor(addr / size);
}

/** The first subnet whose CIDR holds `ip`, or undefined. */
export function subnetForIp(subnets: readonly SubnetInfo[], ip: string): SubnetInfo | undefined {
  if (parseIpv4(ip) === undefined) return undefined;
  return subnets.find((s) => s.cidr !== undefined && cidrContains(s.cidr, ip));
}

/**
 * Spreads `count` new instances over `subnetIds` so that the group stays balanced: each new
 * instance goes to the subnet holding the fewest instances of the group so far (existing ones
 * counted in `existing`), ties broken by the order of `subnetIds`. Returns one subnet id per new
 * instance, in launch order. With one subnet per AZ this keeps the group balanced across AZs.
 *
 * @example spread(['a', 'b', 'c'], new Map([['a', 2]]), 4) // → ['b', 'c', 'b', 'c']
 */
export function spread(
  subnetIds: readonly string[],
  existing: ReadonlyMap<string, number>,
  count: number,
): string[] {
  if (subnetIds.length === 0) return [];
  const load = subnetIds.map((id) => existing.get(id) ?? 0);
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    let best = 0;
    for (let i = 1; i < load.length; i++) if ((load[i] ?? 0) < (load[best] ?? 0)) best = i;
    load[best] = (load[best] ?? 0) + 1;
    out.push(subnetIds[best] ?? '');
  }
  return out;
}
