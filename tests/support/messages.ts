import type { Message, MessageKind } from '../../lib/mail';
import { composeMessage, withToken, type MessageInput } from '../../lib/messages';

/** A token of the right spirit for the message tests (what a template does with it, not its format). */
export const SAMPLE_TOKEN = 'rst_Xk9vQ2mN7pL4wR8tY1uZ3aB6cD0eF5gH';

/** What a template is given, for Ada's account. */
export const sampleInput = (overrides: Partial<MessageInput> = {}): MessageInput => ({
  to: 'ada@example.com',
  sub: '3f1c2a9e-5b7d-4e8f-9a01-23456789abcd',
  username: 'ada',
  token: SAMPLE_TOKEN,
  link: withToken('https://app.example.com/reset', SAMPLE_TOKEN),
  expiresIn: 900,
  ...overrides,
});

/** A composed message of `kind`, with any field replaced. */
export const sampleMessage = (kind: MessageKind = 'reset_password', overrides: Partial<Message> = {}): Message => ({
  ...composeMessage(kind, sampleInput()),
  ...overrides,
});
