/**
 * Messages to users (an address to verify, a password to reset), and how they leave.
 *
 * A handler never waits for a mail provider: it hands the message to a `MailQueue` and answers. Deployed,
 * the queue is an asynchronous invocation of the `mailer` function (functions/mailer.ts), which alone holds
 * the right to send (Amazon SES, or your own Lambda function); locally it is the outbox folder. A request
 * that has nothing to send (a reset asked for an account that does not exist) hands the queue `undefined`,
 * which costs the same call deployed, so the answer's time says nothing about the account.
 */

/** What a message is for: the template (lib/messages.ts) and the trigger a custom sender sees. */
export type MessageKind = 'verify_email' | 'reset_password';

export interface Message {
  kind: MessageKind;
  /** The address it goes to (normalized, lib/email.ts). */
  to: string;
  /** The account it is about. */
  sub: string;
  /** The name the user logs in with, as typed. */
  username: string;
  /** The one-time token the message carries, and the link built from it. */
  token: string;
  link: string;
  /** Seconds the token stays valid. */
  expiresIn: number;
  subject: string;
  text: string;
  html: string;
}

export interface MailQueue {
  /** Hands a message on to be sent (or `undefined`: nothing to send, at the same cost). */
  send(message: Message | undefined): Promise<void>;
}

/** What the mailer function receives from a queue: a message, or none. */
export interface MailerEvent {
  message: Message | null;
}
