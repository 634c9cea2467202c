import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * Destinations a build or a clone must never reach: the host itself, the networks the platform and its
 * cloud live in, and the instance metadata service. Everything else (the outside world) stays reachable.
 */
export const forbiddenIpv4Ranges: readonly string[] = Object.freeze([
  '0.0.0.0/8', // "this network"; 0.0.0.0 connects to the local host on Linux
  '10.0.0.0/8',
  '100.64.0.0/10', // carrier-grade NAT, also used by some cluster networks (and the EKS pod CIDR option)
  '127.0.0.0/8',
  '169.254.0.0/16', // link-local, including 169.254.169.254 (EC2/ECS/GCP/Azure metadata)
  '172.16.0.0/12',
  '192.0.0.0/24', // IETF protocol assignments (includes 192.0.0.192, a metadata-like address on some clouds)
  '192.168.0.0/16',
  '198.18.0.0/15', // benchmarking; used by some VPN and cluster set-ups as internal space
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, and 255.255.255.255
]);

export const forbiddenIpv6Ranges: readonly string[] = Object.freeze([
  '::/128',
  '::1/128',
  // IPv4-mapped addresses (::ffff:a.b.c.d) need no entry: BlockList matches them against the IPv4 rules.
  'fc00::/7', // unique local (includes the EC2 IPv6 metadata address fd00:ec2::254)
  'fe80::/10',
  'ff00::/8',
]);

export interface AddressPolicy {
  /** Whether a connection to this literal address is allowed. */
  allows(address: string): boolean;
  /** CIDRs the operator made reachable although they are in a forbidden range (a proxy, a mirror, a Git server). */
  readonly allowed: readonly string[];
}

function addCidr(list: BlockList, cidr: string): void {
  const [address, bits] = cidr.split('/');
  const family = isIP(address ?? '');
  if (!address || family === 0) throw new Error(`not an IP address: ${cidr}`);
  const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
    throw new Error(`bad prefix length: ${cidr}`);
  }
  list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Parses an operator's comma-separated allow list of addresses or CIDRs (`10.20.0.5, 172.31.0.0/16`).
 * Throws with the offending entry so configuration can report it.
 */
export function parseAllowedCidrs(text: string): string[] {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const probe = new BlockList();
  for (const entry of entries) addCidr(probe, entry);
  return entries.map((e) => (e.includes('/') ? e : `${e}/${isIP(e) === 4 ? 32 : 128}`));
}

/** The policy builds and clones follow: forbidden ranges, minus what the operator allowed. */
export function createAddressPolicy(allowed: readonly string[] = []): AddressPolicy {
  const forbidden = new BlockList();
  for (const cidr of forbiddenIpv4Ranges) addCidr(forbidden, cidr);
  for (const cidr of forbiddenIpv6Ranges) addCidr(forbidden, cidr);
  const exceptions = new BlockList();
  for (const cidr of allowed) addCidr(exceptions, cidr);
  const family = (a: string) => (isIP(a) === 6 ? 'ipv6' : 'ipv4');
  const allows = (address: string): boolean => {
    if (isIP(address) === 0) return false;
    if (exceptions.check(address, family(address))) return true;
    return !forbidden.check(address, family(address));
  };
  return { allows, allowed: Object.freeze([...allowed]) };
}

/** The host's own addresses (any interface): a sandbox must not reach the host through them either. */
export function readHostAddresses(): string[] {
  const addresses = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) addresses.add(entry.address.replace(/%.*$/, ''));
  }
  return [...addresses];
}

export type HostLookup = (host: string) => Promise<string[]>;

export const lookupAllAddresses: HostLookup = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * Resolves a host name and says whether every address it resolves to is allowed. A name with one
 * forbidden address is refused as a whole: the resolver may hand out any of them on the next lookup.
 */
export async function checkHostAllowed(
  host: string,
  policy: AddressPolicy,
  lookup: HostLookup = lookupAllAddresses,
): Promise<{ allowed: true; addresses: string[] } | { allowed: false; reason: string; addresses: string[] }> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  if (isIP(bare) !== 0) addresses = [bare];
  else {
    try {
      addresses = await lookup(bare);
    } catch (err) {
      return {
        allowed: false,
        reason: `does not resolve (${(err as NodeJS.ErrnoException).code ?? 'lookup failed'})`,
        addresses: [],
      };
    }
  }
  if (addresses.length === 0) return { allowed: false, reason: 'does not resolve', addresses };
  const refused = addresses.filter((a) => !policy.allows(a));
  if (refused.length > 0) {
    return {
      allowed: false,
      reason: `resolves to a loopback, link-local or private address (${refused.join(', ')})`,
      addresses,
    };
  }
  return { allowed: true, addresses };
}
