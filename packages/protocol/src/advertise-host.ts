/**
 * Where a remote scheduler's children connect to: the tier listens on
 * `listenHostFor(advertise)` and tells its children `advertise`, which is the
 * `host` option (a name, an address, or a network interface such as `eth1`),
 * else this machine's host name.
 */
import os from 'node:os';

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** `host` option → the address children are told to connect to (an interface name becomes its IPv4 address). */
export function resolveAdvertiseHost(host: string | undefined): string {
  if (!host) return os.hostname();
  const addresses = os.networkInterfaces()[host];
  if (addresses && addresses.length > 0) {
    return (addresses.find((a) => a.family === 'IPv4') ?? addresses[0]!).address;
  }
  return host;
}

/** Loopback when the tier advertises loopback (nothing else can reach it), else every interface. */
export function listenHostFor(advertiseHost: string): string {
  return isLoopback(advertiseHost) ? '127.0.0.1' : '0.0.0.0';
}
