/**
 * Global setup of the package tests: `serverless package` runs once per stage per `npm test`, in the
 * background, while other tests run; each package test waits for the stage it reads (support/package.ts).
 * Each stage is packaged as a deployment would be: with a real key set's public half (PUBLIC_JWKS), and
 * with CORS origins (two for dev, one for prod: the gateway responses treat those differently).
 */
import { generateSigningJwk, loadKeyRing } from '../../lib/keys';
import { newScratch, startPackaging, type Stage } from './package';

export const PACKAGE_CORS_ORIGINS: Record<Stage, string> = {
  dev: 'https://app.example.com http://localhost:3100',
  prod: 'https://app.example.com',
};

/** What a deployment must say about messages: the app's pages, and SES's sender (prod) or your own function (dev). */
export const PACKAGE_MAIL: Record<Stage, Record<string, string>> = {
  dev: {
    PASSWORD_RESET_URL: 'https://app.example.com/reset-password',
    EMAIL_VERIFICATION_URL: 'https://app.example.com/verify-email',
    MAIL_DELIVERY: 'lambda',
    MAIL_SENDER_FUNCTION_ARN: 'arn:aws:lambda:us-east-1:123456789012:function:my-sender',
  },
  prod: {
    PASSWORD_RESET_URL: 'https://app.example.com/reset-password',
    EMAIL_VERIFICATION_URL: 'https://app.example.com/verify-email',
    MAIL_DELIVERY: 'ses',
    MAIL_FROM: 'Example <no-reply@example.com>',
  },
};

export default async function setup(): Promise<void> {
  const scratch = newScratch();
  const keySet = JSON.stringify({ keys: [await generateSigningJwk('ES256')] });
  const publicJwks = JSON.stringify({ keys: (await loadKeyRing(keySet, 'ES256')).publicJwks });
  // The private set never reaches the package; the tests look for it there all the same.
  process.env.PACKAGE_SCRATCH = scratch;
  process.env.PACKAGE_PRIVATE_KEYS = keySet;
  const packaging = startPackaging(scratch, (stage) => ({ PUBLIC_JWKS: publicJwks, CORS_ORIGINS: PACKAGE_CORS_ORIGINS[stage], ...PACKAGE_MAIL[stage] }));
  (globalThis as { packaging?: typeof packaging }).packaging = packaging;
}
