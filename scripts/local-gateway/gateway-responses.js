'use strict';
/**
 * Renders API Gateway REST "gateway responses" (AWS::ApiGateway::GatewayResponse) the way API Gateway does
 * for an authorizer's verdict: $context.authorizer.<key> in the body template, and static ('…') or
 * context.authorizer.<key> header mappings. Used by `npm start` (serverless-offline ignores these
 * resources) and by the tests, against the packaged CloudFormation template.
 */

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

function renderHeaderValue(mapping, context) {
  const literal = /^'(.*)'$/s.exec(mapping);
  if (literal) return literal[1];
  const fromContext = /^context\.authorizer\.(\w+)$/.exec(mapping);
  if (fromContext) return contextValue(context, fromContext[1]);
  return undefined; // method.request.* and stage variables are not needed here
}

/**
 * The HTTP response API Gateway sends for `responseType`, given the authorizer's context (empty for a
 * missing token). Returns undefined when the template defines no such response.
 */
function renderGatewayResponse(resources, responseType, context = {}) {
  const resource = findGatewayResponse(resources, responseType);
  if (!resource) return undefined;
  const { StatusCode, ResponseParameters = {}, ResponseTemplates = {} } = resource.Properties;
  const headers = { 'Content-Type': 'application/json' };
  for (const [name, mapping] of Object.entries(ResponseParameters)) {
    const header = /^gatewayresponse\.header\.(.+)$/.exec(name);
    const value = header && renderHeaderValue(String(mapping), context);
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
function gatewayResponseFor(resources, outcome) {
  const type = responseTypeFor(outcome);
  if (type === undefined) return { type: undefined, response: undefined };
  return { type, response: renderGatewayResponse(resources, type, (outcome.result && outcome.result.context) || {}) };
}

module.exports = { findGatewayResponse, renderGatewayResponse, responseTypeFor, gatewayResponseFor };
