'use strict';
/**
 * API Gateway REST "gateway responses" (AWS::ApiGateway::GatewayResponse): what API Gateway itself answers
 * when a request never reaches a function (the authorizer refused it, a throttle, a bad route, a timeout).
 * One table defines them all with the contract's error body (scripts/stack/plugin.js adds them to the
 * template); the renderer answers as API Gateway does for an authorizer's verdict, for `npm start`
 * (serverless-offline ignores these resources) and the tests, against the packaged template.
 */

const MESSAGE = {
  unavailable: 'The service is temporarily unavailable; retry shortly.',
};

/**
 * Every gateway response, by API Gateway's response type: its status, the contract's error code and
 * description (the authorizer's refusal carries its own, as context), and the headers it adds. The realm
 * challenge of RFC 6750 is static: a gateway response cannot compute a header.
 */
const GATEWAY_RESPONSES = {
  // No bearer token (the authorizer is never called, or it threw "Unauthorized"): the realm alone, §3.1.
  UNAUTHORIZED: { status: 401, error: 'invalid_token', description: 'The access token is missing.', challenge: 'realm' },
  // The authorizer denied the token: its context holds the exact reason, e.g. "The access token provided has expired."
  ACCESS_DENIED: { status: 401, error: '$context.authorizer.error', description: '$context.authorizer.error_description', challenge: 'invalid_token' },
  AUTHORIZER_FAILURE: { status: 503, error: 'temporarily_unavailable', description: MESSAGE.unavailable, retryAfter: true },
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, error: 'server_error', description: 'The server could not complete the request.' },
  MISSING_AUTHENTICATION_TOKEN: { status: 404, error: 'not_found', description: 'There is no such route.' },
  RESOURCE_NOT_FOUND: { status: 404, error: 'not_found', description: 'There is no such route.' },
  THROTTLED: { status: 429, error: 'slow_down', description: 'Too many requests; retry shortly.', retryAfter: true },
  QUOTA_EXCEEDED: { status: 429, error: 'slow_down', description: 'The request quota is used up; retry later.', retryAfter: true },
  BAD_REQUEST_BODY: { status: 400, error: 'invalid_request', description: 'The request body is malformed.' },
  BAD_REQUEST_PARAMETERS: { status: 400, error: 'invalid_request', description: 'The request parameters are malformed.' },
  REQUEST_TOO_LARGE: { status: 413, error: 'invalid_request', description: 'The request is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, error: 'invalid_request', description: 'The request body has an unsupported media type.' },
  WAF_FILTERED: { status: 403, error: 'invalid_request', description: 'The request was refused by the firewall.' },
  INTEGRATION_FAILURE: { status: 502, error: 'temporarily_unavailable', description: MESSAGE.unavailable, retryAfter: true },
  INTEGRATION_TIMEOUT: { status: 504, error: 'temporarily_unavailable', description: MESSAGE.unavailable, retryAfter: true },
  API_CONFIGURATION_ERROR: { status: 500, error: 'server_error', description: 'The server could not complete the request.' },
  DEFAULT_4XX: { status: 400, error: 'invalid_request', description: 'The request was refused.' },
  DEFAULT_5XX: { status: 500, error: 'server_error', description: 'The server could not complete the request.' },
};

/** The logical id of a gateway response's resource: GatewayResponseAccessDenied, … */
const logicalId = (type) => `GatewayResponse${type.toLowerCase().replace(/(^|_)([a-z0-9])/g, (_, __, c) => c.toUpperCase())}`;
const quoted = (value) => `'${value}'`;

/**
 * CORS headers for a gateway response, so that a browser page of a configured origin can read a 401 and
 * refresh. A gateway response cannot choose among origins: with one configured origin it names it; with
 * several it echoes the request's Origin (the body of a refusal says nothing about anyone); with none, none.
 */
function corsParameters(origins) {
  if (origins.length === 0) return {};
  return {
    'gatewayresponse.header.Access-Control-Allow-Origin': origins.length === 1 ? quoted(origins[0]) : 'method.request.header.Origin',
    'gatewayresponse.header.Access-Control-Allow-Credentials': quoted('true'),
    'gatewayresponse.header.Access-Control-Expose-Headers': quoted('WWW-Authenticate, Retry-After'),
    'gatewayresponse.header.Vary': quoted('Origin'),
  };
}

/** The AWS::ApiGateway::GatewayResponse resources of the table, for a realm and the configured CORS origins. */
function gatewayResponseResources({ realm, corsOrigins = [] }) {
  const resources = {};
  for (const [type, facts] of Object.entries(GATEWAY_RESPONSES)) {
    const parameters = {
      'gatewayresponse.header.Cache-Control': quoted('no-store'),
      'gatewayresponse.header.X-Content-Type-Options': quoted('nosniff'),
      ...corsParameters(corsOrigins),
    };
    if (facts.retryAfter) parameters['gatewayresponse.header.Retry-After'] = quoted('1');
    if (facts.challenge === 'realm') parameters['gatewayresponse.header.WWW-Authenticate'] = quoted(`Bearer realm="${realm}"`);
    if (facts.challenge === 'invalid_token') {
      parameters['gatewayresponse.header.WWW-Authenticate'] = quoted(
        `Bearer realm="${realm}", error="invalid_token", error_description="The access token is invalid or has expired."`,
      );
    }
    resources[logicalId(type)] = {
      Type: 'AWS::ApiGateway::GatewayResponse',
      Properties: {
        RestApiId: { Ref: 'ApiGatewayRestApi' },
        ResponseType: type,
        StatusCode: String(facts.status),
        ResponseParameters: parameters,
        ResponseTemplates: {
          'application/json': `{"code":${facts.status},"error":"${facts.error}","error_description":"${facts.description}"}`,
        },
      },
    };
  }
  return resources;
}

/** The gateway response types an authorizer verdict leads to, and API Gateway's default status for each. */
const DEFAULT_STATUS = { UNAUTHORIZED: 401, ACCESS_DENIED: 403, AUTHORIZER_FAILURE: 500, AUTHORIZER_CONFIGURATION_ERROR: 500 };

/** Finds the GatewayResponse resource of one type among CloudFormation resources. */
function findGatewayResponse(resources, responseType) {
  return Object.values(resources || {}).find(
    (resource) => resource && resource.Type === 'AWS::ApiGateway::GatewayResponse' && resource.Properties.ResponseType === responseType,
  );
}

function contextValue(context, key) {
  const value = context[key];
  return value === undefined || value === null ? '' : String(value);
}

/**
 * API Gateway substitutes $context.authorizer.<key> into the template as is (no escaping) and leaves any
 * other $context variable it has; this local rendering knows only the authorizer's context.
 */
function renderTemplate(template, context) {
  return template.replace(/\$(?:\{context\.authorizer\.(\w+)\}|context\.authorizer\.(\w+))/g, (_, braced, bare) =>
    contextValue(context, braced || bare),
  );
}

function renderHeaderValue(mapping, context, requestHeaders) {
  const literal = /^'(.*)'$/s.exec(mapping);
  if (literal) return literal[1];
  const fromContext = /^context\.authorizer\.(\w+)$/.exec(mapping);
  if (fromContext) return contextValue(context, fromContext[1]);
  const fromRequest = /^method\.request\.header\.(.+)$/.exec(mapping);
  if (fromRequest) return requestHeaders[fromRequest[1].toLowerCase()];
  return undefined; // stage variables are not needed here
}

/**
 * The HTTP response API Gateway sends for `responseType`, given the authorizer's context (empty for a
 * missing token). Returns undefined when the template defines no such response.
 */
function renderGatewayResponse(resources, responseType, context = {}, requestHeaders = {}) {
  const resource = findGatewayResponse(resources, responseType);
  if (!resource) return undefined;
  const { StatusCode, ResponseParameters = {}, ResponseTemplates = {} } = resource.Properties;
  const headers = { 'Content-Type': 'application/json' };
  for (const [name, mapping] of Object.entries(ResponseParameters)) {
    const header = /^gatewayresponse\.header\.(.+)$/.exec(name);
    const value = header && renderHeaderValue(String(mapping), context, requestHeaders);
    if (header && value !== undefined) headers[header[1]] = value;
  }
  const template = ResponseTemplates['application/json'];
  return {
    statusCode: Number(StatusCode || DEFAULT_STATUS[responseType] || 500),
    headers,
    body: template === undefined ? '{"message":"Unauthorized"}' : renderTemplate(template, context),
  };
}

/**
 * Which gateway response API Gateway picks for an authorizer's outcome: no token (the authorizer is never
 * called), a thrown "Unauthorized", a Deny policy, or any other failure.
 */
function responseTypeFor(outcome) {
  if (outcome.missingToken) return 'UNAUTHORIZED';
  if (outcome.error !== undefined) return outcome.error === 'Unauthorized' ? 'UNAUTHORIZED' : 'AUTHORIZER_FAILURE';
  const statements = (outcome.result && outcome.result.policyDocument && outcome.result.policyDocument.Statement) || [];
  const allowed = statements.length > 0 && statements.every((statement) => statement.Effect === 'Allow');
  return allowed ? undefined : 'ACCESS_DENIED';
}

/**
 * What API Gateway answers for an authorizer's outcome: `{ type, response }`, both undefined when the
 * request is allowed through to the route. The one composition of the two steps above, for `npm start`
 * and the tests alike.
 */
function gatewayResponseFor(resources, outcome, requestHeaders = {}) {
  const type = responseTypeFor(outcome);
  if (type === undefined) return { type: undefined, response: undefined };
  return { type, response: renderGatewayResponse(resources, type, (outcome.result && outcome.result.context) || {}, requestHeaders) };
}

module.exports = { GATEWAY_RESPONSES, gatewayResponseResources, findGatewayResponse, renderGatewayResponse, responseTypeFor, gatewayResponseFor };
