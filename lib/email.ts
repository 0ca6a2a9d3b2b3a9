import { domainToASCII } from 'node:url';
import { AuthError } from './errors';

/** RFC 5321 §4.5.3.1: 64 octets of local part, 254 of path (255 less the angle brackets' room). */
export const EMAIL_MAX_LENGTH = 254;
const LOCAL_MAX_LENGTH = 64;

/** RFC 5322 §3.2.3 atext, in dot-atom form: no quoted local parts, no comments, no IP literals. */
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

const invalid = (field: string, why: string) => new AuthError('invalid_request', `"${field}" ${why}.`);

/**
 * The address as it is stored, compared and sent to: trimmed, lower case (every large provider treats
 * local parts case-insensitively; two accounts must not hold `Ada@x` and `ada@x`), the domain in its ASCII
 * (punycode) form. Refused with 400 `invalid_request`: anything but a dot-atom local part of ASCII (no
 * quoted strings, no SMTPUTF8 local parts), a domain of fewer than two labels or with an all-digit top
 * level (no IP literals), and anything longer than RFC 5321 allows.
 */
export function normalizeEmail(value: unknown, field = 'email'): string {
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  if (value.length > EMAIL_MAX_LENGTH * 4) throw invalid(field, 'is too long');
  const trimmed = value.trim().normalize('NFC');
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) throw invalid(field, 'must be an address like name@example.com');
  const local = trimmed.slice(0, at).toLowerCase();
  const domain = domainToASCII(trimmed.slice(at + 1).toLowerCase());
  if (local.length > LOCAL_MAX_LENGTH || !LOCAL_PART.test(local)) throw invalid(field, 'has a local part (before the @) that cannot be used');
  const labels = domain.split('.');
  if (domain === '' || labels.length < 2 || !labels.every((label) => LABEL.test(label)) || /^\d+$/.test(labels.at(-1)!)) {
    throw invalid(field, 'has a domain (after the @) that cannot be used');
  }
  const address = `${local}@${domain}`;
  if (address.length > EMAIL_MAX_LENGTH) throw invalid(field, 'is too long');
  return address;
}
