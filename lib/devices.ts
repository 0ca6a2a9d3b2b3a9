import Bowser from 'bowser';
import { isIPv4, isIPv6 } from 'node:net';

/** How much of a User-Agent is read: the browser and the OS are named in its first few hundred characters. */
const USER_AGENT_READ = 512;
const DESCRIPTION_MAX = 64;

/** Only what a person would type into a name: letters, digits, spaces and a little punctuation. */
const tidy = (text: string) => text.replace(/[^\p{L}\p{N} ._()/+-]/gu, '').replace(/\s+/g, ' ').trim();

/**
 * A short description of the device a session started on, from its User-Agent: "Chrome on macOS",
 * "Safari on iOS", "Android" for an app that names only its OS. Not the raw string, which identifies a
 * device far more closely than a user needs to recognise it; undefined when nothing can be recognised.
 */
export function describeDevice(userAgent: string | undefined): string | undefined {
  if (!userAgent) return undefined;
  const parser = Bowser.getParser(userAgent.slice(0, USER_AGENT_READ));
  const browser = tidy(parser.getBrowserName() ?? '');
  const os = tidy(parser.getOSName() ?? '');
  const description = browser && os ? `${browser} on ${os}` : browser || os;
  return description ? description.slice(0, DESCRIPTION_MAX) : undefined;
}

/**
 * The network an address belongs to, coarsely: its /24 for IPv4, its /48 for IPv6. An IPv4 address in IPv6
 * clothing (mapped, or 6to4, whose /48 would hold the whole IPv4 address) counts as IPv4. Enough to tell
 * "home" from "somewhere else", not to find the house.
 */
export function coarseAddress(address: string | undefined): string | undefined {
  if (!address) return undefined;
  if (isIPv4(address)) return ipv4Network(address.split('.').map(Number));
  const groups = isIPv6(address) ? ipv6Groups(address.split('%')[0]!) : undefined;
  if (!groups) return undefined;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) return ipv4Network([g6 >> 8, g6 & 255, g7 >> 8]);
  if (g0 === 0x2002) return ipv4Network([g1 >> 8, g1 & 255, g2 >> 8]);
  // Canonical (RFC 5952): the zero groups at the end of the prefix fold into the "::".
  const prefix = [g0, g1, g2];
  while (prefix.length > 0 && prefix[prefix.length - 1] === 0) prefix.pop();
  return `${prefix.map((group) => group.toString(16)).join(':')}::/48`;
}

const ipv4Network = ([a, b, c]: number[]) => `${a}.${b}.${c}.0/24`;

/** The eight 16-bit groups of a valid IPv6 address (node:net has checked it), a dotted IPv4 tail included. */
function ipv6Groups(address: string): number[] | undefined {
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const text = tail
    ? `${address.slice(0, tail.index)}${((Number(tail[1]) << 8) | Number(tail[2])).toString(16)}:${((Number(tail[3]) << 8) | Number(tail[4])).toString(16)}`
    : address;
  const [head = '', rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const groups = rest === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.length === 8 ? groups.map((group) => Number.parseInt(group, 16)) : undefined;
}
