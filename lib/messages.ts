import type { Message, MessageKind } from './mail';

/** What a template needs to know; the rest of a `Message` (subject, text, html) is what it makes. */
export type MessageInput = Pick<Message, 'to' | 'sub' | 'username' | 'token' | 'link' | 'expiresIn'>;

interface Template {
  subject: (app: string) => string;
  intro: (app: string) => string;
  /** The words of the link. */
  action: string;
  /** Why the reader may ignore the message. */
  ignore: string;
}

/** Every message this service sends, in plain words: edit them here. Each string is escaped when it goes into HTML. */
const TEMPLATES: Record<MessageKind, Template> = {
  verify_email: {
    subject: (app) => `Verify your email address for ${app}`,
    intro: (app) => `Please confirm that this is the email address of your ${app} account.`,
    action: 'Verify my email address',
    ignore: 'If you did not add this address to an account, ignore this message: nothing will change.',
  },
  reset_password: {
    subject: (app) => `Reset your ${app} password`,
    intro: (app) => `Someone, hopefully you, asked to reset the password of your ${app} account.`,
    action: 'Choose a new password',
    ignore: 'If you did not ask for this, ignore this message: your password stays the same.',
  },
};

/** The kinds of message there are, from the table itself (the mailer's event guard checks against it). */
export const MESSAGE_KINDS = Object.keys(TEMPLATES) as MessageKind[];

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML content and quoted attribute values. */
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** "15 minutes", "24 hours": rounded down, so a message never promises more time than the token has. */
export function duration(seconds: number): string {
  const [amount, unit] =
    seconds < 120 ? [seconds, 'second'] : seconds < 2 * 3600 ? [Math.floor(seconds / 60), 'minute'] : seconds < 2 * 86400 ? [Math.floor(seconds / 3600), 'hour'] : [Math.floor(seconds / 86400), 'day'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

/** The message of a kind, in plain text and in simple HTML; the text carries the link and, on its own line, the token. */
export function composeMessage(kind: MessageKind, input: MessageInput, appName = 'jwt-auth'): Message {
  const template = TEMPLATES[kind];
  if (!Number.isInteger(input.expiresIn) || input.expiresIn <= 0) throw new RangeError('composeMessage: expiresIn must be a positive whole number of seconds');
  // Escaping makes an attribute inert, not a `javascript:` URL: only web links go out.
  if (!URL.canParse(input.link) || !/^https?:$/.test(new URL(input.link).protocol)) throw new RangeError('composeMessage: the link must be an http(s) URL');
  const subject = template.subject(appName);
  const paragraphs = {
    greeting: `Hello ${input.username},`,
    intro: template.intro(appName),
    paste: 'Or paste this code into the app:',
    expiry: `The link and the code expire in ${duration(input.expiresIn)}.`,
    ignore: template.ignore,
    signature: `— ${appName}`,
  };
  const text = [
    paragraphs.greeting,
    '',
    paragraphs.intro,
    '',
    `${template.action}:`,
    input.link,
    '',
    paragraphs.paste,
    input.token,
    '',
    paragraphs.expiry,
    '',
    paragraphs.ignore,
    '',
    paragraphs.signature,
    '',
  ].join('\n');
  const e = escapeHtml;
  const html = [
    '<!doctype html>',
    `<html lang="en"><head><meta charset="utf-8"><title>${e(subject)}</title></head>`,
    '<body style="font-family: sans-serif; line-height: 1.5">',
    `<p>${e(paragraphs.greeting)}</p>`,
    `<p>${e(paragraphs.intro)}</p>`,
    `<p><a href="${e(input.link)}">${e(template.action)}</a></p>`,
    `<p>If the link does not open, copy this address into your browser:<br>${e(input.link)}</p>`,
    `<p>${e(paragraphs.paste)}<br><code>${e(input.token)}</code></p>`,
    `<p>${e(paragraphs.expiry)}</p>`,
    `<p>${e(paragraphs.ignore)}</p>`,
    `<p>${e(paragraphs.signature)}</p>`,
    '</body></html>',
    '',
  ].join('\n');
  return { kind, ...pick(input), subject, text, html };
}

const pick = ({ to, sub, username, token, link, expiresIn }: MessageInput) => ({ to, sub, username, token, link, expiresIn });

/**
 * The link of a message: `baseUrl` (PASSWORD_RESET_URL, say) with `token` set as its `token` query parameter,
 * URL-encoded; the base's other parameters stay (re-serialized as a form would), and its fragment stays last.
 */
export function withToken(baseUrl: string, token: string): string {
  if (!URL.canParse(baseUrl)) throw new RangeError('withToken: the base must be an absolute URL');
  const url = new URL(baseUrl);
  url.searchParams.set('token', token);
  return url.toString();
}
