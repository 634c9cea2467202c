import { isIP } from 'node:net';

const dnsName = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i;

/**
 * The host name of a Host / X-Forwarded-Host value (`example.com:8080` → `example.com`, `[::1]:80` → `[::1]`),
 * or undefined when it is missing or not a plain host name or address: it ends up in a URL the page links to.
 */
export function readHostName(value: string | undefined): string | undefined {
  const text = value?.split(',')[0]?.trim();
  if (!text) return undefined;
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed) return isIP(bracketed[1]!) === 6 ? `[${bracketed[1]!.toLowerCase()}]` : undefined;
  const name = text.replace(/:\d{1,5}$/, '');
  if (isIP(name) === 4 || dnsName.test(name)) return name.toLowerCase();
  return undefined;
}

/**
 * The URL to show for an app the podman target published on this machine: the same port, under the host
 * the operator configured (DEPLOYER_PUBLIC_HOST) or else the one the user reached the gateway by, so a
 * browser elsewhere is not sent to its own 127.0.0.1.
 */
export function advertiseUrl(url: string, host: string | undefined): string {
  if (!host) return url;
  const parsed = new URL(url);
  parsed.hostname = host;
  return parsed.toString();
}

const loopback = /^(127\.\d+\.\d+\.\d+|\[::1\]|::1|localhost)$/i;

/** Whether an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  return loopback.test(host);
}
