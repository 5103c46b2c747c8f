// Where a webhook may go. WEBHOOK_ALLOWED_HOSTS lists hosts: a host named exactly is trusted
// wherever it resolves (an operator may name an internal receiver, or 127.0.0.1 in a test); a host
// matched only by a wildcard (`*.example.com`, `*`) must resolve to public addresses only, so a
// tenant cannot turn the service on Redis, a metadata endpoint or anything else inside the network.
// Unset, the list is empty and webhooks are off: a submission naming one is a 400.
//
// The check runs twice: at submit (a clear 400) and on every attempt, inside the connection's own
// DNS lookup (guardedLookup), so the address checked is the address connected to: a name that
// resolved to a public address at submit and to 10.0.0.1 later is refused then (DNS rebinding).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { invalidField } from '../errors.js';

/** How a host is allowed: named exactly, or only through a wildcard (then public addresses only). */
export type HostMatch = 'exact' | 'wildcard';

export class RefusedDestinationError extends Error {}

/** A URL's host as the allow-list spells it: lower case, IPv6 without brackets. */
export const hostOf = (url: URL) => url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');

export function matchHost(host: string, allowed: readonly string[]): HostMatch | null {
  if (allowed.includes(host)) return 'exact';
  const wild = allowed.some((a) => a === '*' || (a.startsWith('*.') && host.endsWith(a.slice(1))));
  return wild ? 'wildcard' : null;
}

/** A unicast address on the internet: not loopback, private, link-local, CGNAT, multicast, reserved... */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/** Why `url` may not receive webhooks, or null if it may (as far as can be told before connecting). */
export function refusal(url: string, allowed: readonly string[]): string | null {
  if (allowed.length === 0) return 'cannot be used: webhooks are off on this server (WEBHOOK_ALLOWED_HOSTS is empty)';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http or https URL';
  if (parsed.username || parsed.password) return 'must not carry credentials';
  const host = hostOf(parsed);
  const match = matchHost(host, allowed);
  if (!match) return `names host ${host}, which is not in WEBHOOK_ALLOWED_HOSTS`;
  if (match === 'wildcard' && isIP(host) && !isPublicAddress(host)) return `names ${host}, which is not a public address`;
  return null;
}

/** Resolves `host` and refuses it (with why) if a wildcard-allowed name resolves to a non-public address. */
export async function resolvedRefusal(url: string, allowed: readonly string[]): Promise<string | null> {
  const why = refusal(url, allowed);
  if (why) return why;
  const host = hostOf(new URL(url));
  if (matchHost(host, allowed) === 'exact' || isIP(host)) return null;
  const addresses = await new Promise<LookupAddress[]>((resolve) => dnsLookup(host, { all: true }, (err, a) => resolve(err ? [] : a)));
  // A name that does not resolve now may later; every attempt checks again (guardedLookup).
  const bad = addresses.find((a) => !isPublicAddress(a.address));
  return bad ? `names ${host}, which resolves to ${bad.address}, not a public address` : null;
}

/** The `lookup` of one attempt's connection: resolves, and refuses non-public addresses when `publicOnly`. */
export function guardedLookup(publicOnly: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const bad = publicOnly ? addresses.find((a) => !isPublicAddress(a.address)) : undefined;
      if (bad) return callback(new RefusedDestinationError(`${hostname} resolves to ${bad.address}, not a public address`), '', 0);
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/** A 400 naming `field` unless `url` may receive webhooks (for the routes that take one). */
export async function checkWebhookUrl(url: string, allowed: readonly string[], field: string): Promise<void> {
  const why = await resolvedRefusal(url, allowed);
  if (why) throw invalidField(field, why);
}
