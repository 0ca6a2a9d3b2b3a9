import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { temporarilyUnavailable } from './errors';
import { count } from './metrics';
import type { MailerEvent, MailQueue, Message, MessageKind } from './mail';
import type { MailerConfig } from './mailer-config';
import { MESSAGE_KINDS } from './messages';

/** Hands one message to whatever sends it (SES, your function); rejects when it was not sent. */
export type Deliverer = (message: Message) => Promise<void>;

// One client of each kind per container, built on first use: none for a container that never sends. Plain
// functions, not module-level calls, so that a bundle that queues only keeps no SES client (tree shaking).
let queueClient: LambdaClient | undefined;
let senderClient: LambdaClient | undefined;
let sesClient: SESv2Client | undefined;
/** Bounded like the DynamoDB client (lib/dynamo.ts): the queue is on a request's path. */
const defaultQueueClient = () =>
  (queueClient ??= new LambdaClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 500, requestTimeout: 1500 } }));
const defaultSenderClient = () => (senderClient ??= new LambdaClient({}));
const defaultSesClient = () => (sesClient ??= new SESv2Client({}));

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/**
 * The deployed queue: an asynchronous invocation of the mailer function, which answers as soon as Lambda
 * has queued the event. `undefined` is sent too, as `{ message: null }`, so that a request with nothing to
 * send makes the same call. A failed call is the contract's 503, as a DynamoDB fault is.
 */
export function lambdaQueue(functionName: string, client?: LambdaClient): MailQueue {
  const lambda = client ? () => client : defaultQueueClient;
  return {
    async send(message) {
      const event: MailerEvent = { message: message ?? null };
      try {
        await lambda().send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: json(event) }));
      } catch (error) {
        count('MailQueueUnavailable');
        throw temporarilyUnavailable(error);
      }
    },
  };
}

/** Sends through Amazon SES v2 from `from`, a verified identity; SES's errors (throttling) propagate as they are. */
export function sesDeliverer(from: string, client?: SESv2Client): Deliverer {
  const ses = client ? () => client : defaultSesClient;
  return async (message) => {
    const utf8 = (Data: string) => ({ Data, Charset: 'UTF-8' });
    await ses().send(
      new SendEmailCommand({
        FromEmailAddress: from,
        Destination: { ToAddresses: [message.to] },
        Content: { Simple: { Subject: utf8(message.subject), Body: { Text: utf8(message.text), Html: utf8(message.html) } } },
      }),
    );
  };
}

/** The Cognito trigger source a custom sender sees for each kind of message. */
export const CUSTOM_SENDER_TRIGGER_SOURCES: Record<MessageKind, string> = {
  verify_email: 'CustomEmailSender_VerifyUserAttribute',
  reset_password: 'CustomEmailSender_ForgotPassword',
};

/**
 * What your function receives: the shape of Amazon Cognito's custom email sender trigger (version 1,
 * `customEmailSenderRequestV1`), so that a function written for a user pool needs few changes, plus the
 * link and the composed message.
 */
export interface CustomSenderEvent {
  version: '1';
  triggerSource: string;
  userName: string;
  request: {
    type: 'customEmailSenderRequestV1';
    /**
     * The one-time token. Unlike Cognito's, it is not encrypted with a KMS key: it travels in plain text,
     * from one function of the account to another, inside the account's own trust boundary.
     */
    code: string;
    link: string;
    userAttributes: { sub: string; email: string };
  };
  message: { subject: string; text: string; html: string };
  response: Record<string, never>;
}

/** The event your function receives for a message. */
export function customSenderEvent(message: Message): CustomSenderEvent {
  return {
    version: '1',
    triggerSource: CUSTOM_SENDER_TRIGGER_SOURCES[message.kind],
    userName: message.username,
    request: {
      type: 'customEmailSenderRequestV1',
      code: message.token,
      link: message.link,
      userAttributes: { sub: message.sub, email: message.to },
    },
    message: { subject: message.subject, text: message.text, html: message.html },
    response: {},
  };
}

/**
 * Sends through your own Lambda function, invoked synchronously with a `CustomSenderEvent`: it has sent
 * the message when it returns, and its failure (a FunctionError) is this call's failure.
 */
export function customSenderDeliverer(functionArn: string, client?: LambdaClient): Deliverer {
  const lambda = client ? () => client : defaultSenderClient;
  return async (message) => {
    const answer = await lambda().send(new InvokeCommand({ FunctionName: functionArn, InvocationType: 'RequestResponse', Payload: json(customSenderEvent(message)) }));
    if (answer.FunctionError) {
      // Only the error's type: its message might quote the event, token included. The function's own log has it all.
      throw new Error(`The custom email sender ${functionArn} failed (${answer.FunctionError}: ${errorType(answer.Payload)})`);
    }
  };
}

function errorType(payload: Uint8Array | undefined): string {
  try {
    const type = (JSON.parse(new TextDecoder().decode(payload)) as { errorType?: unknown }).errorType;
    return typeof type === 'string' && /^[\w.:-]{1,100}$/.test(type) ? type : 'unknown error type';
  } catch {
    return 'unknown error type';
  }
}

/** The deliverer the mailer function's configuration names. */
export function delivererFor(config: MailerConfig): Deliverer {
  return config.delivery === 'ses' ? sesDeliverer(config.from) : customSenderDeliverer(config.senderFunctionArn);
}

/** Delivers the event's message, if it has one. */
export async function deliver(event: MailerEvent, deliverer: Deliverer): Promise<void> {
  if (event.message !== null) await deliverer(event.message);
}

const STRING_FIELDS = ['to', 'sub', 'username', 'token', 'link', 'subject', 'text', 'html'] as const;

/**
 * The mailer's event, checked: a `MailerEvent` or a TypeError that names the field at fault, never its
 * value (which may be the token).
 */
export function parseMailerEvent(unverifiedEvent: unknown): MailerEvent {
  const refuse = (problem: string) => new TypeError(`The mailer's event is malformed: ${problem}`);
  if (typeof unverifiedEvent !== 'object' || unverifiedEvent === null || Array.isArray(unverifiedEvent)) throw refuse('it must be an object { message }');
  if (!('message' in unverifiedEvent)) throw refuse('it has no "message" (null when there is nothing to send)');
  const unverifiedMessage = unverifiedEvent.message;
  if (unverifiedMessage === null) return { message: null };
  if (typeof unverifiedMessage !== 'object' || Array.isArray(unverifiedMessage)) throw refuse('"message" must be an object or null');
  const fields = unverifiedMessage as Record<string, unknown>;
  if (!MESSAGE_KINDS.includes(fields.kind as MessageKind)) throw refuse(`"message.kind" must be one of ${MESSAGE_KINDS.join(', ')}`);
  for (const name of STRING_FIELDS) {
    if (typeof fields[name] !== 'string' || fields[name] === '') throw refuse(`"message.${name}" must be a non-empty string`);
  }
  const expiresIn = fields.expiresIn;
  if (typeof expiresIn !== 'number' || !Number.isInteger(expiresIn) || expiresIn <= 0) throw refuse('"message.expiresIn" must be a positive whole number of seconds');
  // Only the known fields go on: anything else in the event is dropped.
  const strings = Object.fromEntries(STRING_FIELDS.map((name) => [name, fields[name]])) as Record<(typeof STRING_FIELDS)[number], string>;
  return { message: { kind: fields.kind as MessageKind, ...strings, expiresIn } };
}
