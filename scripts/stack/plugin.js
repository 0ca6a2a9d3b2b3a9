'use strict';
/**
 * What serverless.yml cannot say by itself, for every command:
 *  - adds the gateway responses (scripts/local-gateway/gateway-responses.js, one table) with CORS headers
 *    for the configured origins;
 * and for `serverless package` / `deploy`:
 *  - refuses to go on without the keys a deployment needs (PUBLIC_JWKS valid and public, a secret name, no
 *    private key in any function's environment), naming what is missing;
 *  - installs the argon2 build of the functions' architecture;
 *  - sets API Gateway's stage throttle on the deployment, and orders the custom domain's mapping after it.
 */
const path = require('node:path');
const { gatewayResponseResources } = require('../local-gateway/gateway-responses');
const { loadTs } = require('../local-gateway/load-ts');

const DEPLOYING = new Set(['package', 'deploy']);
/** The npm settings that pick the native build of a package for Lambda's platform rather than this machine's. */
const NATIVE_BUILD = { arm64: { cpu: 'arm64', os: 'linux', libc: 'glibc' }, x86_64: { cpu: 'x64', os: 'linux', libc: 'glibc' } };

class StackPlugin {
  constructor(serverless, options, { log } = {}) {
    this.serverless = serverless;
    this.options = options;
    this.log = log || console;
    this.hooks = {
      initialize: () => this.initialize(),
      'before:package:finalize': () => this.finalizeTemplate(),
    };
  }

  get service() {
    return this.serverless.service;
  }

  deploying() {
    const commands = (this.serverless.processedInput && this.serverless.processedInput.commands) || [];
    return DEPLOYING.has(commands[0]);
  }

  corsOrigins() {
    return String(this.service.custom.corsOrigins || '').split(/\s+/).filter(Boolean);
  }

  async initialize() {
    this.service.resources = this.service.resources || {};
    this.service.resources.Resources = {
      ...this.service.resources.Resources,
      ...gatewayResponseResources({ realm: this.service.custom.realm, corsOrigins: this.corsOrigins() }),
    };
    if (!this.deploying()) return;
    await this.checkKeys();
    this.checkMail();
    // serverless-esbuild installs the externals with `npm ci`, then `npm prune`: both read these settings
    // from the environment (a flag would reach only the first, and the prune would bring this machine's back).
    for (const [name, value] of Object.entries(NATIVE_BUILD[this.service.provider.architecture || 'x86_64'])) process.env[`npm_config_${name}`] = value;
  }

  fail(message) {
    throw new this.serverless.classes.Error(`${message}\nSee the README, "Deployment".`);
  }

  /** A deployment's keys: the public set where verifying, a secret's name where signing, never a private key. */
  async checkKeys() {
    const serviceDir = this.serverless.serviceDir || this.serverless.config.servicePath;
    const { loadPublicKeyRing } = loadTs(path.join(serviceDir, 'lib/keys.ts'));
    for (const [name, fn] of Object.entries(this.service.functions || {})) {
      const env = { ...this.service.provider.environment, ...fn.environment };
      if ('SIGNING_KEYS' in env) this.fail(`Function "${name}" would carry SIGNING_KEYS, a private key, in its environment: store the key set in Secrets Manager instead.`);
      if ('PUBLIC_JWKS' in env) {
        if (!env.PUBLIC_JWKS) this.fail('PUBLIC_JWKS must be set to deploy: the public JWK Set of the signing keys (`node scripts/keys.js public --file keys.json`).');
        try {
          await loadPublicKeyRing(env.PUBLIC_JWKS, env.SIGNING_ALG || 'ES256');
        } catch (error) {
          this.fail(`PUBLIC_JWKS cannot be used: ${error.message}`);
        }
      }
      if ('SIGNING_KEYS_SECRET' in env && !env.SIGNING_KEYS_SECRET) this.fail('SIGNING_KEYS_SECRET must name the Secrets Manager secret that holds the key set.');
    }
  }

  /** Messages to users: links to the app's own https pages, and a way to send (README, "Messages to users"). */
  checkMail() {
    for (const fn of Object.values(this.service.functions || {})) {
      const env = fn.environment || {};
      for (const name of ['PASSWORD_RESET_URL', 'EMAIL_VERIFICATION_URL']) {
        if (!(name in env)) continue;
        let url;
        try {
          url = new URL(env[name]);
        } catch {
          url = undefined;
        }
        if (!url || url.protocol !== 'https:' || url.hostname === 'localhost') {
          this.fail(`${name} must be set to deploy: the https page of your app that takes the token of a message (got "${env[name]}").`);
        }
      }
      if ('MAIL_DELIVERY' in env) {
        if (!['ses', 'lambda'].includes(env.MAIL_DELIVERY)) this.fail(`MAIL_DELIVERY must be "ses" or "lambda", got "${env.MAIL_DELIVERY}".`);
        if (env.MAIL_DELIVERY === 'ses' && !env.MAIL_FROM) this.fail('MAIL_FROM must be set to deploy with MAIL_DELIVERY=ses: an address of an identity verified in Amazon SES.');
        if (env.MAIL_DELIVERY === 'lambda' && !env.MAIL_SENDER_FUNCTION_ARN) this.fail('MAIL_SENDER_FUNCTION_ARN must be set to deploy with MAIL_DELIVERY=lambda.');
      }
    }
  }

  /** The stage throttle, and the custom domain's mapping after the stage exists. */
  finalizeTemplate() {
    const resources = this.service.provider.compiledCloudFormationTemplate.Resources;
    const [deploymentId, deployment] = Object.entries(resources).find(([, resource]) => resource.Type === 'AWS::ApiGateway::Deployment') || [];
    if (!deployment) return;
    const { rateLimit, burstLimit } = this.service.custom.stageThrottle;
    deployment.Properties.StageDescription = {
      ...deployment.Properties.StageDescription,
      ThrottlingRateLimit: Number(rateLimit),
      ThrottlingBurstLimit: Number(burstLimit),
      MethodSettings: [{ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: Number(rateLimit), ThrottlingBurstLimit: Number(burstLimit) }],
    };
    if (resources.CustomDomainMapping) resources.CustomDomainMapping.DependsOn = [deploymentId];
  }
}

module.exports = StackPlugin;
