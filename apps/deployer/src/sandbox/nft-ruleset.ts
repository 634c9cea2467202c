import { isIP } from 'node:net';
import { forbiddenIpv4Ranges } from './network-policy.ts';

/** slirp4netns' built-in DNS forwarder inside the sandbox network (its default 10.0.2.0/24 network). */
export const sandboxDnsAddress = '10.0.2.3';

export interface SandboxRulesetOptions {
  /** Operator exceptions to the forbidden ranges (IPv4 CIDRs; IPv6 has no route in the sandbox). */
  allowed: readonly string[];
  /** The host's own addresses: refused even when an operator exception covers them. */
  hostAddresses: readonly string[];
}

const set = (items: readonly string[]) => `{ ${items.join(', ')} }`;

/**
 * The nftables ruleset loaded into each sandbox's network namespace before any traffic can leave it.
 * Root inside a build is root of a user namespace that does not own this network namespace, so it cannot
 * change these rules. Order matters: own loopback, DNS to the forwarder, the host's own addresses (never),
 * operator exceptions, forbidden ranges, then IPv4 to the outside world; anything else (IPv6) is refused.
 * Every DNS query is redirected to the forwarder so a private resolver in /etc/resolv.conf still works.
 */
export function renderSandboxRuleset(options: SandboxRulesetOptions): string {
  const hostV4 = options.hostAddresses.filter((a) => isIP(a) === 4 && !a.startsWith('127.'));
  const allowedV4 = options.allowed.filter((c) => isIP(c.split('/')[0] ?? '') === 4);
  const reject = 'reject with icmpx type admin-prohibited';
  const lines = [
    'table inet ashapp_sandbox {',
    '  chain dns_redirect {',
    '    type nat hook output priority -100; policy accept;',
    `    meta nfproto ipv4 meta l4proto { tcp, udp } th dport 53 dnat ip to ${sandboxDnsAddress}`,
    '  }',
    '  chain egress {',
    '    type filter hook output priority 0; policy drop;',
    '    oif "lo" accept',
    `    ip daddr ${sandboxDnsAddress} meta l4proto { tcp, udp } th dport 53 accept`,
    ...(hostV4.length > 0 ? [`    ip daddr ${set(hostV4)} ${reject}`] : []),
    ...(allowedV4.length > 0 ? [`    ip daddr ${set(allowedV4)} accept`] : []),
    `    ip daddr ${set(forbiddenIpv4Ranges)} ${reject}`,
    '    meta nfproto ipv4 accept',
    `    ${reject}`,
    '  }',
    '}',
    '',
  ];
  return lines.join('\n');
}
