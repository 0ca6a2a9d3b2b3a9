import type { Message } from './mail';

/** What an .eml file needs beyond the message: who sends it, when, and its unique id. */
export interface EmlEnvelope {
  /** An address, or `Name <address>`, in ASCII. */
  from: string;
  date: Date;
  /** `<local@domain>`; the angle brackets are added when missing. */
  messageId: string;
}

const CRLF = '\r\n';
// Quoted-printable writes every "=" as "=3D" (a soft break ends its line), so no body line can hold "=_".
const BOUNDARY = '=_jwt-auth_alternative';

/** A header value, refused whole when a CR, an LF or another control character could end the header early. */
function headerValue(name: string, value: string): string {
  if (value === '' || /[\x00-\x08\x0a-\x1f\x7f]/.test(value)) throw new Error(`eml: the ${name} header must be set and hold no line break or control character`);
  return value;
}

/** RFC 2047: plain printable ASCII as it is, anything else as folded UTF-8 B encoded-words of at most 75 characters. */
function encodedWords(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value) && !value.includes('=?') && value.length <= 900) return value;
  const words = [''];
  // By code point, so that no word ends inside a UTF-8 sequence (RFC 2047 §5); 45 bytes are 60 base64 characters.
  for (const char of value) {
    if (Buffer.byteLength(words[words.length - 1] + char) > 45) words.push('');
    words[words.length - 1] += char;
  }
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word).toString('base64')}?=`).join(`${CRLF} `);
}

/** RFC 2045 §6.7: lines of at most 76 characters, soft breaks, "=" and trailing white space escaped, CRLF line ends. */
function quotedPrintable(text: string): string {
  return text.split(/\r\n|\r|\n/).map((line) => {
    const bytes = Buffer.from(line);
    const out = [''];
    bytes.forEach((byte, i) => {
      const plain = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && i < bytes.length - 1);
      const token = plain ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      if (out[out.length - 1]!.length + token.length > 75) out.push('');
      out[out.length - 1] += token;
    });
    return out.join(`=${CRLF}`);
  }).join(CRLF);
}

/** RFC 5322 §3.3, in UTC: "Thu, 03 Dec 2026 14:05:01 +0000". */
function rfc5322Date(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('eml: the date is invalid');
  return date.toUTCString().replace(/GMT$/, '+0000');
}

function messageIdHeader(messageId: string): string {
  const id = messageId.startsWith('<') ? messageId : `<${messageId}>`;
  if (!/^<[^<>\s@]+@[^<>\s@]+>$/.test(id)) throw new Error('eml: the Message-ID must look like <local@domain>');
  return id;
}

/** The message as an RFC 5322 / MIME file: multipart/alternative, text then HTML, UTF-8, quoted-printable, CRLF. */
export function toEml(message: Message, { from, date, messageId }: EmlEnvelope): string {
  const headers = [
    `From: ${headerValue('From', from)}`,
    `To: ${headerValue('To', message.to)}`,
    `Subject: ${encodedWords(headerValue('Subject', message.subject))}`,
    `Date: ${rfc5322Date(date)}`,
    `Message-ID: ${messageIdHeader(messageId)}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${BOUNDARY}"`,
  ].join(CRLF);
  if (headers.split(CRLF).some((line) => line.length > 998)) throw new Error('eml: a header line is longer than 998 characters');
  const part = (type: string, body: string) =>
    [`--${BOUNDARY}`, `Content-Type: ${type}; charset=utf-8`, 'Content-Transfer-Encoding: quoted-printable', '', quotedPrintable(body)];
  return [headers, '', ...part('text/plain', message.text), ...part('text/html', message.html), `--${BOUNDARY}--`, ''].join(CRLF);
}
