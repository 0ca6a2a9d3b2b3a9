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
 * The network an address belongs to, coarsely: its /24 for IPv4, its /48 for IPv6 (an IPv4 address in
 * IPv6 clothing counts as IPv4). Enough to tell "home" from "somewhere else", not to find the house.
 */
export function coarseAddress(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ipv4 = mapped ?? address;
  if (isIPv4(ipv4)) return `${ipv4.split('.').slice(0, 3).join('.')}.0/24`;
  if (!isIPv6(address)) return undefined;
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  // With "::", the groups it stands for are zeros: the first three groups are the left ones, then zeros.
  const groups = tail === undefined ? left : [...left, ...Array(8).fill('0')];
  const prefix = groups.slice(0, 3).map((group) => Number.parseInt(group, 16).toString(16));
  return `${prefix.join(':')}::/48`;
}
