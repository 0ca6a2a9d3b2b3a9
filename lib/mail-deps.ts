import type { AccountMail } from './accounts';
import { loadMailConfig, type MailConfig } from './config';
import { lambdaQueue } from './mailer';
import { outboxQueue } from './outbox';

/**
 * The messages of a function that sends them (register, a change of address, a forgotten password), from
 * the environment: locally (`npm start` sets OUTBOX_DIR) the outbox folder, deployed the mailer function.
 */
export const mailFromEnvironment = {
  load: (env: Record<string, string | undefined> = process.env): MailConfig => loadMailConfig(env),
  queue: (config: MailConfig): AccountMail => ({
    config,
    queue: 'outboxDir' in config.queue ? outboxQueue(config.queue.outboxDir) : lambdaQueue(config.queue.mailerFunction),
  }),
};
