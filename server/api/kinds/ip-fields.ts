// IP address fields as upstream validates the ones that have always taken
// Go's lenient parsing (Kubernetes 1.31: IsValidIP, IsValidIPv4Address,
// IsValidIPv6Address and ValidateNonSpecialIP): Endpoints' and
// EndpointSlices' addresses and Services' external IPs.
import { isLinkLocalMulticast, isLinkLocalUnicast, isLoopback, isUnspecified, parseIpSloppy } from '../../../common/ip-addresses.js';
import type { StatusCause } from '../status.js';
import { invalid, quote } from './field-errors.js';

/** IsValidIP's message. */
export const VALID_IP = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

/** IsValidIP. */
export function validateIP(value: string, path: string): StatusCause[] {
  return parseIpSloppy(value) === undefined ? [invalid(path, quote(value), VALID_IP)] : [];
}

/** IsValidIPv4Address: an IPv4-mapped IPv6 address counts as IPv4. */
export function validateIPv4(value: string, path: string): StatusCause[] {
  return parseIpSloppy(value)?.family === 4 ? [] : [invalid(path, quote(value), 'must be a valid IPv4 address')];
}

/** IsValidIPv6Address. */
export function validateIPv6(value: string, path: string): StatusCause[] {
  return parseIpSloppy(value)?.family === 6 ? [] : [invalid(path, quote(value), 'must be a valid IPv6 address')];
}

/**
 * ValidateNonSpecialIP: no unspecified, loopback, link-local or link-local
 * multicast address (nonsensical as an endpoint, or the node's own, such as
 * a metadata service). A value that is no IP gets its own, shorter, message.
 */
export function validateNonSpecialIP(value: string, path: string): StatusCause[] {
  const ip = parseIpSloppy(value);
  if (ip === undefined) return [invalid(path, quote(value), 'must be a valid IP address')];
  const causes: StatusCause[] = [];
  if (isUnspecified(ip)) causes.push(invalid(path, quote(value), `may not be unspecified (${value})`));
  if (isLoopback(ip)) causes.push(invalid(path, quote(value), 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  if (isLinkLocalUnicast(ip)) causes.push(invalid(path, quote(value), 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  if (isLinkLocalMulticast(ip)) causes.push(invalid(path, quote(value), 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  return causes;
}
