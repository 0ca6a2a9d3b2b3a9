/**
 * Deployed delivery (lib/mailer.ts), which nobody can reach from here: the calls go to the AWS SDK's own
 * mock clients (aws-sdk-client-mock), the faults are the services' own errors.
 */
import { SAMPLE_TOKEN, sampleInput, sampleMessage } from '../support/messages';
import { InvokeCommand, LambdaClient, TooManyRequestsException as LambdaTooManyRequests, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { SendEmailCommand, SESv2Client, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { AuthError } from '../../lib/errors';
import type { Message } from '../../lib/mail';
import { customSenderDeliverer, deliver, delivererFor, lambdaQueue, parseMailerEvent, sesDeliverer } from '../../lib/mailer';
import { composeMessage, withToken } from '../../lib/messages';

const lambda = mockClient(LambdaClient);
const ses = mockClient(SESv2Client);
afterEach(() => {
  lambda.reset();
  ses.reset();
});

const TOKEN = SAMPLE_TOKEN;
const SENDER_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:acme-email-sender';
const message = (kind: Message['kind'] = 'reset_password'): Message => sampleMessage(kind);

/** A function's answer, as Lambda returns it (the SDK wraps it in a Uint8Array subclass). */
const answer = (body: string) => new TextEncoder().encode(body) as InvokeCommandOutput['Payload'];
const json = (value: unknown) => answer(JSON.stringify(value));
const payloadOf = (call: { args: [InvokeCommand] }) => JSON.parse(new TextDecoder().decode(call.args[0].input.Payload as Uint8Array)) as unknown;

describe('lambdaQueue', () => {
  it('invokes the mailer function asynchronously with { message }', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const sent = message();

    await lambdaQueue('jwt-auth-prod-mailer').send(sent);
    const calls = lambda.commandCalls(InvokeCommand);

    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ FunctionName: 'jwt-auth-prod-mailer', InvocationType: 'Event', Payload: expect.any(Uint8Array) });
    expect(payloadOf(calls[0]!)).toEqual({ message: sent });
  });

  it('makes the same call with { message: null } when there is nothing to send', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });

    await lambdaQueue('jwt-auth-prod-mailer').send(undefined);
    const calls = lambda.commandCalls(InvokeCommand);

    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ FunctionName: 'jwt-auth-prod-mailer', InvocationType: 'Event', Payload: expect.any(Uint8Array) });
    expect(payloadOf(calls[0]!)).toEqual({ message: null });
  });

  it('uses one client for every send of a container', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const first = lambdaQueue('mailer');
    const second = lambdaQueue('mailer');

    await first.send(message());
    await first.send(undefined);
    await second.send(undefined);
    const clients = lambda.commandCalls(InvokeCommand).map((call) => call.thisValue);

    expect(clients).toHaveLength(3);
    expect(new Set(clients).size).toBe(1);
  });

  it('turns a failed invocation (Lambda throttling) into the contract’s 503, the SDK error as its cause', async () => {
    const throttled = new LambdaTooManyRequests({ message: 'Rate exceeded', $metadata: {} });
    lambda.on(InvokeCommand).rejects(throttled);

    const sending = lambdaQueue('jwt-auth-prod-mailer').send(message());

    await expect(sending).rejects.toBeInstanceOf(AuthError);
    await expect(sending).rejects.toMatchObject({ code: 'temporarily_unavailable', status: 503, cause: throttled });
  });

  it('uses the client it is given', async () => {
    const client = new LambdaClient({ region: 'eu-west-1' });
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });

    await lambdaQueue('mailer', client).send(undefined);

    expect(lambda.commandCalls(InvokeCommand)[0]!.thisValue).toBe(client);
  });
});

describe('sesDeliverer', () => {
  it('sends the subject, the text and the HTML in UTF-8, from the configured address to the recipient', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
    const sent = message();

    await sesDeliverer('Acme <no-reply@example.com>')(sent);
    const calls = ses.commandCalls(SendEmailCommand);

    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      FromEmailAddress: 'Acme <no-reply@example.com>',
      Destination: { ToAddresses: ['ada@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: sent.subject, Charset: 'UTF-8' },
          Body: { Text: { Data: sent.text, Charset: 'UTF-8' }, Html: { Data: sent.html, Charset: 'UTF-8' } },
        },
      },
    });
  });

  it('lets SES throttling through as it is, so that Lambda tries the event again', async () => {
    ses.on(SendEmailCommand).rejects(new TooManyRequestsException({ message: 'Too many requests', $metadata: {} }));

    await expect(sesDeliverer('no-reply@example.com')(message())).rejects.toMatchObject({ name: 'TooManyRequestsException' });
  });
});

describe('customSenderDeliverer', () => {
  it('invokes your function synchronously with an event shaped like Cognito’s custom email sender trigger', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: json(null) });
    const sent = message('reset_password');

    await customSenderDeliverer(SENDER_ARN)(sent);
    const calls = lambda.commandCalls(InvokeCommand);

    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ FunctionName: SENDER_ARN, InvocationType: 'RequestResponse', Payload: expect.any(Uint8Array) });
    expect(payloadOf(calls[0]!)).toEqual({
      version: '1',
      triggerSource: 'CustomEmailSender_ForgotPassword',
      userName: 'ada',
      request: {
        type: 'customEmailSenderRequestV1',
        code: TOKEN,
        link: sent.link,
        userAttributes: { sub: '3f1c2a9e-5b7d-4e8f-9a01-23456789abcd', email: 'ada@example.com' },
      },
      message: { subject: sent.subject, text: sent.text, html: sent.html },
      response: {},
    });
  });

  it('names an address verification CustomEmailSender_VerifyUserAttribute', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200 });

    await customSenderDeliverer(SENDER_ARN)(message('verify_email'));

    expect(payloadOf(lambda.commandCalls(InvokeCommand)[0]!)).toMatchObject({ triggerSource: 'CustomEmailSender_VerifyUserAttribute' });
  });

  it('throws when your function fails (a FunctionError), naming the error type but not its message, which may quote the token', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: json({ errorType: 'ProviderRejected', errorMessage: `could not send code ${TOKEN}`, trace: [] }),
    });

    const delivering = customSenderDeliverer(SENDER_ARN)(message());

    await expect(delivering).rejects.toThrow(`The custom email sender ${SENDER_ARN} failed (Unhandled: ProviderRejected)`);
    await expect(delivering).rejects.not.toThrow(TOKEN);
  });

  it('throws when your function fails without a readable error payload', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: answer('not json') });

    await expect(customSenderDeliverer(SENDER_ARN)(message())).rejects.toThrow('(Unhandled: unknown error type)');
  });

  it('lets a failed invocation through as it is', async () => {
    lambda.on(InvokeCommand).rejects(new LambdaTooManyRequests({ message: 'Rate exceeded', $metadata: {} }));

    await expect(customSenderDeliverer(SENDER_ARN)(message())).rejects.toMatchObject({ name: 'TooManyRequestsException' });
  });
});

describe('delivererFor', () => {
  it('sends through SES from MAIL_FROM', async () => {
    ses.on(SendEmailCommand).resolves({});

    await delivererFor({ delivery: 'ses', from: 'no-reply@example.com' })(message());

    expect(ses.commandCalls(SendEmailCommand)[0]!.args[0].input.FromEmailAddress).toBe('no-reply@example.com');
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('sends through the custom sender function', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200 });

    await delivererFor({ delivery: 'lambda', senderFunctionArn: SENDER_ARN })(message());

    expect(lambda.commandCalls(InvokeCommand)[0]!.args[0].input).toMatchObject({ FunctionName: SENDER_ARN, InvocationType: 'RequestResponse' });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });
});

describe('deliver', () => {
  it('hands the message to the deliverer', async () => {
    const deliverer = jest.fn(async (_message: Message) => undefined);
    const sent = message();

    await deliver({ message: sent }, deliverer);

    expect(deliverer.mock.calls).toEqual([[sent]]);
  });

  it('does nothing when there is nothing to send', async () => {
    const deliverer = jest.fn(async (_message: Message) => undefined);

    await deliver({ message: null }, deliverer);

    expect(deliverer).not.toHaveBeenCalled();
  });

  it('lets the deliverer’s failure through', async () => {
    const failure = new Error('SES is down');

    await expect(deliver({ message: message() }, async () => Promise.reject(failure))).rejects.toBe(failure);
  });
});

describe('parseMailerEvent', () => {
  it('keeps the known fields of a message and drops the rest', () => {
    const sent = message();

    expect(parseMailerEvent({ message: { ...sent, extra: 'x' }, other: 1 })).toEqual({ message: sent });
  });

  it('reads { message: null } as nothing to send', () => {
    expect(parseMailerEvent({ message: null })).toEqual({ message: null });
  });
});
