import { readEnv, type Env } from './config';
import { ConfigError } from './errors';

/** How the mailer function (functions/mailer.ts) delivers: through Amazon SES, or through your own Lambda function. */
export type MailerConfig =
  | { delivery: 'ses'; from: string }
  | { delivery: 'lambda'; senderFunctionArn: string };

const ADDRESS = String.raw`[^\s@<>",;()]+@[^\s@<>",;()]+\.[^\s@<>",;()]+`;
/** `no-reply@example.com` or `Example <no-reply@example.com>`: loosely, SES checks the rest (and the identity). */
const FROM = new RegExp(String.raw`^(?:${ADDRESS}|[^<>\x00-\x1f\x7f]*<${ADDRESS}>)$`);
/** A function's ARN, unqualified or with a version or alias: arn:aws:lambda:eu-west-1:123456789012:function:name[:qualifier]. */
const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::(?:\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;

/** MAIL_DELIVERY (`ses`, the default, or `lambda`), then MAIL_FROM for SES or MAIL_SENDER_FUNCTION_ARN for a Lambda function. */
export function loadMailerConfig(env: Env = process.env): MailerConfig {
  const delivery = readEnv.text(env, 'MAIL_DELIVERY', 'ses');
  if (delivery === 'ses') {
    const from = readEnv.text(env, 'MAIL_FROM');
    if (!FROM.test(from)) throw new ConfigError('MAIL_FROM', `must be an address such as no-reply@example.com or "Example <no-reply@example.com>", on one line, got "${from.replace(/[\x00-\x1f\x7f]/g, '?')}"`);
    return { delivery, from };
  }
  if (delivery === 'lambda') {
    const senderFunctionArn = readEnv.text(env, 'MAIL_SENDER_FUNCTION_ARN');
    if (!LAMBDA_FUNCTION_ARN.test(senderFunctionArn)) {
      throw new ConfigError('MAIL_SENDER_FUNCTION_ARN', `must be the ARN of a Lambda function (arn:aws:lambda:<region>:<account>:function:<name>), got "${senderFunctionArn}"`);
    }
    return { delivery, senderFunctionArn };
  }
  throw new ConfigError('MAIL_DELIVERY', `must be "ses" or "lambda", got "${delivery}"`);
}
