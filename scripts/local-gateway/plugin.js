'use strict';
/**
 * `npm start` = `serverless offline start` with this plugin, which makes the local run match AWS:
 *  - starts dynalite on 127.0.0.1 (data in DATA_DIR, default .data/) in this same process, and creates the
 *    tables from the AWS::DynamoDB::Table resources of serverless.yml: one definition for both;
 *  - generates a signing key into DATA_DIR on first start, and sets ISSUER to the local base URL;
 *  - validates the configuration with lib/config.ts before anything listens;
 *  - listens on PORT (default 3000) in front of serverless-offline, which it moves to free internal ports,
 *    and answers authorizer refusals with the serverless.yml gateway responses, which offline ignores.
 * Ctrl-C ends serverless-offline and with it this process: dynalite and the proxy go with it.
 */
const fs = require('node:fs');
const path = require('node:path');
const { loadTs } = require('./load-ts');
const { createTables } = require('./tables');
const { startGateway } = require('./proxy');
const { freePort } = require('./ports');

class LocalGatewayPlugin {
  constructor(serverless, _options, { log } = {}) {
    this.serverless = serverless;
    this.log = log || console;
    this.started = false;
    const start = () => this.start();
    this.hooks = {
      'before:offline:start': start,
      'before:offline:start:init': start,
      // After serverless-offline's own "Server ready" line, which names an internal port: say which to use.
      'before:offline:start:ready': () => this.log.notice?.(`Local API ready: ${this.baseUrl} (use this address; the ports above are internal)`),
      'offline:start:end': () => this.stop(),
    };
  }

  fail(message) {
    // A clean message and exit, not a stack trace: this is a user's setup problem.
    process.stderr.write(`\nnpm start: ${message}\n\n`);
    process.exit(1);
  }

  async start() {
    if (this.started) return;
    this.started = true;
    const service = this.serverless.service;
    const serviceDir = this.serverless.serviceDir || this.serverless.config.servicePath;
    const port = Number(process.env.PORT || 3000);
    if (!Number.isInteger(port) || port < 1 || port > 65535) this.fail(`PORT must be a TCP port number, got "${process.env.PORT}"`);
    const dataDir = path.resolve(serviceDir, process.env.DATA_DIR || '.data');
    // Lambda runs Node 22; the SDK's notice that its later releases will need it is not for a local run.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    fs.mkdirSync(dataDir, { recursive: true });

    const stage = this.serverless.getProvider('aws').getStage();
    const resources = service.resources.Resources;
    const tables = Object.fromEntries(
      Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::DynamoDB::Table').map(([id]) => [id, `${service.service}-${stage}-${id}`]),
    );
    const env = service.provider.environment;
    // The private set goes to the functions that sign; those that only verify get its public half, as deployed.
    const alg = process.env.SIGNING_ALG || 'ES256';
    const signingKeys = process.env.SIGNING_KEYS || (await this.localSigningKeys(serviceDir, dataDir, alg));
    const publicJwks = await this.checkKeys(serviceDir, signingKeys, alg);
    env.SIGNING_KEYS = signingKeys; // read only where PUBLIC_JWKS is empty: HS256 has no public half
    this.baseUrl = `http://localhost:${port}`;
    const outboxDir = path.join(dataDir, 'outbox');
    // What CloudFormation and the deploying shell give a deployed function, given here: table names, the
    // issuer (the local URL), the keys.
    for (const fn of Object.values(service.functions)) {
      for (const [name, value] of Object.entries(fn.environment || {})) {
        if (value && typeof value === 'object' && value.Ref && tables[value.Ref]) fn.environment[name] = tables[value.Ref];
        if (name === 'ISSUER' && typeof value !== 'string') fn.environment[name] = this.baseUrl;
        if (name === 'PUBLIC_JWKS') fn.environment[name] = publicJwks;
        if (name === 'SIGNING_KEYS_SECRET') delete fn.environment[name];
        // Messages go to the outbox folder, not to the mailer function (nothing locally reaches the internet).
        if (name === 'MAILER_FUNCTION') {
          delete fn.environment[name];
          fn.environment.OUTBOX_DIR = outboxDir;
        }
      }
    }
    this.checkConfig(serviceDir, { ...env, ...service.functions.register.environment }, service.functions.authorize && { ...env, ...service.functions.authorize.environment });

    // Claim the public port before dynalite and offline start, so "in use" is said first and alone.
    const [httpPort, lambdaPort, websocketPort, albPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const offline = { ...(service.custom['serverless-offline'] || {}), host: '127.0.0.1', httpPort, lambdaPort, websocketPort, albPort };
    service.custom['serverless-offline'] = offline;
    this.gateway = await startGateway({
      port,
      upstreamPort: httpPort,
      lambdaPort,
      authorizerName: `${service.service}-${this.serverless.getProvider('aws').getStage()}-authorizer`,
      resources: service.resources.Resources,
      corsOrigins: String(service.functions.register.environment.CORS_ORIGINS || '').split(/\s+/).filter(Boolean),
    }).catch((error) => this.fail(error.code === 'EADDRINUSE' ? `port ${port} is already in use; stop what uses it or set PORT` : error.message));

    const dynalite = require('dynalite')({ path: path.join(dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise((resolve, reject) => dynalite.once('error', reject).listen(0, '127.0.0.1', resolve));
    this.dynalite = dynalite;
    env.DYNAMODB_ENDPOINT = `http://127.0.0.1:${dynalite.address().port}`;
    await createTables(env.DYNAMODB_ENDPOINT, resources, tables);
    this.log.notice?.(`DynamoDB data in ${path.relative(serviceDir, dataDir) || '.'}; messages to users in ${path.relative(serviceDir, outboxDir)}`);
    // serverless-esbuild has built every function by now (its hooks run before this plugin's). Its esbuild
    // service process would keep the memory of those parallel builds, about a gigabyte, for the whole run;
    // nothing rebuilds (no watch, serverless.yml), so stop it. An esbuild call later would start a new one.
    await require('esbuild').stop();
  }

  /** A bad key set stops `npm start` with a message naming it, before anything listens; else its public half. */
  async checkKeys(serviceDir, signingKeys, alg) {
    const { loadKeyRing } = loadTs(path.join(serviceDir, 'lib/keys.ts'));
    try {
      const { publicJwks } = await loadKeyRing(signingKeys, alg);
      return publicJwks.length > 0 ? JSON.stringify({ keys: publicJwks }) : '';
    } catch (error) {
      return this.fail(error.message);
    }
  }

  /** A bad setting stops `npm start` with a message naming the variable, before anything listens. */
  checkConfig(serviceDir, env, providerEnv) {
    const { loadConfig, loadMailConfig, loadProviderConfig, signerKeys } = loadTs(path.join(serviceDir, 'lib/config.ts'));
    try {
      loadConfig({ ...env, DYNAMODB_ENDPOINT: '' }, signerKeys);
      loadMailConfig(env);
      if (providerEnv) loadProviderConfig(providerEnv);
    } catch (error) {
      this.fail(error.message);
    }
  }

  async localSigningKeys(serviceDir, dataDir, alg) {
    const file = path.join(dataDir, `signing-keys.${alg}.json`);
    if (!fs.existsSync(file)) {
      const { generateSigningJwk } = loadTs(path.join(serviceDir, 'lib/keys.ts'));
      const jwk = await generateSigningJwk(alg);
      fs.writeFileSync(file, JSON.stringify({ keys: [jwk] }), { mode: 0o600 });
    }
    return fs.readFileSync(file, 'utf8');
  }

  async stop() {
    await Promise.all([
      this.gateway && new Promise((resolve) => this.gateway.close(resolve)),
      this.dynalite && new Promise((resolve) => this.dynalite.close(resolve)),
    ]);
  }
}

module.exports = LocalGatewayPlugin;
