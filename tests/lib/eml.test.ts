/**
 * The .eml builder (lib/eml.ts), read back by a real mail parser (mailparser): the headers, both parts,
 * non-ASCII text, the line rules of RFC 5322 and MIME, and header injection refused.
 */
import { SAMPLE_TOKEN, sampleInput, sampleMessage } from '../support/messages';
import { simpleParser, type AddressObject } from 'mailparser';
import { toEml, type EmlEnvelope } from '../../lib/eml';
import type { Message } from '../../lib/mail';
import { composeMessage, withToken } from '../../lib/messages';

const TOKEN = SAMPLE_TOKEN;
const DATE = new Date(Date.UTC(2026, 11, 3, 14, 5, 1, 123));
const envelope = (overrides: Partial<EmlEnvelope> = {}): EmlEnvelope => ({
  from: 'Acme <no-reply@example.com>',
  date: DATE,
  messageId: '<1796306701123.1a2b3c4d@outbox.example.com>',
  ...overrides,
});
const message = (overrides: Partial<Message> = {}): Message => sampleMessage('reset_password', overrides);

const addresses = (field: AddressObject | AddressObject[] | undefined) => [field ?? []].flat().flatMap((object) => object.value);
const lines = (eml: string) => eml.split('\r\n');

describe('toEml', () => {
  it('writes From, To, Subject, Date, Message-ID and MIME-Version that a mail parser reads back', async () => {
    const eml = toEml(message(), envelope());

    const parsed = await simpleParser(eml);

    expect(addresses(parsed.from)).toEqual([{ name: 'Acme', address: 'no-reply@example.com' }]);
    expect(addresses(parsed.to)).toEqual([{ name: '', address: 'ada@example.com' }]);
    expect(parsed.subject).toBe('Reset your jwt-auth password');
    expect(parsed.date?.toISOString()).toBe('2026-12-03T14:05:01.000Z');
    expect(parsed.messageId).toBe('<1796306701123.1a2b3c4d@outbox.example.com>');
    expect(parsed.headers.get('mime-version')).toBe('1.0');
  });

  it('writes the Date in RFC 5322 form, with a numeric zone', () => {
    const eml = toEml(message(), envelope());

    expect(lines(eml)).toContain('Date: Thu, 03 Dec 2026 14:05:01 +0000');
  });

  it('adds the angle brackets a bare Message-ID lacks', async () => {
    const eml = toEml(message(), envelope({ messageId: 'abc.123@example.com' }));

    expect(lines(eml)).toContain('Message-ID: <abc.123@example.com>');
  });

  it('is multipart/alternative with a UTF-8 text part, then a UTF-8 HTML part, that read back exactly', async () => {
    const sent = message();

    const eml = toEml(sent, envelope());
    const parsed = await simpleParser(eml);

    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(eml.match(/^Content-Type: .*$/gm)).toEqual([
      expect.stringMatching(/^Content-Type: multipart\/alternative; boundary=/),
      'Content-Type: text/plain; charset=utf-8',
      'Content-Type: text/html; charset=utf-8',
    ]);
    expect(parsed.text).toBe(sent.text);
    expect(parsed.html).toBe(sent.html);
    expect(parsed.text).toContain(sent.link);
    expect(parsed.text?.split('\n')).toContain(TOKEN);
    expect(parsed.html).toContain(`<code>${TOKEN}</code>`);
  });

  it('ends every line with CRLF, keeps every line within 998 characters and the bodies within 76', () => {
    const long = 'x'.repeat(2_000);

    const eml = toEml(message({ text: `${long}\n${'é'.repeat(700)}\n`, html: `<p>${long}</p>` }), envelope());
    const [head, ...body] = eml.split('\r\n\r\n');

    expect(eml.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(eml.endsWith('\r\n')).toBe(true);
    expect(lines(head!).every((line) => line.length <= 998)).toBe(true);
    expect(lines(body.join('\r\n\r\n')).every((line) => line.length <= 76)).toBe(true);
  });

  it('is pure ASCII when the addresses are, whatever the text, and reads back UTF-8 text exactly', async () => {
    const text = 'Bonjour Zoë ✓ — 密码 🔑 ?=?=\n';

    const eml = toEml(message({ subject: 'Réinitialisez votre mot de passe ✓ 密码 🔑', text, html: `<p>${text}</p>` }), envelope());
    const parsed = await simpleParser(eml);

    expect(eml).toMatch(/^[\x00-\x7f]*$/);
    expect(parsed.subject).toBe('Réinitialisez votre mot de passe ✓ 密码 🔑');
    expect(parsed.text).toBe(text);
    expect(parsed.html).toBe(`<p>${text}</p>`);
  });

  it('writes a non-ASCII subject as RFC 2047 encoded-words of at most 75 characters, folded, that read back', async () => {
    const subject = '🔑 Réinitialisation du mot de passe, ça expire bientôt ✓ '.repeat(8);

    const eml = toEml(message({ subject }), envelope());
    const parsed = await simpleParser(eml);
    const words = eml.match(/=\?UTF-8\?B\?[A-Za-z0-9+/=]*\?=/g) ?? [];

    expect(words.length).toBeGreaterThan(1);
    expect(words.every((word) => word.length <= 75)).toBe(true);
    expect(lines(eml).filter((line) => line.startsWith(' =?UTF-8?B?'))).toHaveLength(words.length - 1);
    expect(parsed.subject).toBe(subject);
  });

  it('encodes an ASCII subject that would read as an encoded-word, so that it reads back as written', async () => {
    const subject = 'Literal =?UTF-8?B?SGk=?= in a subject';

    const parsed = await simpleParser(toEml(message({ subject }), envelope()));

    expect(parsed.subject).toBe(subject);
  });

  it('keeps a line that looks like the boundary inside its part, and trailing spaces and "=" as they are', async () => {
    const raw = toEml(message(), envelope());
    const boundary = /boundary="([^"]+)"/.exec(raw)![1]!;
    const text = `before\n--${boundary}\n--${boundary}--\nsum = 1 + 1 = 2   \ntab\t\nafter\n`;

    const parsed = await simpleParser(toEml(message({ text }), envelope()));

    expect(parsed.text).toBe(text);
    expect(parsed.html).toBe(message().html);
  });

  describe('refuses header injection', () => {
    it.each([
      ['To', { to: 'ada@example.com\r\nBcc: eve@example.com' }],
      ['To (a bare LF)', { to: 'ada@example.com\nBcc: eve@example.com' }],
      ['To (a bare CR)', { to: 'ada@example.com\rBcc: eve@example.com' }],
      ['Subject', { subject: 'Reset\r\nBcc: eve@example.com' }],
      ['Subject (a bare LF, non-ASCII)', { subject: 'Réinitialiser\nBcc: eve@example.com' }],
      ['Subject (a NUL)', { subject: 'Reset\0' }],
    ])('in %s', (_header, overrides) => {
      expect(() => toEml(message(overrides), envelope())).toThrow(/header must be set and hold no line break/);
    });

    it('in From', () => {
      expect(() => toEml(message(), envelope({ from: 'no-reply@example.com\r\nBcc: eve@example.com' }))).toThrow(/From header/);
    });

    it('in Message-ID', () => {
      expect(() => toEml(message(), envelope({ messageId: '<a@b>\r\nBcc: eve@example.com' }))).toThrow(/Message-ID/);
    });
  });

  it('refuses an empty To and an invalid date', () => {
    expect(() => toEml(message({ to: '' }), envelope())).toThrow(/To header/);
    expect(() => toEml(message(), envelope({ date: new Date(Number.NaN) }))).toThrow(/date/);
  });
});
