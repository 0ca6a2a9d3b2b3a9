/**
 * The templates (lib/messages.ts): what each message says, that the text carries the link and the token,
 * that nothing interpolated into the HTML can become markup, and how links are built.
 */
import { SAMPLE_TOKEN, sampleInput, sampleMessage } from '../support/messages';
import type { MessageKind } from '../../lib/mail';
import { composeMessage, duration, escapeHtml, MESSAGE_KINDS, withToken, type MessageInput } from '../../lib/messages';

const TOKEN = SAMPLE_TOKEN;
const input = sampleInput;

/** The HTML with its markup removed and its entities decoded: what a reader sees. */
const visibleText = (html: string) =>
  html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(lt|gt|quot|#39|amp);/g, (_, name: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[name]!);

describe('composeMessage', () => {
  it.each(MESSAGE_KINDS)('%s: carries the kind and the input, and the text holds the link and, on a line of its own, the token', (kind) => {
    const message = composeMessage(kind, input());

    expect(message).toMatchObject({ kind, ...input() });
    expect(message.text).toContain(message.link);
    expect(message.text.split('\n')).toContain(TOKEN);
    expect(message.html).toContain(`<code>${TOKEN}</code>`);
    expect(message.html).toContain(`href="${escapeHtml(message.link)}"`);
  });

  it('verify_email: asks to verify the address, in the subject and the body', () => {
    const message = composeMessage('verify_email', input({ link: withToken('https://app.example.com/verify', TOKEN) }), 'Acme');

    expect(message.subject).toBe('Verify your email address for Acme');
    expect(message.text).toContain('Verify my email address:\nhttps://app.example.com/verify?token=' + TOKEN);
    expect(message.text).toContain('Hello ada,');
  });

  it('reset_password: says when the link expires, in minutes, and to ignore a request you did not make', () => {
    const message = composeMessage('reset_password', input({ expiresIn: 900 }), 'Acme');

    expect(message.subject).toBe('Reset your Acme password');
    expect(message.text).toContain('expire in 15 minutes');
    expect(message.text).toMatch(/If you did not ask for this, ignore this message/);
    expect(visibleText(message.html)).toContain('expire in 15 minutes');
    expect(visibleText(message.html)).toContain('If you did not ask for this, ignore this message');
  });

  it.each<MessageKind>(MESSAGE_KINDS)('%s: a hostile username (markup, quotes, an ampersand) is escaped in the HTML and kept as typed in the text', (kind) => {
    const hostile = `<script>alert("x")</script><img src=x onerror='alert(1)'>&amp;`;

    const message = composeMessage(kind, input({ username: hostile }));

    expect(message.html).not.toMatch(/<script|<img|onerror='|alert\("/);
    expect(message.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;&amp;amp;');
    expect(visibleText(message.html)).toContain(`Hello ${hostile},`);
    expect(message.text).toContain(`Hello ${hostile},`);
  });

  it('escapes a hostile application name in the HTML (title, body and signature)', () => {
    const message = composeMessage('reset_password', input(), `"><b>Acme</b>`);

    expect(message.html).not.toContain('<b>');
    expect(message.html).toContain('<title>Reset your &quot;&gt;&lt;b&gt;Acme&lt;/b&gt; password</title>');
  });

  it('escapes the link inside the href, so that it reads back as the very link', () => {
    const link = 'https://app.example.com/reset?a=1&b=%22x%22&token=' + TOKEN;

    const { html } = composeMessage('reset_password', input({ link }));
    const href = /<a href="([^"]*)">/.exec(html)?.[1];

    expect(href).toBe('https://app.example.com/reset?a=1&amp;b=%22x%22&amp;token=' + TOKEN);
    expect(visibleText(href!)).toBe(link);
  });

  it.each(['javascript:alert(1)', 'data:text/html,<script>', 'not a url', '/relative?token=x'])('refuses a link that is not an http(s) URL: %s', (link) => {
    expect(() => composeMessage('verify_email', input({ link }))).toThrow(RangeError);
  });

  it.each([0, -60, 1.5, Number.NaN])('refuses an expiry that is not a positive whole number of seconds: %s', (expiresIn) => {
    expect(() => composeMessage('reset_password', input({ expiresIn }))).toThrow(/expiresIn/);
  });
});

describe('duration', () => {
  it.each([
    [1, '1 second'],
    [90, '90 seconds'],
    [120, '2 minutes'],
    [900, '15 minutes'],
    [959, '15 minutes'],
    [3600, '60 minutes'],
    [7200, '2 hours'],
    [86_400, '24 hours'],
    [172_800, '2 days'],
  ])('%s seconds read "%s", never more than the token has', (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });
});

describe('withToken', () => {
  it('adds the token as the token query parameter', () => {
    expect(withToken('https://app.example.com/reset', 'abc')).toBe('https://app.example.com/reset?token=abc');
  });

  it('keeps the existing query parameters and the fragment', () => {
    expect(withToken('https://app.example.com/account?lang=fr&next=%2Fhome#form', 'abc')).toBe('https://app.example.com/account?lang=fr&next=%2Fhome&token=abc#form');
  });

  it('URL-encodes the token, so that it reads back exactly', () => {
    const token = 'a+b/c=d&e f?#%';

    const link = withToken('https://app.example.com/reset?x=1', token);

    expect(link).not.toContain('a+b/c=d&e f');
    expect(new URL(link).searchParams.get('token')).toBe(token);
    expect(new URL(link).searchParams.get('x')).toBe('1');
  });

  it('replaces a token already in the base rather than adding a second one', () => {
    const link = withToken('https://app.example.com/reset?token=old', 'new');

    expect(new URL(link).searchParams.getAll('token')).toEqual(['new']);
  });

  it('refuses a base that is not an absolute URL', () => {
    expect(() => withToken('/reset', 'abc')).toThrow(RangeError);
  });
});
