import { onceLoaded, runningInLambda } from '../lib/config';
import { logger } from '../lib/log';
import { deliver, delivererFor, parseMailerEvent, type Deliverer } from '../lib/mailer';
import { loadMailerConfig } from '../lib/mailer-config';

/**
 * The mailer, invoked asynchronously by the queueing functions (lib/mailer.ts `lambdaQueue`): it delivers
 * the event's message, or does nothing when there is none. A failure throws, so Lambda tries the event again.
 */
export const makeMailerHandler = (deliverer: () => Deliverer) => async (event: unknown): Promise<void> => {
  const parsed = parseMailerEvent(event);
  await deliver(parsed, deliverer());
  const { message } = parsed;
  // The kind, the account and the address: never the token, the link or the body.
  // The account, not the address: what the logs keep about a person is their id.
  if (message) logger.info(`mailer: ${message.kind} for sub ${message.sub} sent`);
};

const deliverer = onceLoaded(() => delivererFor(loadMailerConfig()));
// In Lambda a bad setting fails the cold start itself, naming the variable.
if (runningInLambda()) deliverer();

export const handler = makeMailerHandler(deliverer);
