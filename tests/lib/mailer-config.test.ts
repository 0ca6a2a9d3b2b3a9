/** The mailer function's settings (lib/mailer-config.ts): each bad value fails naming its variable. */
import { ConfigError } from '../../lib/errors';
import { loadMailerConfig } from '../../lib/mailer-config';

const SENDER_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:acme-email-sender';

const expectConfigError = (env: Record<string, string | undefined>, variable: string) => {
  expect(() => loadMailerConfig(env)).toThrow(ConfigError);
  expect(() => loadMailerConfig(env)).toThrow(expect.objectContaining({ variable, message: expect.stringContaining(variable) }));
};

describe('loadMailerConfig', () => {
  it('delivers through SES by default, from MAIL_FROM', () => {
    expect(loadMailerConfig({ MAIL_FROM: 'no-reply@example.com' })).toEqual({ delivery: 'ses', from: 'no-reply@example.com' });
  });

  it('treats an empty MAIL_DELIVERY (an unset variable in serverless.yml) as the default', () => {
    expect(loadMailerConfig({ MAIL_DELIVERY: '', MAIL_FROM: 'no-reply@example.com' })).toEqual({ delivery: 'ses', from: 'no-reply@example.com' });
  });

  it('accepts a display name in MAIL_FROM', () => {
    expect(loadMailerConfig({ MAIL_DELIVERY: 'ses', MAIL_FROM: 'Acme Accounts <no-reply@mail.example.com>' })).toEqual({
      delivery: 'ses',
      from: 'Acme Accounts <no-reply@mail.example.com>',
    });
  });

  it('requires MAIL_FROM for SES', () => {
    expectConfigError({ MAIL_DELIVERY: 'ses' }, 'MAIL_FROM');
  });

  it.each([
    'no-reply',
    'no-reply@localhost',
    'no-reply@example.com\r\nBcc: eve@example.com',
    'Acme\n <no-reply@example.com>',
    'Acme <no-reply@example.com',
    'a@example.com, b@example.com',
  ])('refuses a MAIL_FROM that is not one address on one line: %j', (from) => {
    expectConfigError({ MAIL_FROM: from }, 'MAIL_FROM');
  });

  it('delivers through your function with MAIL_DELIVERY=lambda, without MAIL_FROM', () => {
    expect(loadMailerConfig({ MAIL_DELIVERY: 'lambda', MAIL_SENDER_FUNCTION_ARN: SENDER_ARN })).toEqual({ delivery: 'lambda', senderFunctionArn: SENDER_ARN });
  });

  it.each([
    'arn:aws:lambda:eu-west-1:123456789012:function:acme-email-sender:live',
    'arn:aws:lambda:us-east-1:123456789012:function:acme-email-sender:$LATEST',
    'arn:aws:lambda:eu-west-1:123456789012:function:acme-email-sender:7',
    'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:sender',
    'arn:aws-cn:lambda:cn-north-1:123456789012:function:sender',
  ])('accepts a qualified or other-partition function ARN: %s', (arn) => {
    expect(loadMailerConfig({ MAIL_DELIVERY: 'lambda', MAIL_SENDER_FUNCTION_ARN: arn })).toEqual({ delivery: 'lambda', senderFunctionArn: arn });
  });

  it('requires MAIL_SENDER_FUNCTION_ARN for lambda', () => {
    expectConfigError({ MAIL_DELIVERY: 'lambda', MAIL_FROM: 'no-reply@example.com' }, 'MAIL_SENDER_FUNCTION_ARN');
  });

  it.each([
    'acme-email-sender',
    'arn:aws:lambda:eu-west-1:123456789012:layer:acme:1',
    'arn:aws:sns:eu-west-1:123456789012:function:acme',
    'arn:aws:lambda:eu-west-1:1234:function:acme',
    'arn:aws:lambda:eu-west-1:123456789012:function:acme email',
  ])('refuses a MAIL_SENDER_FUNCTION_ARN that is not a function ARN: %s', (arn) => {
    expectConfigError({ MAIL_DELIVERY: 'lambda', MAIL_SENDER_FUNCTION_ARN: arn }, 'MAIL_SENDER_FUNCTION_ARN');
  });

  it('refuses an unknown MAIL_DELIVERY', () => {
    expectConfigError({ MAIL_DELIVERY: 'smtp', MAIL_FROM: 'no-reply@example.com' }, 'MAIL_DELIVERY');
  });
});
