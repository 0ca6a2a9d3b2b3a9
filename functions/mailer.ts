import { onceLoaded, runningInLambda } from '../lib/config';
import type { Context } from 'aws-lambda';
import { logger, startInvocation } from '../lib/log';
import { deliver, delivererFor, parseMailerEvent, type Deliverer } from '../lib/mailer';
import { loadMailerConfig } from '../lib/mailer-config';

/**
 * The mailer, invoked asynchronously by the queueing functions (lib/mailer.ts `lambdaQueue`): it delivers
 * the event's message, or does nothing when there is none. A failure throws, so Lambda tries the event again.
 */
export const makeMailerHandler = (deliverer: () => Deliverer) => async (event: unknown, context?: Context): Promise<void> => {
  startInvocation(context);
  const parsed = parseMailerEvent(event);
  const { message } = parsed;
  try {
    await deliver(parsed, deliverer());
  } catch (error) {
    // A sender's error may name the recipient (SES's "not verified" names the address), and the Lambda
    // runtime logs what a handler throws: log and throw its name and code only, so Lambda still retries.
    const failure = new DeliveryError(error instanceof Error ? error.name : typeof error);
    logger.warn('message not sent', failure, { kind: message?.kind, sub: message?.sub });
    throw failure;
  }
  // The kind and the account: never the token, the link, the body, or the address (what the logs keep
  // about a person is their id).
  if (message) logger.info('message sent', { kind: message.kind, sub: message.sub });
};

/** What the mailer throws for a failed delivery: the sender's error by name, nothing it said. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(readonly senderError: string) {
    super(`The message was not delivered (${senderError}); Lambda will try again.`);
  }
}

const deliverer = onceLoaded(() => delivererFor(loadMailerConfig()));
// In Lambda a bad setting fails the cold start itself, naming the variable.
if (runningInLambda()) deliverer();

export const handler = makeMailerHandler(deliverer);
