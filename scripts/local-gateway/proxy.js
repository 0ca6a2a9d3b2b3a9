'use strict';
const http = require('node:http');
const { untilListening } = require('./ports');
const { gatewayResponseFor } = require('./gateway-responses');

/** serverless-offline's own refusal bodies (hapi Boom), which no handler of ours ever sends. */
function isOfflineRefusal(statusCode, body) {
  if (statusCode !== 401 && statusCode !== 403) return false;
  try {
    const parsed = JSON.parse(body);
    return typeof parsed.statusCode === 'number' && typeof parsed.message === 'string' && parsed.code === undefined;
  } catch {
    return false;
  }
}

function request(options, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(options, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ statusCode: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Asks the authorizer function itself (through serverless-offline's Lambda API) for its verdict on a
 * token, as API Gateway does, so the gateway response can be rendered with its context.
 */
async function authorizerOutcome({ lambdaPort, authorizerName }, method, url, authorization) {
  if (!authorization) return { missingToken: true };
  const event = {
    type: 'TOKEN',
    authorizationToken: authorization,
    methodArn: `arn:aws:execute-api:us-east-1:000000000000:local/local/${method}${url.split('?')[0]}`,
  };
  const response = await request(
    { host: '127.0.0.1', port: lambdaPort, method: 'POST', path: `/2015-03-31/functions/${authorizerName}/invocations` },
    JSON.stringify(event),
  );
  const payload = JSON.parse(response.body.toString('utf8') || 'null');
  if (response.headers['x-amz-function-error'] || response.statusCode !== 200) {
    return { error: (payload && payload.errorMessage) || 'error' };
  }
  return { result: payload };
}

/**
 * The address serverless-offline should see as the client's (requestContext.identity.sourceIp): the client's
 * own. Linux routes all of 127.0.0.0/8 to the loopback, so the proxy's connection to offline can leave from
 * the very address the client came from (127.0.0.2, 127.0.0.3 … stand for distinct clients in tests). No
 * header is trusted for it: X-Forwarded-For is whatever the client wrote.
 */
function sourceAddress(socket) {
  const address = (socket.remoteAddress || '').replace(/^::ffff:/, '');
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) ? address : undefined;
}

/**
 * serverless-offline gives every answer to a request with an Origin permissive CORS headers (that origin,
 * with credentials), where API Gateway adds none: for an origin outside CORS_ORIGINS they are removed, so
 * that a browser refuses locally what it refuses deployed. (For a configured origin the handlers' own
 * headers stand: offline lets them override its defaults.)
 */
function withoutForeignCors(headers, origin, corsOrigins) {
  if (origin === undefined || corsOrigins.includes(origin)) return headers;
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.toLowerCase().startsWith('access-control-')));
}

/**
 * The local front door on `port`: forwards everything to serverless-offline and, where offline answers an
 * authorizer refusal with its own body, answers as API Gateway would, from the serverless.yml resources.
 */
function startGateway(options) {
  const { port, upstreamPort, resources, corsOrigins = [] } = options;
  // The port is claimed before serverless-offline starts; requests that come early wait for it.
  const ready = untilListening(upstreamPort);
  const server = http.createServer(async (req, res) => {
    try {
      await ready;
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const upstream = await request(
        { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers, localAddress: sourceAddress(req.socket) },
        Buffer.concat(chunks),
      );
      const text = upstream.body.toString('utf8');
      if (isOfflineRefusal(upstream.statusCode, text)) {
        const outcome = await authorizerOutcome(options, req.method, req.url, req.headers.authorization);
        const { response: rendered } = gatewayResponseFor(resources, outcome, req.headers);
        if (rendered) {
          res.writeHead(rendered.statusCode, rendered.headers).end(rendered.body);
          return;
        }
      }
      const headers = withoutForeignCors({ ...upstream.headers }, req.headers.origin, corsOrigins);
      delete headers['transfer-encoding'];
      delete headers.connection;
      res.writeHead(upstream.statusCode, headers).end(upstream.body);
    } catch (error) {
      res.writeHead(502, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({ code: 502, error: 'server_error', error_description: `Local gateway: ${error.message}` }),
      );
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

module.exports = { startGateway, isOfflineRefusal, withoutForeignCors };
