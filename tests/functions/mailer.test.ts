/**
 * The mailer function (functions/mailer.ts): a well-formed event is delivered and logged without its
 * secrets, a malformed one is refused naming the field (never its value), and a failure throws so that
 * Lambda tries again. SES and the custom sender are the AWS SDK's mock clients.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { MessageRejected, SendEmailCommand, SESv2Client, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { makeMailerHandler } from '../../functions/mailer';
import type { MailerEvent, Message } from '../../lib/mail';
import { delivererFor } from '../../lib/mailer';
import { loadMailerConfig } from '../../lib/mailer-config';
import fixture from '../fixtures/mailer-event.json';
import { captureOutput } from '../support/logs';

const ses = mockClient(SESv2Client);
const lambda = mockClient(LambdaClient);

/** A fresh copy of the fixture, so that no test sees another's changes. */
const mailerEvent = () => structuredClone(fixture) as MailerEvent;
const sent = () => mailerEvent().message!;

const output = captureOutput();
const consoleLines = () => output.lines();

afterEach(() => {
  ses.reset();
  lambda.reset();
});

/** The handler as deployed with SES, on the environment `env`. */
const sesHandler = (env = { MAIL_FROM: 'Acme <no-reply@example.com>' }) => makeMailerHandler(() => delivererFor(loadMailerConfig(env)));

it('delivers the message through SES and logs its kind and its account only, not the address', async () => {
  ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
  const message = sent();

  await sesHandler()(mailerEvent());
  const lines = consoleLines();

  expect(ses.commandCalls(SendEmailCommand).map((call) => call.args[0].input)).toEqual([
    expect.objectContaining({ FromEmailAddress: 'Acme <no-reply@example.com>', Destination: { ToAddresses: ['ada@example.com'] } }),
  ]);
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'INFO', message: 'message sent', kind: 'reset_password', sub: message.sub });
  expect(lines[0]).not.toContain('ada@example.com');
  for (const line of lines) {
    expect(line).not.toContain(message.token);
    expect(line).not.toContain(message.link);
    expect(line).not.toContain(message.text.split('\n')[0]!);
  }
});

it('delivers through the custom sender function with MAIL_DELIVERY=lambda', async () => {
  lambda.on(InvokeCommand).resolves({ StatusCode: 200 });
  const env = { MAIL_DELIVERY: 'lambda', MAIL_SENDER_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:acme-email-sender' };

  await makeMailerHandler(() => delivererFor(loadMailerConfig(env)))(mailerEvent());

  expect(lambda.commandCalls(InvokeCommand).map((call) => call.args[0].input)).toEqual([
    expect.objectContaining({ FunctionName: env.MAIL_SENDER_FUNCTION_ARN, InvocationType: 'RequestResponse' }),
  ]);
  expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
});

it('does nothing, and logs nothing, for { message: null }', async () => {
  const deliverer = jest.fn<Promise<void>, [Message]>(async () => undefined);

  await makeMailerHandler(() => deliverer)({ message: null });

  expect(deliverer).not.toHaveBeenCalled();
  expect(consoleLines()).toEqual([]);
});

it('throws on SES throttling, so that Lambda tries the event again, and logs no success', async () => {
  ses.on(SendEmailCommand).rejects(new TooManyRequestsException({ message: 'Too many requests', $metadata: {} }));

  await expect(sesHandler()(mailerEvent())).rejects.toMatchObject({ name: 'DeliveryError', senderError: 'TooManyRequestsException' });
  expect(output.logs()).toEqual([
    expect.objectContaining({ level: 'WARN', message: 'message not sent', kind: 'reset_password', error: expect.objectContaining({ name: 'DeliveryError', message: expect.stringContaining('TooManyRequestsException') }) }),
  ]);
});

it('keeps what a sender says about the recipient out of the logs and out of what it throws', async () => {
  const message = sent();
  ses.on(SendEmailCommand).rejects(new MessageRejected({ message: `Email address is not verified. The following identities failed the check: ${message.to}`, $metadata: {} }));

  const thrown = await sesHandler()(mailerEvent()).then(() => undefined, (error: Error) => error);

  expect(thrown).toMatchObject({ name: 'DeliveryError', senderError: 'MessageRejected' });
  expect(String(thrown?.message)).not.toContain(message.to);
  expect(output.lines().join('\n')).not.toContain(message.to);
});

describe('the deployed handler', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  /** functions/mailer.ts as a fresh container loads it, with SES mocked in that container's own module registry. */
  function coldStart(env: Record<string, string>) {
    Object.assign(process.env, env);
    let loaded: { handler: (event: unknown) => Promise<void>; ses: ReturnType<typeof mockClient> } | undefined;
    jest.isolateModules(() => {
      const sdk = require('@aws-sdk/client-sesv2') as typeof import('@aws-sdk/client-sesv2');
      const ses = (require('aws-sdk-client-mock') as typeof import('aws-sdk-client-mock')).mockClient(sdk.SESv2Client);
      ses.on(sdk.SendEmailCommand).resolves({ MessageId: 'ses-1' });
      loaded = { handler: (require('../../functions/mailer') as typeof import('../../functions/mailer')).handler, ses };
    });
    return loaded!;
  }

  it('reads its configuration once per container: a later change of MAIL_FROM is not seen', async () => {
    const container = coldStart({ AWS_LAMBDA_FUNCTION_NAME: 'jwt-auth-test-mailer', MAIL_DELIVERY: 'ses', MAIL_FROM: 'first@example.com' });

    await container.handler(mailerEvent());
    process.env.MAIL_FROM = 'second@example.com';
    await container.handler(mailerEvent());
    // The container's own SendEmailCommand class is not this file's: read every call it made.
    const inputs = container.ses.calls().map((call) => (call.args[0] as SendEmailCommand).input);

    expect(inputs.map((input) => input.FromEmailAddress)).toEqual(['first@example.com', 'first@example.com']);
  });

  it('fails its cold start in Lambda, naming the variable, when MAIL_FROM is missing', () => {
    delete process.env.MAIL_FROM;

    expect(() => coldStart({ AWS_LAMBDA_FUNCTION_NAME: 'jwt-auth-test-mailer', MAIL_DELIVERY: 'ses' })).toThrow(
      expect.objectContaining({ name: 'ConfigError', variable: 'MAIL_FROM' }),
    );
  });
});

describe('a malformed event is refused, naming the field and never the token', () => {
  const withMessage = (changes: Record<string, unknown>) => ({ message: { ...sent(), ...changes } });
  const cases: Array<[string, unknown, RegExp]> = [
    ['null', null, /must be an object/],
    ['a string', JSON.stringify(fixture), /must be an object/],
    ['an array', [fixture.message], /must be an object/],
    ['an object without "message"', { msg: fixture.message }, /no "message"/],
    ['a message that is a string', { message: 'reset_password' }, /"message" must be an object or null/],
    ['a message that is an array', { message: [] }, /"message" must be an object or null/],
    ['an unknown kind', withMessage({ kind: 'welcome' }), /"message.kind" must be one of verify_email, reset_password/],
    ['a missing token', withMessage({ token: undefined }), /"message.token" must be a non-empty string/],
    ['a token that is a number', withMessage({ token: 42 }), /"message.token" must be a non-empty string/],
    ['an empty address', withMessage({ to: '' }), /"message.to" must be a non-empty string/],
    ['no HTML', withMessage({ html: null }), /"message.html" must be a non-empty string/],
    ['an expiry in words', withMessage({ expiresIn: '900' }), /"message.expiresIn" must be a positive whole number/],
    ['a negative expiry', withMessage({ expiresIn: -1 }), /"message.expiresIn" must be a positive whole number/],
  ];

  it.each(cases)('%s', async (_case, event, problem) => {
    const deliverer = jest.fn<Promise<void>, [Message]>(async () => undefined);

    const handling = makeMailerHandler(() => deliverer)(event);

    await expect(handling).rejects.toThrow(TypeError);
    await expect(handling).rejects.toThrow(problem);
    await expect(handling).rejects.not.toThrow(fixture.message.token);
    expect(deliverer).not.toHaveBeenCalled();
    expect(consoleLines()).toEqual([]);
  });
});
