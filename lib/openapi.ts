import { version } from '../package.json';
import { SIGNING_ALGORITHMS } from './config';
import { discoveryDocument, ENDPOINTS, GRANT_TYPES, UI_LOCALES } from './discovery';
import { REFRESH_COOKIES, TRANSPORT_HEADER } from './cookies';
import { EMAIL_MAX_LENGTH } from './email';
import type { ErrorCode } from './errors';
import { MAX_BODY_BYTES } from './http';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords';
import { ROUTE_SCOPES, SCOPE_TOKEN } from './scopes';
import { USERNAME_MAX_LENGTH, USERNAME_MIN_LENGTH } from './usernames';

/**
 * The OpenAPI 3.1 description of the HTTP API as serverless.yml routes it, built from the tables below: one
 * row per route, one per way a request can fail, one per response header. Pure data: no I/O, no AWS SDK,
 * no jose, so the docs tooling and the tests load it alone. tests/lib/openapi.test.ts holds it to
 * serverless.yml, lib/errors.ts, lib/scopes.ts and the handlers' real answers.
 */

/** A JSON Schema (draft 2020-12, the document's dialect). */
export type JsonSchema = { [keyword: string]: unknown };

export type HttpMethod = 'get' | 'post' | 'delete';

export interface HeaderObject {
  description: string;
  required: boolean;
  schema: JsonSchema;
}

export interface MediaTypeObject {
  schema: JsonSchema;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject>;
  content?: Record<string, MediaTypeObject>;
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  description: string;
  schema: JsonSchema;
}

/** A security requirement: `{}` is "no credentials", `{ bearer: [scope] }` an access token with that scope. */
export type SecurityRequirement = Record<string, string[]>;

export interface OperationObject {
  operationId: string;
  tags: string[];
  summary: string;
  description: string;
  security?: SecurityRequirement[];
  parameters?: ParameterObject[];
  requestBody?: { required: true; content: Record<string, MediaTypeObject> };
  responses: Record<string, ResponseObject>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  jsonSchemaDialect: string;
  info: { title: string; version: string; summary: string; description: string; license: { name: string; identifier: string } };
  servers: { url: string; description: string; variables?: Record<string, { default: string; description: string }> }[];
  tags: { name: string; description: string }[];
  paths: Record<string, Partial<Record<HttpMethod, OperationObject>>>;
  components: {
    schemas: Record<SchemaName, JsonSchema>;
    securitySchemes: Record<'bearer', { type: 'http'; scheme: 'bearer'; bearerFormat: 'JWT'; description: string }>;
  };
}

export interface OpenApiOptions {
  /** The one server the document names (e.g. a deployed stage's URL); by default the local and the deployed forms. */
  serverUrl?: string;
}

type SchemaName =
  | 'Error'
  | 'TokenResponse'
  | 'RegisterRequest'
  | 'LoginRequest'
  | 'RefreshRequest'
  | 'LogoutRequest'
  | 'PasswordChangeRequest'
  | 'EmailChangeRequest'
  | 'EmailVerificationRequest'
  | 'PasswordForgotRequest'
  | 'PasswordResetRequest'
  | 'AccountDeletionRequest'
  | 'Accepted'
  | 'TokenRequest'
  | 'RevocationRequest'
  | 'Revoked'
  | 'Profile'
  | 'Session'
  | 'SessionList'
  | 'ServerMetadata'
  | 'JsonWebKeySet'
  | 'JsonWebKey'
  | 'ExampleOrders'
  | 'Userinfo'
  | 'AuthorizationRequest'
  | 'SignInForm'
  | 'SignUpForm'
  | 'ForgotForm'
  | 'ResetForm'
  | 'EndSessionForm';

const ref = (name: SchemaName): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/**
 * The hosted pages' cookies (lib/hosted.ts COOKIES), named here rather than imported: lib/hosted.ts brings the
 * provider's runtime (node:crypto, the stores' code), and this module is pure data.
 */
const HOSTED_COOKIES = { session: 'jwt_auth_sso', csrf: 'jwt_auth_csrf' } as const;

/** What each error code means here. `satisfies` keeps it to exactly the codes of lib/errors.ts. */
const ERROR_MEANINGS = {
  invalid_request: 'Missing or malformed input; 413 when the body is too large, 415 for a media type the route does not take, 409 when a password change raced another.',
  invalid_grant:
    'Wrong credentials (an unknown user gets the same answer), a disabled account, a refresh token that is unknown, expired, revoked, reused or issued to another client, an authorization code that is unknown, expired, used or not this client\'s (or whose redirect_uri or code_verifier does not match), or the token of a message that is unknown, expired, used or superseded.',
  invalid_scope: 'A scope that is malformed, unknown (not in SCOPES), neither a default one nor granted to the user, or wider than the session was granted.',
  unsupported_grant_type: `A grant type other than ${GRANT_TYPES.join(', ')}, or the password grant (\`grant_type=password\`, \`POST /auth/login\`) while PASSWORD_GRANT is false.`,
  invalid_token: 'The access token is missing, malformed, forged or expired, or its user no longer exists (RFC 6750 §3.1).',
  invalid_client:
    'Client authentication failed at the token endpoint (RFC 6749 §5.2): a registered confidential client without its secret or with a wrong one, a public client with a secret, or a code redeemed under a client_id that names no registered client.',
  unauthorized_client: 'The client may not use this grant: a registered third-party client asked for the password grant (`grant_type=password` or `POST /auth/login`); it signs users in through the authorization endpoint.',
  insufficient_scope: 'The access token lacks the scope the route needs (RFC 6750 §3.1).',
  not_found: 'No such session of the caller, or no such route.',
  username_taken: 'The username is taken (OAuth has no code for this).',
  email_taken: 'The address is verified on another account (OAuth has no code for this).',
  slow_down: 'Too many password attempts or password reset requests, or too many requests; retry after Retry-After seconds.',
  server_error: 'An unexpected fault; the description says nothing about the server.',
  temporarily_unavailable: 'A storage, function or mail queue fault; retry after Retry-After seconds. Nothing was lost.',
} as const satisfies Record<ErrorCode, string>;

const ERROR_CODES = Object.keys(ERROR_MEANINGS) as ErrorCode[];

/** The response headers this API promises, by what they say. */
const HEADERS = {
  noStore: {
    name: 'Cache-Control',
    description: 'Never cached: every answer but the public metadata (RFC 6749 §5.1 for token responses).',
    schema: { type: 'string', const: 'no-store' },
  },
  pragma: {
    name: 'Pragma',
    description: 'For HTTP/1.0 caches (RFC 6749 §5.1).',
    schema: { type: 'string', const: 'no-cache' },
  },
  publicCache: {
    name: 'Cache-Control',
    description: 'Public metadata: shared caches may keep it for max-age seconds.',
    schema: { type: 'string', pattern: '^public, max-age=[0-9]+$' },
  },
  retryAfter: {
    name: 'Retry-After',
    description: 'Seconds to wait before retrying.',
    schema: { type: 'integer', minimum: 1 },
  },
  challenge: {
    name: 'WWW-Authenticate',
    description:
      'The RFC 6750 §3 challenge: the realm alone when no bearer token came; else the error and its description, and for `insufficient_scope` the `scope` the route needs.',
    schema: {
      type: 'string',
      pattern: '^Bearer realm="[^"]*"(, error="(invalid_token|insufficient_scope)", error_description="[^"]*"(, scope="[^"]*")?)?$',
    },
  },
  clientChallenge: {
    name: 'WWW-Authenticate',
    description: 'The client authenticates with HTTP Basic (RFC 6749 §5.2, RFC 7617).',
    schema: { type: 'string', const: 'Basic realm="token"' },
  },
  authorizationRedirect: {
    name: 'Location',
    description:
      'The redirect_uri of the request, its own query kept, with `code` (single-use, 60 seconds), `state` (when the request had one) and `iss` (the issuer, RFC 9207); or instead of `code` with `error` and `error_description` (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6): `invalid_request`, `unsupported_response_type`, `invalid_scope`, `access_denied`, `login_required`, `consent_required`, `interaction_required`, `request_not_supported` or `request_uri_not_supported`. Check `state`, and `iss` against the issuer, before redeeming the code.',
    schema: { type: 'string', format: 'uri' },
  },
  logoutRedirect: {
    name: 'Location',
    description: 'The post_logout_redirect_uri, one the client registered, with `state` when the request had one.',
    schema: { type: 'string', format: 'uri' },
  },
  referrerPolicy: {
    name: 'Referrer-Policy',
    description: 'No page or redirect of the provider tells the next site where the browser came from (its URL may carry a code or a token).',
    schema: { type: 'string', const: 'no-referrer' },
  },
  contentSecurityPolicy: {
    name: 'Content-Security-Policy',
    description:
      'Nothing loads or runs but the page\'s one style block (by its hash; there is no script); forms post to this service and, for an authorization request, to the origin (or private-use scheme) of its redirect_uri; no site may frame the page (`frame-ancestors \'none\'`).',
    schema: {
      type: 'string',
      pattern: "^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+={0,2}'; form-action 'self'( [^ ;]+)?; frame-ancestors 'none'; base-uri 'none'$",
    },
  },
  frameOptions: {
    name: 'X-Frame-Options',
    description: 'No framing, for browsers older than `frame-ancestors` (clickjacking).',
    schema: { type: 'string', const: 'DENY' },
  },
  setCookie: {
    name: 'Set-Cookie',
    optional: true,
    description: `One line per cookie, when one changes. \`${HOSTED_COOKIES.csrf}\`: a new CSRF token when the browser has none (HttpOnly; Secure; SameSite=Strict; an hour). \`${HOSTED_COOKIES.session}\`: the browser's sign-in, set at each sign-in and cleared (empty, Max-Age=0) at sign-out (HttpOnly; Secure; SameSite=Lax; BROWSER_SESSION_TTL seconds). Path=/oauth, behind the stage prefix when deployed without a custom domain.`,
    schema: {
      type: 'string',
      pattern: '^jwt_auth_(csrf|sso)=([A-Za-z0-9_-]{43})?; Max-Age=[0-9]+; Path=(/[\\w.~-]+)*/oauth; HttpOnly; Secure; SameSite=(Strict|Lax)$',
    },
  },
} as const satisfies Record<string, { name: string; description: string; schema: JsonSchema; optional?: true }>;

type HeaderKey = keyof typeof HEADERS;

/** What every answer of a handler carries (lib/http.ts): no caching of anything about a user. */
const HANDLER_HEADERS = ['noStore', 'pragma'] as const satisfies readonly HeaderKey[];
/** What every hosted page carries (lib/pages.ts htmlPage), besides Content-Type: text/html; charset=utf-8. */
const PAGE_HEADERS = [...HANDLER_HEADERS, 'contentSecurityPolicy', 'frameOptions', 'referrerPolicy', 'setCookie'] as const satisfies readonly HeaderKey[];
/** What every redirect of the hosted pages carries (lib/hosted.ts), besides its Location. */
const REDIRECT_HEADERS = [...HANDLER_HEADERS, 'referrerPolicy', 'setCookie'] as const satisfies readonly HeaderKey[];

/**
 * One way a request can fail: the contract's JSON error body with its `code`, or, on the hosted pages, a page
 * (HTML) that tells a person what went wrong, which no program is meant to read.
 */
type Failure = {
  status: number;
  when: string;
  /** The headers this failure always carries. */
  headers: readonly HeaderKey[];
} & ({ code: ErrorCode; media?: never } | { media: 'html'; code?: never });

/** Every way a request can fail, with its status, code (or page) and headers. Routes list the ones they can give. */
const FAILURES = {
  malformedJson: {
    status: 400,
    code: 'invalid_request',
    when: 'The body is not a JSON object, or a field is missing, of the wrong type or breaks its rule (the request schema).',
    headers: HANDLER_HEADERS,
  },
  malformedParams: {
    status: 400,
    code: 'invalid_request',
    when: 'A parameter is missing, repeated, not a string (JSON) or malformed; an empty parameter counts as omitted.',
    headers: HANDLER_HEADERS,
  },
  tooLarge: { status: 413, code: 'invalid_request', when: `The body exceeds ${MAX_BODY_BYTES} bytes.`, headers: HANDLER_HEADERS },
  mediaType: {
    status: 415,
    code: 'invalid_request',
    when: 'The Content-Type is none of the request body media types this route takes.',
    headers: HANDLER_HEADERS,
  },
  badCredentials: {
    status: 400,
    code: 'invalid_grant',
    when: 'The username or password is wrong; an unknown user gets the same answer.',
    headers: HANDLER_HEADERS,
  },
  disabledAccount: {
    status: 400,
    code: 'invalid_grant',
    when: 'The username and password are right, but the account is disabled (`"This account is disabled."`).',
    headers: HANDLER_HEADERS,
  },
  badOneTimeToken: {
    status: 400,
    code: 'invalid_grant',
    when:
      'The token is malformed, unknown, expired, already used, or superseded by a newer one of the same purpose (a verification token never resets a password), or its account is disabled or deleted.',
    headers: HANDLER_HEADERS,
  },
  badRefreshToken: {
    status: 400,
    code: 'invalid_grant',
    when:
      'The refresh token is unknown, malformed, expired, revoked, reused after its grace period (which revokes its whole session), issued to another `client_id` (none named means the default client), or of a session its user ended, of a deleted user or of a disabled account.',
    headers: HANDLER_HEADERS,
  },
  wrongCurrentPassword: { status: 400, code: 'invalid_grant', when: 'The current password is wrong.', headers: HANDLER_HEADERS },
  registerScope: {
    status: 400,
    code: 'invalid_scope',
    when: 'The scope is malformed or names a scope outside DEFAULT_SCOPES (a new user has no grants yet).',
    headers: HANDLER_HEADERS,
  },
  loginScope: {
    status: 400,
    code: 'invalid_scope',
    when:
      'The scope is malformed or names a scope not in SCOPES (before any attempt is counted), or, once the password is checked, one that is neither in DEFAULT_SCOPES nor granted to this user.',
    headers: HANDLER_HEADERS,
  },
  widerScope: {
    status: 400,
    code: 'invalid_scope',
    when: 'The scope is malformed, not in SCOPES, or wider than the session was granted (a refresh may narrow, never widen).',
    headers: HANDLER_HEADERS,
  },
  unsupportedGrant: {
    status: 400,
    code: 'unsupported_grant_type',
    when: `\`grant_type\` is none of ${GRANT_TYPES.join(', ')}.`,
    headers: HANDLER_HEADERS,
  },
  passwordGrantOff: {
    status: 400,
    code: 'unsupported_grant_type',
    when: 'The password grant is turned off (PASSWORD_GRANT=false): users sign in through the authorization endpoint. Checked before any attempt is counted.',
    headers: HANDLER_HEADERS,
  },
  thirdPartyPasswordGrant: {
    status: 400,
    code: 'unauthorized_client',
    when: '`client_id` names a registered third-party client, which may not take a user\'s password: it uses the authorization code flow. Checked before any attempt is counted.',
    headers: HANDLER_HEADERS,
  },
  badClient: {
    status: 401,
    code: 'invalid_client',
    when:
      'Client authentication failed (RFC 6749 §2.3.1): a registered confidential client sent no secret or a wrong one, a public client sent a secret, HTTP Basic was malformed, named another client than `client_id` or came with `client_secret` too; or, for the authorization_code grant, `client_id` names no registered client.',
    headers: [...HANDLER_HEADERS, 'clientChallenge'],
  },
  badCode: {
    status: 400,
    code: 'invalid_grant',
    when:
      'The code is unknown, expired, already used (a second use also revokes the session the first one started: RFC 6749 §4.1.2), issued to another client, or its user has since changed or reset the password, been disabled or deleted; or `redirect_uri` is not the authorization request\'s exactly; or `code_verifier` does not match its `code_challenge` (S256).',
    headers: HANDLER_HEADERS,
  },
  usernameTaken: {
    status: 409,
    code: 'username_taken',
    when: 'The username is taken, regardless of case and width.',
    headers: HANDLER_HEADERS,
  },
  emailTaken: {
    status: 409,
    code: 'email_taken',
    when: 'The address is verified on another account (the first to verify it holds it); the token is not spent, and works while it lives should that account let the address go.',
    headers: HANDLER_HEADERS,
  },
  passwordRace: {
    status: 409,
    code: 'invalid_request',
    when: 'The password was changed concurrently; try again.',
    headers: HANDLER_HEADERS,
  },
  noSuchSession: {
    status: 404,
    code: 'not_found',
    when: 'The caller has no session with this id (another user\'s session and a malformed id answer alike).',
    headers: HANDLER_HEADERS,
  },
  throttled: {
    status: 429,
    code: 'slow_down',
    when:
      'Too many password attempts in the window: for this account from this source address, or from this address across all accounts. The password was not checked.',
    headers: [...HANDLER_HEADERS, 'retryAfter'],
  },
  resetThrottled: {
    status: 429,
    code: 'slow_down',
    when:
      'Too many reset requests in the window: for this username or address from this source address, or from this address across all of them. Counted apart from login attempts, which these never use up.',
    headers: [...HANDLER_HEADERS, 'retryAfter'],
  },
  unavailable: {
    status: 503,
    code: 'temporarily_unavailable',
    when: 'DynamoDB failed. Nothing was lost: a refresh token is never consumed unless its successor was stored.',
    headers: [...HANDLER_HEADERS, 'retryAfter'],
  },
  unavailableMail: {
    status: 503,
    code: 'temporarily_unavailable',
    when: 'DynamoDB failed, or the message could not be handed to the mailer. Ask again: a new message\'s token supersedes any earlier one.',
    headers: [...HANDLER_HEADERS, 'retryAfter'],
  },
  serverFault: {
    status: 500,
    code: 'server_error',
    when: 'An unexpected fault of the function or of the deployment (never caused by what a client sends).',
    headers: ['noStore'],
  },
  stageThrottle: {
    status: 429,
    code: 'slow_down',
    when: 'API Gateway\'s stage throttle: too many requests across the API (API Gateway answers).',
    headers: ['noStore', 'retryAfter'],
  },
  functionFailure: {
    status: 502,
    code: 'temporarily_unavailable',
    when: 'The function failed without an answer (API Gateway answers).',
    headers: ['noStore', 'retryAfter'],
  },
  functionTimeout: {
    status: 504,
    code: 'temporarily_unavailable',
    when: 'The function did not answer in time (API Gateway answers).',
    headers: ['noStore', 'retryAfter'],
  },
  refusedToken: {
    status: 401,
    code: 'invalid_token',
    when:
      'The authorizer refused the request (API Gateway answers): no bearer token (the challenge then names the realm alone), or one that is malformed, forged or expired. An expired token gets exactly `{"code":401,"error":"invalid_token","error_description":"The access token provided has expired."}`.',
    headers: ['noStore', 'challenge'],
  },
  goneUser: {
    status: 401,
    code: 'invalid_token',
    when: 'The access token\'s user no longer exists.',
    headers: [...HANDLER_HEADERS, 'challenge'],
  },
  goneOrDisabledUser: {
    status: 401,
    code: 'invalid_token',
    when: 'The access token\'s user no longer exists or is disabled.',
    headers: [...HANDLER_HEADERS, 'challenge'],
  },
  insufficientScope: {
    status: 403,
    code: 'insufficient_scope',
    when: 'The access token lacks the scope this route needs; the challenge names it.',
    headers: [...HANDLER_HEADERS, 'challenge'],
  },
  expiredSinceAllowed: {
    status: 401,
    code: 'invalid_token',
    when: 'The access token expired after the authorizer allowed it (an Allow that API Gateway cached); the same body as any expired token.',
    headers: [...HANDLER_HEADERS, 'challenge'],
  },
  authorizerFailure: {
    status: 503,
    code: 'temporarily_unavailable',
    when: 'The authorizer itself failed (API Gateway answers).',
    headers: ['noStore', 'retryAfter'],
  },
  logoutAllToken: {
    status: 401,
    code: 'invalid_token',
    when:
      '`all: true` without a bearer access token (the challenge then names the realm alone), or with one that is malformed, forged or expired, or whose user no longer exists.',
    headers: [...HANDLER_HEADERS, 'challenge'],
  },
  logoutAllScope: {
    status: 403,
    code: 'insufficient_scope',
    when: `\`all: true\` with an access token without the \`${ROUTE_SCOPES.account}\` scope; the challenge names it.`,
    headers: [...HANDLER_HEADERS, 'challenge'],
  },

  // The hosted pages' failures: a page for a person, never the JSON error body.
  pageBadRequest: {
    status: 400,
    media: 'html',
    when:
      'The client_id names no registered client, the redirect_uri is not one it registered (exactly; a registered http loopback IP on any port, RFC 8252 §7.3), or a parameter is repeated or longer than 2048 characters. An error page that links nowhere, never a redirect: where to send the user is what is in doubt (RFC 6749 §4.1.2.1).',
    headers: PAGE_HEADERS,
  },
  pageBadParams: {
    status: 400,
    media: 'html',
    when: 'A parameter or field is repeated, or (JSON) not a string.',
    headers: PAGE_HEADERS,
  },
  pageTooLarge: { status: 413, media: 'html', when: `The body exceeds ${MAX_BODY_BYTES} bytes.`, headers: PAGE_HEADERS },
  pageMediaType: {
    status: 415,
    media: 'html',
    when: 'The body is neither a form (application/x-www-form-urlencoded) nor a flat JSON object of strings.',
    headers: PAGE_HEADERS,
  },
  pageCsrf: {
    status: 403,
    media: 'html',
    when: `The form's \`csrf\` field does not equal the \`${HOSTED_COOKIES.csrf}\` cookie (a form posted from another site, or one left open past the cookie's hour). Nothing is done: the page says the form expired and carries a fresh token (the sign-in page for the sign-in, consent and forgotten-password forms).`,
    headers: PAGE_HEADERS,
  },
  pageWrongPassword: {
    status: 400,
    media: 'html',
    when: 'The username or password is wrong or missing; an unknown user gets the same page, after the same work. The sign-in page again, the username kept.',
    headers: PAGE_HEADERS,
  },
  pageDisabled: {
    status: 403,
    media: 'html',
    when: 'The password is right, but the account is disabled: the sign-in page says so (a wrong password gets the page of any wrong password).',
    headers: PAGE_HEADERS,
  },
  pageLoginThrottled: {
    status: 429,
    media: 'html',
    when: 'Too many password attempts, counted with those of `POST /auth/login` (for this account from this source address, or from this address across all accounts); the password was not checked. The sign-in page says when to retry.',
    headers: [...PAGE_HEADERS, 'retryAfter'],
  },
  pageSignUpRefused: {
    status: 400,
    media: 'html',
    when: 'The username, address or password breaks the rules of `POST /auth/register` (the SignUpForm schema): the form again, the field marked and the rule said. No account is made.',
    headers: PAGE_HEADERS,
  },
  pageUsernameTaken: {
    status: 409,
    media: 'html',
    when: 'The username is taken, regardless of case and width: the form again.',
    headers: PAGE_HEADERS,
  },
  pageForgotRefused: {
    status: 400,
    media: 'html',
    when: 'Nothing, or a malformed address, was entered: the form again.',
    headers: PAGE_HEADERS,
  },
  pageResetThrottled: {
    status: 429,
    media: 'html',
    when: 'Too many reset requests, counted with those of `POST /auth/password/forgot`: the form says when to retry.',
    headers: [...PAGE_HEADERS, 'retryAfter'],
  },
  pageResetRefused: {
    status: 400,
    media: 'html',
    when:
      'The token is malformed, unknown, expired, used or superseded, or its account is disabled or deleted (the page then shows no form: a new link is needed), or the new password breaks the rules of registration (the form again, saying why).',
    headers: PAGE_HEADERS,
  },
  pageBadLogout: {
    status: 400,
    media: 'html',
    when:
      'The id_token_hint is not an ID token this provider signed (an expired one is taken), or was issued to another client than `client_id`; the post_logout_redirect_uri is not one the client (`client_id`, else the hint\'s `aud`) registered; or a parameter is repeated. An error page, never a redirect; nothing is ended.',
    headers: PAGE_HEADERS,
  },
  pageStaleLogoutForm: {
    status: 400,
    media: 'html',
    when: `The form's \`csrf\` field does not equal the \`${HOSTED_COOKIES.csrf}\` cookie (posted from another site, or the cookie expired): nothing is ended.`,
    headers: PAGE_HEADERS,
  },
  pageUnavailable: {
    status: 503,
    media: 'html',
    when: 'DynamoDB or the mail queue failed: a page asks the user to retry. Nothing was lost.',
    headers: [...PAGE_HEADERS, 'retryAfter'],
  },
  pageFault: {
    status: 500,
    media: 'html',
    when: 'An unexpected fault: a page that says nothing about the server.',
    headers: PAGE_HEADERS,
  },
} as const satisfies Record<string, Failure>;

type FailureKey = keyof typeof FAILURES;

/** The failures of a body the route parses as JSON, or as OAuth parameters (form or JSON). */
const JSON_BODY_FAILURES = ['malformedJson', 'tooLarge', 'mediaType'] as const satisfies readonly FailureKey[];
const OAUTH_BODY_FAILURES = ['malformedParams', 'tooLarge', 'mediaType'] as const satisfies readonly FailureKey[];
/** What any route can meet at API Gateway or as a fault, whatever it does (scripts/local-gateway/gateway-responses.js). */
const EDGE_FAILURES = ['stageThrottle', 'serverFault', 'functionFailure', 'functionTimeout'] as const satisfies readonly FailureKey[];
/** What a route behind the authorizer can answer before its handler decides anything. */
const AUTHORIZER_FAILURES = ['refusedToken', 'expiredSinceAllowed', 'insufficientScope', 'authorizerFailure'] as const satisfies readonly FailureKey[];
/** What any hosted page can answer, whatever it does. */
const PAGE_FAILURES = ['pageUnavailable', 'pageFault'] as const satisfies readonly FailureKey[];
/** The failures of a form a hosted page posts, before the form is read (lib/params.ts parseOAuthParams). */
const PAGE_FORM_FAILURES = ['pageBadParams', 'pageTooLarge', 'pageMediaType'] as const satisfies readonly FailureKey[];

/** An answer to a request that did what it asked: JSON (by its schema, or no body), a hosted page, or a redirect. */
interface Success {
  status: 200 | 201 | 202 | 204 | 303;
  description: string;
  /** The JSON body; none for an empty one. */
  schema?: SchemaName;
  /** A hosted page (text/html), for a person to read, instead of JSON. */
  media?: 'html';
  headers: readonly HeaderKey[];
}

interface Route {
  method: HttpMethod;
  path: string;
  operationId: string;
  tag: TagName;
  summary: string;
  description: string;
  /** Behind the authorizer, with the scope the handler requires (lib/scopes.ts ROUTE_SCOPES). */
  scope?: string;
  /** Not behind the authorizer, but one form of the request takes a bearer token with this scope. */
  optionalBearerScope?: string;
  /** `oauth`: a form or a flat JSON object of strings; `form`: what a hosted page's form posts. */
  body?: { schema: SchemaName; media: 'json' | 'oauth' | 'form' };
  parameters?: ParameterObject[];
  /** One answer, or several of distinct statuses (a hosted page, or a redirect). */
  success: Success | readonly Success[];
  failures: readonly FailureKey[];
}

const TAGS = {
  auth: 'Register, log in, refresh and log out (JSON).',
  oauth: 'The OAuth 2.0 token (RFC 6749) and revocation (RFC 7009) endpoints and OpenID Connect userinfo, for standard clients (JSON).',
  provider: 'The OpenID provider: the authorization endpoint and its hosted pages (HTML, no JavaScript), single sign-on and RP-initiated logout.',
  account: 'The caller\'s account, behind the authorizer.',
  recovery:
    'Verifying an address and resetting a forgotten password, with the token of a message sent to the user (no access token): an app\'s page at EMAIL_VERIFICATION_URL or PASSWORD_RESET_URL takes it from the link\'s `token` parameter and posts it here.',
  metadata: 'Public metadata for clients and verifiers (RFC 8414, RFC 7517).',
  example: 'An example of your own API behind this service\'s authorizer (functions/example-orders.ts): not part of the service.',
} as const;

type TagName = keyof typeof TAGS;

const tokens = (status: 200 | 201, description: string): Success => ({
  status,
  description: `${description} The RFC 6749 §5.1 token response.`,
  schema: 'TokenResponse',
  headers: HANDLER_HEADERS,
});

const noContent = (description: string): Success => ({ status: 204, description, headers: HANDLER_HEADERS });
const accepted = (description: string): Success => ({ status: 202, description, schema: 'Accepted', headers: HANDLER_HEADERS });

const metadata = (path: string, operationId: string, summary: string): Route => ({
  method: 'get',
  path,
  operationId,
  tag: 'metadata',
  summary,
  description:
    `The OpenID provider metadata (OpenID Connect Discovery 1.0, RFC 8414), served both as OpenID discovery and as oauth-authorization-server: the authorization code flow with PKCE (S256) through the hosted pages of the authorization endpoint (\`GET ${ENDPOINTS.authorization}\`), and the token, userinfo, end-session, revocation and key set endpoints. \`grant_types_supported\` names \`password\` only while PASSWORD_GRANT is on.`,
  success: { status: 200, description: 'The metadata.', schema: 'ServerMetadata', headers: ['publicCache'] },
  failures: [],
});

/** Cookie mode (lib/cookies.ts, README "Cookie mode"), on the routes that issue or take a refresh token. */
const TRANSPORT: ParameterObject = {
  name: TRANSPORT_HEADER,
  in: 'header',
  required: false,
  description:
    `\`cookie\`: the refresh token travels in HttpOnly cookies (\`${REFRESH_COOKIES.refresh.name}\` on ${REFRESH_COOKIES.refresh.path}, \`${REFRESH_COOKIES.logout.name}\` on ${REFRESH_COOKIES.logout.path}; Secure, SameSite=Strict), set with Set-Cookie and never in a body; a refresh or logout then reads it from its cookie and takes no \`refresh_token\` in the body; logout clears both cookies. \`body\` (the default): in JSON bodies.`,
  schema: { type: 'string', enum: ['cookie', 'body'] },
};

// ---- The OpenID provider: the hosted pages (lib/hosted.ts) and userinfo ----------------------------------

const SCOPE_TOKEN_CLASS = SCOPE_TOKEN.source.replace(/^\^/, '').replace(/\$$/, '');
const SCOPE_LIST = `^${SCOPE_TOKEN_CLASS}(?: ${SCOPE_TOKEN_CLASS})*$`;
const JWT = '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$';
/** 32 bytes in base64url: a CSRF token, an SSO cookie, a PKCE S256 challenge. */
const RANDOM_43 = '^[A-Za-z0-9_-]{43}$';
/** lib/provider.ts: a longer parameter of an authorization request is no client's (a 400 page). */
const MAX_PARAM = 2048;

interface PageParameter {
  required: boolean;
  description: string;
  schema: JsonSchema;
}

const uiLocales: PageParameter = {
  required: false,
  description: `The page's language: space-separated BCP 47 tags, the first of ${UI_LOCALES.join(', ')} wins; else Accept-Language; else en.`,
  schema: { type: 'string', maxLength: MAX_PARAM },
};

/**
 * The authorization request (lib/provider.ts check): the query of GET /oauth/authorize, /oauth/signup and
 * /oauth/forgot, and hidden fields of every form of those pages, checked again at each step.
 */
const AUTHORIZATION_PARAMETERS: Record<string, PageParameter> = {
  response_type: {
    required: true,
    description: 'The authorization code flow, the only one. Missing: `invalid_request`; another: `unsupported_response_type`.',
    schema: { type: 'string', const: 'code' },
  },
  client_id: {
    required: true,
    description: 'A registered client (OAUTH_CLIENTS or `admin client add`); unknown: a 400 page.',
    schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,128}$' },
  },
  redirect_uri: {
    required: true,
    description: 'One the client registered, byte for byte (a registered http loopback IP matches on any port, RFC 8252 §7.3); else a 400 page. The code or the error goes there.',
    schema: { type: 'string', format: 'uri', maxLength: MAX_PARAM },
  },
  scope: {
    required: true,
    description:
      'Space-separated, at least one, each in SCOPES: `openid` for an ID token and userinfo, `profile` and `email` for their claims, and any other this user may have. One that is malformed, unknown or not this user\'s: `invalid_scope`. A third-party client gets them only once the user allows them on the consent page.',
    schema: { type: 'string', pattern: SCOPE_LIST, maxLength: MAX_PARAM },
  },
  state: {
    required: false,
    description: 'Returned unchanged with the code or the error: bind it to the browser to stop cross-site request forgery (RFC 6749 §10.12).',
    schema: { type: 'string', maxLength: MAX_PARAM },
  },
  nonce: {
    required: false,
    description: 'Copied into the ID token\'s `nonce` (OpenID Connect Core §3.1.2.1): check it there.',
    schema: { type: 'string', maxLength: MAX_PARAM },
  },
  code_challenge: {
    required: true,
    description: 'PKCE (RFC 7636), required of every client: the base64url SHA-256 of the code_verifier, 43 characters. Missing or malformed: `invalid_request`.',
    schema: { type: 'string', pattern: RANDOM_43 },
  },
  code_challenge_method: {
    required: true,
    description: '`plain` is refused (`invalid_request`).',
    schema: { type: 'string', const: 'S256' },
  },
  prompt: {
    required: false,
    description:
      'Space-separated. `none`: no page at all, a code or `login_required` / `consent_required` / `interaction_required` (alone, or `invalid_request`); `login` and `select_account`: the sign-in page even with a live sign-in; `consent`: a third-party client\'s consent page again.',
    schema: { type: 'string', pattern: '^(none|login|consent|select_account)( (none|login|consent|select_account))*$' },
  },
  max_age: {
    required: false,
    description: 'Seconds: a sign-in older than this signs in again (its `auth_time` is in the ID token).',
    schema: { type: 'integer', minimum: 0, maximum: 999_999_999 },
  },
  login_hint: {
    required: false,
    description: 'Fills in the username of the sign-in page.',
    schema: { type: 'string', maxLength: MAX_PARAM },
  },
  ui_locales: uiLocales,
  response_mode: {
    required: false,
    description: 'The only mode: the code and the errors come back in the redirect_uri\'s query. Another: `invalid_request`.',
    schema: { type: 'string', const: 'query' },
  },
};

/** RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the query of GET /oauth/end-session, the fields of its form. */
const END_SESSION_PARAMETERS: Record<string, PageParameter> = {
  id_token_hint: {
    required: false,
    description: 'An ID token this provider issued (an expired one is taken). One of this very sign-in of the browser (its `sid`) signs out at once; without it the user confirms first.',
    schema: { type: 'string', pattern: JWT },
  },
  post_logout_redirect_uri: {
    required: false,
    description: 'Where to send the browser after: one the client (`client_id`, else the hint\'s `aud`) registered, exactly; else a 400 page. Without it, the signed-out page.',
    schema: { type: 'string', format: 'uri' },
  },
  client_id: {
    required: false,
    description: 'The client asking; it must be the hint\'s `aud` when both come (else a 400 page).',
    schema: { type: 'string', minLength: 1 },
  },
  state: { required: false, description: 'Returned with the redirect to post_logout_redirect_uri.', schema: { type: 'string' } },
  ui_locales: uiLocales,
};

const RESET_PARAMETERS: Record<string, PageParameter> = {
  token: {
    required: true,
    description: 'The token of a reset message (its link\'s `token`, when PASSWORD_RESET_URL is `<issuer>/oauth/reset`): 64 base64url characters, checked only when the form is posted.',
    schema: { type: 'string' },
  },
  ui_locales: uiLocales,
};

const queryOf = (parameters: Record<string, PageParameter>): ParameterObject[] =>
  Object.entries(parameters).map(([name, { required, description, schema }]) => ({ name, in: 'query', required, description, schema }));

/** The same parameters as form fields (lib/pages.ts posts them back as hidden inputs). */
const fieldsOf = (parameters: Record<string, PageParameter>): Record<string, JsonSchema> =>
  Object.fromEntries(Object.entries(parameters).map(([name, { description, schema }]) => [name, { ...schema, description }]));
const requiredOf = (parameters: Record<string, PageParameter>): string[] =>
  Object.entries(parameters).filter(([, { required }]) => required).map(([name]) => name);

const SSO_COOKIE: ParameterObject = {
  name: HOSTED_COOKIES.session,
  in: 'cookie',
  required: false,
  description:
    'The browser\'s sign-in (single sign-on), set by a sign-in or sign-up at these pages: HttpOnly, Secure, SameSite=Lax (so a client\'s redirect here carries it), Path=/oauth, for BROWSER_SESSION_TTL seconds. It stops counting at once when the password changes or is reset, or the account is disabled or deleted.',
  schema: { type: 'string', pattern: RANDOM_43 },
};

const CSRF_COOKIE: ParameterObject = {
  name: HOSTED_COOKIES.csrf,
  in: 'cookie',
  required: true,
  description:
    'Set by the page that holds the form: HttpOnly, Secure, SameSite=Strict (another site can neither send nor read it), Path=/oauth, for an hour. The form\'s `csrf` field must equal it; else a 403 page (400 at end-session).',
  schema: { type: 'string', pattern: RANDOM_43 },
};

const page = (status: 200 | 202, description: string): Success => ({ status, description, media: 'html', headers: PAGE_HEADERS });
const backToClient = (description: string): Success => ({ status: 303, description, headers: ['authorizationRedirect', ...REDIRECT_HEADERS] });
/** A request whose client and redirect_uri are good but whose rest is not goes back to the client. */
const requestError = backToClient('An error of the authorization request, once its client and redirect_uri are known good (as at the authorization endpoint).');

const userinfo = (method: HttpMethod): Route => ({
  method,
  path: ENDPOINTS.userinfo,
  operationId: method === 'get' ? 'userinfo' : 'userinfoPost',
  tag: 'oauth',
  summary: 'UserInfo endpoint (OpenID Connect Core §5.3)',
  description:
    `The claims of the user the access token speaks for, as far as its scope allows: \`sub\` always; \`preferred_username\` with \`profile\`; \`email\` and \`email_verified\` with \`email\`, and only once the address is verified. GET and POST answer alike; the token goes in Authorization (not in a body). Needs the \`${ROUTE_SCOPES.userinfo}\` scope.`,
  scope: ROUTE_SCOPES.userinfo,
  success: { status: 200, description: 'The claims.', schema: 'Userinfo', headers: HANDLER_HEADERS },
  failures: [...AUTHORIZER_FAILURES, 'goneOrDisabledUser', 'unavailable'],
});

/** Every route of serverless.yml but the OPTIONS preflights (see the info description). */
const ROUTES: readonly Route[] = [
  {
    method: 'post',
    path: '/auth/register',
    operationId: 'register',
    parameters: [TRANSPORT],
    tag: 'auth',
    summary: 'Create an account',
    description:
      'Creates the user and starts its first session: both tokens at sign-up. With `email`, the address is stored unverified and sent a verification message (`POST /auth/email/verify` takes its token); the account exists even if the message cannot be queued (`POST /auth/email` sends another). Whether another account holds the address is not said here: only the verification answers it (409 `email_taken`).',
    body: { schema: 'RegisterRequest', media: 'json' },
    success: tokens(201, 'The account exists and its first session started.'),
    failures: [...JSON_BODY_FAILURES, 'registerScope', 'usernameTaken', 'unavailable'],
  },
  {
    method: 'post',
    path: '/auth/login',
    operationId: 'login',
    parameters: [TRANSPORT],
    tag: 'auth',
    summary: 'Log in',
    description:
      'Checks the password and starts a session: the password grant in JSON, so only while PASSWORD_GRANT is on, and not for a registered third-party client (which signs users in through the authorization endpoint). Each attempt is counted before the password is checked; a right password gives the attempts back. A disabled account cannot log in: a wrong password gets the answer of any wrong password; only the right one learns that the account is disabled.',
    body: { schema: 'LoginRequest', media: 'json' },
    success: tokens(200, 'A new session.'),
    failures: [...JSON_BODY_FAILURES, 'passwordGrantOff', 'thirdPartyPasswordGrant', 'badCredentials', 'disabledAccount', 'loginScope', 'throttled', 'unavailable'],
  },
  {
    method: 'post',
    path: '/auth/refresh',
    operationId: 'refresh',
    parameters: [TRANSPORT],
    tag: 'auth',
    summary: 'Refresh the tokens',
    description:
      'Rotates the refresh token inside its session and issues a new access token. The previous refresh token, presented again within REFRESH_TOKEN_REUSE_GRACE seconds, gets the same successor.',
    body: { schema: 'RefreshRequest', media: 'json' },
    success: tokens(200, 'A new access token and the rotated refresh token.'),
    failures: [...JSON_BODY_FAILURES, 'badRefreshToken', 'widerScope', 'unavailable'],
  },
  {
    method: 'post',
    path: '/auth/logout',
    operationId: 'logout',
    parameters: [TRANSPORT],
    tag: 'auth',
    summary: 'Log out of one session, or of every session',
    description:
      `\`{refresh_token}\` ends that token's session; an unknown refresh token is not an error (RFC 7009 §2.2). \`{all: true}\` ends every session of the user, the caller's included, and needs a bearer access token with the \`${ROUTE_SCOPES.account}\` scope in Authorization: this route is not behind the authorizer, the handler verifies that token itself.`,
    optionalBearerScope: ROUTE_SCOPES.account,
    body: { schema: 'LogoutRequest', media: 'json' },
    success: noContent('The session, or every session, has ended.'),
    failures: [...JSON_BODY_FAILURES, 'logoutAllToken', 'logoutAllScope', 'unavailable'],
  },
  {
    method: 'post',
    path: ENDPOINTS.token,
    operationId: 'token',
    tag: 'oauth',
    summary: 'Token endpoint (RFC 6749 §4.1.3, §4.3, §6)',
    description:
      `As an RFC 6749 form or as a flat JSON object of strings: the authorization_code grant with PKCE (RFC 7636), which redeems a code of the authorization endpoint for a registered client; the refresh_token grant; and the password grant, only while PASSWORD_GRANT is on and not for a registered third-party client. A registered confidential client authenticates for every grant, by HTTP Basic (\`Authorization: Basic\`, its client_id and secret form-URL-encoded, RFC 6749 §2.3.1) or by \`client_secret\` in the body, never both; any other client is public and sends its \`client_id\` alone. A code works once, within 60 seconds; redeemed with the \`openid\` scope, the answer carries an \`id_token\`.`,
    body: { schema: 'TokenRequest', media: 'oauth' },
    success: tokens(200, 'A new session (authorization_code and password grants), or a new access token and the rotated refresh token (refresh_token grant).'),
    failures: [
      ...OAUTH_BODY_FAILURES, 'unsupportedGrant', 'passwordGrantOff', 'thirdPartyPasswordGrant', 'badClient', 'badCode', 'badCredentials', 'disabledAccount', 'badRefreshToken',
      'loginScope', 'widerScope', 'throttled', 'unavailable',
    ],
  },
  {
    method: 'post',
    path: ENDPOINTS.revocation,
    operationId: 'revoke',
    tag: 'oauth',
    summary: 'Revocation endpoint (RFC 7009)',
    description:
      'A refresh token ends its session. Access tokens are stateless and cannot be revoked; they, unknown and invalid tokens all get 200 as well (RFC 7009 §2.2), so nothing can be probed.',
    body: { schema: 'RevocationRequest', media: 'oauth' },
    success: { status: 200, description: 'Revoked, or nothing to revoke.', schema: 'Revoked', headers: HANDLER_HEADERS },
    failures: [...OAUTH_BODY_FAILURES, 'unavailable'],
  },
  userinfo('get'),
  userinfo('post'),
  {
    method: 'get',
    path: ENDPOINTS.authorization,
    operationId: 'authorize',
    tag: 'provider',
    summary: 'Authorization endpoint (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2)',
    description:
      'Where a client sends the browser to sign a user in, by the authorization code flow with PKCE (S256), the only flow. The client and its redirect_uri are checked first: until both are known good, a 400 page, never a redirect; after, every answer goes back to the client (303). A live sign-in of this browser is single sign-on: a code at once, with no page, for a first-party client or one the user has allowed these scopes. Request objects are not supported (`request`: `request_not_supported`; `request_uri`: `request_uri_not_supported`). The client redeems the code at `POST /oauth/token` (grant_type=authorization_code) within 60 seconds.',
    parameters: [...queryOf(AUTHORIZATION_PARAMETERS), SSO_COOKIE],
    success: [
      page(
        200,
        'The sign-in page: no live sign-in in this browser, or one older than `max_age`, or `prompt` login or select_account. With a live sign-in, for a third-party client this user has not allowed these scopes (or `prompt=consent`), the consent page. Either posts to `POST /oauth/authorize`.',
      ),
      backToClient(
        'With a live sign-in and, for a third-party client, the user\'s consent: the code (after single sign-on, a public client at a loopback or private-use redirect URI gets the consent page first, RFC 8252 §8.6). Else an error: `login_required`, `consent_required` or `interaction_required` for `prompt=none`, `invalid_scope` for a scope this user may not have, or any other problem of the request.',
      ),
    ],
    failures: ['pageBadRequest', ...PAGE_FAILURES],
  },
  {
    method: 'post',
    path: ENDPOINTS.authorization,
    operationId: 'authorizeForm',
    tag: 'provider',
    summary: 'Sign in, or allow or deny a client (the sign-in and consent pages\' forms)',
    description:
      `What the sign-in page (\`action=login\`) and the consent page (\`action=consent\` or \`deny\`) post, the authorization request in hidden fields, checked again as at GET: nothing a form says is trusted more than the query. The password goes through the guard of \`POST /auth/login\`: the same counters. A sign-in starts a new sign-in of the browser (\`${HOSTED_COOKIES.session}\`), replacing any earlier one; consent is remembered with it.`,
    parameters: [CSRF_COOKIE, SSO_COOKIE],
    body: { schema: 'SignInForm', media: 'form' },
    success: [
      page(200, 'Signed in, for a third-party client this user has not allowed these scopes: the consent page. Consent posted with no live sign-in (it ended meanwhile): the sign-in page.'),
      backToClient('Signed in (the cookie set), or consent given: the code. Denied: `access_denied`. A scope this user may not have: `invalid_scope`. Any other error of the request, as at GET.'),
    ],
    failures: [...PAGE_FORM_FAILURES, 'pageBadRequest', 'pageWrongPassword', 'pageCsrf', 'pageDisabled', 'pageLoginThrottled', ...PAGE_FAILURES],
  },
  {
    method: 'get',
    path: '/oauth/signup',
    operationId: 'signUpPage',
    tag: 'provider',
    summary: 'The sign-up page',
    description: 'The account creation form, for the authorization request in the query (the sign-in page links here with it), checked as at the authorization endpoint.',
    parameters: queryOf(AUTHORIZATION_PARAMETERS),
    success: [page(200, 'The sign-up form, posting to `POST /oauth/signup`.'), requestError],
    failures: ['pageBadRequest', ...PAGE_FAILURES],
  },
  {
    method: 'post',
    path: '/oauth/signup',
    operationId: 'signUp',
    tag: 'provider',
    summary: 'Create an account and sign in (the sign-up form)',
    description:
      'Makes the account under the rules of `POST /auth/register` (an address is sent a verification message) and signs the browser in with it, as a sign-in does; then goes on with the authorization request of the hidden fields, checked again.',
    parameters: [CSRF_COOKIE, SSO_COOKIE],
    body: { schema: 'SignUpForm', media: 'form' },
    success: [
      page(200, 'The account exists and the browser is signed in; a third-party client this user has not allowed these scopes gets the consent page.'),
      backToClient('The account exists and the browser is signed in (the cookie set): the code; or an error of the request, as at GET /oauth/authorize.'),
    ],
    failures: [...PAGE_FORM_FAILURES, 'pageBadRequest', 'pageSignUpRefused', 'pageCsrf', 'pageUsernameTaken', ...PAGE_FAILURES],
  },
  {
    method: 'get',
    path: '/oauth/forgot',
    operationId: 'forgotPage',
    tag: 'provider',
    summary: 'The forgotten-password page',
    description: 'Asks for the account whose password to reset, for the authorization request in the query (the sign-in page links here with it), checked as at the authorization endpoint.',
    parameters: queryOf(AUTHORIZATION_PARAMETERS),
    success: [page(200, 'The form, posting to `POST /oauth/forgot`.'), requestError],
    failures: ['pageBadRequest', ...PAGE_FAILURES],
  },
  {
    method: 'post',
    path: '/oauth/forgot',
    operationId: 'forgot',
    tag: 'provider',
    summary: 'Ask for a password reset message (the forgotten-password form)',
    description:
      'As `POST /auth/password/forgot`: a value with `@` is looked up as a verified address, any other as a username. If the account exists, is not disabled and has a verified address, a reset message goes to it; its link opens PASSWORD_RESET_URL (the hosted `GET /oauth/reset` when it is `<issuer>/oauth/reset`). The answer is the same for every account and none.',
    parameters: [CSRF_COOKIE],
    body: { schema: 'ForgotForm', media: 'form' },
    success: [page(202, 'The "check your email" page: the same for every account and none, linking back to sign-in.'), requestError],
    failures: [...PAGE_FORM_FAILURES, 'pageBadRequest', 'pageForgotRefused', 'pageCsrf', 'pageResetThrottled', ...PAGE_FAILURES],
  },
  {
    method: 'get',
    path: '/oauth/reset',
    operationId: 'resetPage',
    tag: 'provider',
    summary: 'The new-password page of a reset link',
    description: 'The form a reset message\'s link opens. It belongs to no authorization request, and links nowhere.',
    parameters: queryOf(RESET_PARAMETERS),
    success: page(200, 'The new-password form, posting to `POST /oauth/reset` with the token.'),
    failures: ['pageBadParams', ...PAGE_FAILURES],
  },
  {
    method: 'post',
    path: '/oauth/reset',
    operationId: 'reset',
    tag: 'provider',
    summary: 'Set a new password with the token of a reset message (the new-password form)',
    description:
      'As `POST /auth/password/reset`: one write sets the password, spends the token and ends every session of the account, and with them the sign-in of every browser. The user signs in again.',
    parameters: [CSRF_COOKIE],
    body: { schema: 'ResetForm', media: 'form' },
    success: page(200, 'The password has changed: the page says so, and links nowhere.'),
    failures: [...PAGE_FORM_FAILURES, 'pageResetRefused', 'pageCsrf', ...PAGE_FAILURES],
  },
  {
    method: 'get',
    path: ENDPOINTS.endSession,
    operationId: 'endSession',
    tag: 'provider',
    summary: 'End-session endpoint (OpenID Connect RP-Initiated Logout 1.0)',
    description:
      `Signs the browser out: ends its sign-in (\`${HOSTED_COOKIES.session}\`, cleared) and every session started through it, so their refresh tokens stop working; access tokens already issued live until they expire. At once when there is no live sign-in, or \`id_token_hint\` is an ID token of this very sign-in; otherwise the user confirms on a page first, so that no other site can sign them out.`,
    parameters: [...queryOf(END_SESSION_PARAMETERS), SSO_COOKIE],
    success: [
      page(200, 'The confirmation page (its form posts to `POST /oauth/end-session`), or, signed out with no post_logout_redirect_uri, the signed-out page.'),
      { status: 303, description: 'Signed out: back to the post_logout_redirect_uri.', headers: ['logoutRedirect', ...REDIRECT_HEADERS] },
    ],
    failures: ['pageBadLogout', ...PAGE_FAILURES],
  },
  {
    method: 'post',
    path: ENDPOINTS.endSession,
    operationId: 'endSessionForm',
    tag: 'provider',
    summary: 'Confirm signing out (the confirmation page\'s form), or end a session by POST',
    description:
      'The parameters of `GET /oauth/end-session` as form fields, with the page\'s `csrf`. `action=logout` (the confirmation page\'s button) signs out; without it, the answer is the one GET gives.',
    parameters: [CSRF_COOKIE, SSO_COOKIE],
    body: { schema: 'EndSessionForm', media: 'form' },
    success: [
      page(200, 'The signed-out page (no post_logout_redirect_uri), or, without `action=logout`, the confirmation page as at GET.'),
      { status: 303, description: 'Signed out: back to the post_logout_redirect_uri.', headers: ['logoutRedirect', ...REDIRECT_HEADERS] },
    ],
    failures: [...PAGE_FORM_FAILURES, 'pageStaleLogoutForm', 'pageBadLogout', ...PAGE_FAILURES],
  },
  metadata('/.well-known/openid-configuration', 'openidConfiguration', 'OpenID discovery'),
  metadata('/.well-known/oauth-authorization-server', 'oauthAuthorizationServer', 'Authorization server metadata (RFC 8414)'),
  {
    method: 'get',
    path: ENDPOINTS.jwks,
    operationId: 'jwks',
    tag: 'metadata',
    summary: 'The public signing keys (JWK Set)',
    description: 'The public half of every key still accepted, newest first; none when the service signs with HS256.',
    success: { status: 200, description: 'The key set.', schema: 'JsonWebKeySet', headers: ['publicCache'] },
    failures: [],
  },
  {
    method: 'get',
    path: '/me',
    operationId: 'getProfile',
    tag: 'account',
    summary: 'Who the access token speaks for',
    description: 'The user, their address and whether it is verified (theirs alone to see), and the scope of the access token.',
    scope: ROUTE_SCOPES.me,
    success: { status: 200, description: 'The caller.', schema: 'Profile', headers: HANDLER_HEADERS },
    failures: [...AUTHORIZER_FAILURES, 'goneUser', 'unavailable'],
  },
  {
    method: 'get',
    path: '/example/orders',
    operationId: 'exampleListOrders',
    tag: 'example',
    summary: 'An example route of your own behind the authorizer',
    description: 'Reads the caller through the same route wrapper as the service\'s own routes, with its own scope.',
    scope: 'orders:read',
    success: { status: 200, description: 'The caller\'s orders.', schema: 'ExampleOrders', headers: HANDLER_HEADERS },
    failures: [...AUTHORIZER_FAILURES],
  },
  {
    method: 'get',
    path: '/sessions',
    operationId: 'listSessions',
    tag: 'account',
    summary: 'The caller\'s live sessions',
    description: 'Newest first, at most MAX_SESSIONS_PER_USER.',
    scope: ROUTE_SCOPES.sessions,
    success: { status: 200, description: 'The sessions.', schema: 'SessionList', headers: HANDLER_HEADERS },
    failures: [...AUTHORIZER_FAILURES, 'unavailable'],
  },
  {
    method: 'delete',
    path: '/sessions/{id}',
    operationId: 'deleteSession',
    tag: 'account',
    summary: 'End one of the caller\'s sessions',
    description: 'Its refresh token stops working at once; access tokens already issued live until they expire.',
    scope: ROUTE_SCOPES.sessions,
    parameters: [
      {
        name: 'id',
        in: 'path',
        required: true,
        description: 'A session id, as `GET /sessions` lists it and the `sid` claim names it.',
        schema: { type: 'string', minLength: 1 },
      },
    ],
    success: noContent('The session has ended.'),
    failures: [...AUTHORIZER_FAILURES, 'noSuchSession', 'unavailable'],
  },
  {
    method: 'post',
    path: '/auth/password',
    operationId: 'changePassword',
    tag: 'account',
    summary: 'Change the password',
    description:
      'Checks the current password through the same guard as a login, then ends every other session of the user at once, including any whose login ran while it did. The caller\'s own session goes on.',
    scope: ROUTE_SCOPES.account,
    body: { schema: 'PasswordChangeRequest', media: 'json' },
    success: noContent('The password has changed; every other session has ended.'),
    failures: [...AUTHORIZER_FAILURES, ...JSON_BODY_FAILURES, 'goneUser', 'wrongCurrentPassword', 'passwordRace', 'throttled', 'unavailable'],
  },
  {
    method: 'post',
    path: '/auth/email',
    operationId: 'changeEmail',
    tag: 'account',
    summary: 'Give a new address, to be verified',
    description:
      'Needs the current password, checked through the same guard as a login: an access token alone cannot point the account\'s resets at another inbox. The address (normalized) becomes the account\'s `email`, unverified, and is sent a verification message; an earlier verification token stops working, so asking again sends a new one. The address verified before, if any, stays the one resets go to until the new one is verified. The address that is `email` already, and verified, changes nothing and sends nothing. Whether another account holds the address is not said here: only the verification answers it (409 `email_taken`).',
    scope: ROUTE_SCOPES.account,
    body: { schema: 'EmailChangeRequest', media: 'json' },
    success: accepted('The verification message is queued, or the address was the verified one already.'),
    failures: [...AUTHORIZER_FAILURES, ...JSON_BODY_FAILURES, 'goneUser', 'wrongCurrentPassword', 'throttled', 'unavailableMail'],
  },
  {
    method: 'post',
    path: '/auth/email/verify',
    operationId: 'verifyEmail',
    tag: 'recovery',
    summary: 'Verify an address with the token of its message',
    description:
      'The address the token was sent to becomes the account\'s verified address, where password resets go; the one verified before, if any, is free again. An address is verified on one account at most: the first to verify it holds it until that account verifies another address or is deleted. The token works once, for EMAIL_VERIFICATION_TTL seconds, and only while it is the newest of its account.',
    body: { schema: 'EmailVerificationRequest', media: 'json' },
    success: noContent('The address is verified.'),
    failures: [...JSON_BODY_FAILURES, 'badOneTimeToken', 'emailTaken', 'unavailable'],
  },
  {
    method: 'post',
    path: '/auth/password/forgot',
    operationId: 'forgotPassword',
    tag: 'recovery',
    summary: 'Ask for a password reset message',
    description:
      'By `username` or by a verified `email`, exactly one. If the account exists, is not disabled and has a verified address, a message with a reset link goes to that address; its token works once, for PASSWORD_RESET_TTL seconds, and a newer request supersedes it. The status, the body and the work behind them are the same for every account and none, so nothing about an account can be learnt here.',
    body: { schema: 'PasswordForgotRequest', media: 'json' },
    success: accepted('The same answer for every account and none.'),
    failures: [...JSON_BODY_FAILURES, 'resetThrottled', 'unavailableMail'],
  },
  {
    method: 'post',
    path: '/auth/password/reset',
    operationId: 'resetPassword',
    tag: 'recovery',
    summary: 'Set a new password with the token of a reset message',
    description:
      'The new password follows the rules of registration. One conditional write sets it, spends the token and ends every session of the account (the credential version): every refresh token stops working at once, and the user logs in again. A disabled account resets nothing.',
    body: { schema: 'PasswordResetRequest', media: 'json' },
    success: noContent('The password has changed; every session of the account has ended.'),
    failures: [...JSON_BODY_FAILURES, 'badOneTimeToken', 'unavailable'],
  },
  {
    method: 'delete',
    path: '/me',
    operationId: 'deleteAccount',
    tag: 'account',
    summary: 'Delete the account',
    description:
      'Needs the password, checked through the same guard as a login. The user and its pending tokens are gone, its username and verified address are free for anyone at once, and every session ends: refresh tokens stop working at once; access tokens already issued live until they expire.',
    scope: ROUTE_SCOPES.account,
    body: { schema: 'AccountDeletionRequest', media: 'json' },
    success: noContent('The account is gone.'),
    failures: [...AUTHORIZER_FAILURES, ...JSON_BODY_FAILURES, 'goneUser', 'wrongCurrentPassword', 'throttled', 'unavailable'],
  },
];

// ---- Schemas -------------------------------------------------------------------------------------------

const DISTINCT_ROUTE_SCOPES = [...new Set(Object.values(ROUTE_SCOPES))];

const scope: JsonSchema = {
  type: 'string',
  pattern: SCOPE_LIST,
  description: `Space-separated scopes (RFC 6749 §3.3), each one of SCOPES, every scope the service knows (by default DEFAULT_SCOPES; the routes here need ${DISTINCT_ROUTE_SCOPES.join(', ')}). Absent: DEFAULT_SCOPES, which every user may have. A login (or the password grant) may also ask for a scope granted to that user alone, and gets 400 \`invalid_scope\` for one that is neither; a registration may ask for default scopes only.`,
};

/** lib/email.ts's rules, which no JSON Schema keyword states: the handlers check them. */
const email = (description: string): JsonSchema => ({
  type: 'string',
  maxLength: EMAIL_MAX_LENGTH,
  description: `${description} Stored and compared normalized: trimmed, lower case, the domain in its ASCII (punycode) form. A dot-atom local part of ASCII (no quoted strings), a domain of two labels or more with no all-digit top level (no IP literals), at most ${EMAIL_MAX_LENGTH} characters.`,
});

/** lib/one-time-tokens.ts: 48 bytes in base64url. */
const oneTimeToken = (what: string): JsonSchema => ({
  type: 'string',
  pattern: '^[A-Za-z0-9_-]{64}$',
  description: `The token of ${what} (the \`token\` parameter of its link, also printed in the message): 64 base64url characters. It works once, until it expires or a newer one of its account replaces it.`,
});

const clientId: JsonSchema = {
  type: 'string',
  pattern: '^[\\x20-\\x7e]{1,128}$',
  description:
    'A client\'s id (RFC 6749 §2.2), recorded on the session. A session refreshes only for its own client; none named means the default client. An unregistered id is a public client\'s, with no authentication; a registered confidential client authenticates at the token endpoint, and a registered third-party client may not use the password grant.',
};

const clientSecret: JsonSchema = {
  type: 'string',
  minLength: 1,
  description: 'client_secret_post: a registered confidential client\'s secret, unless it uses HTTP Basic (never both). A public client sends none.',
};

const refreshToken: JsonSchema = { type: 'string', minLength: 1, description: 'The refresh token of a token response (opaque).' };

const newUsername: JsonSchema = {
  type: 'string',
  minLength: USERNAME_MIN_LENGTH,
  maxLength: USERNAME_MAX_LENGTH,
  description: `${USERNAME_MIN_LENGTH} to ${USERNAME_MAX_LENGTH} letters, digits and . _ - @ + (RFC 8265 UsernameCaseMapped, with the Unicode UTS #39 checks against invisible, stylized and mixed-script names). Unique regardless of case and width; shown as typed.`,
};

/** The hidden field of every hosted form (lib/hosted.ts). */
const csrfField: JsonSchema = {
  type: 'string',
  pattern: RANDOM_43,
  description: `The page's hidden \`csrf\` field: it must equal the \`${HOSTED_COOKIES.csrf}\` cookie.`,
};

/** Which button of a hosted form was pressed. */
const action = (value: string, description: string): JsonSchema => ({ const: value, description });

const newPassword = (what: string): JsonSchema => ({
  type: 'string',
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
  description: `${what}: ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters as typed (NIST SP 800-63B), and not on the list of common and breached passwords.`,
});

const anyPassword: JsonSchema = { type: 'string', minLength: 1 };

const dateTime = (description: string): JsonSchema => ({ type: 'string', format: 'date-time', description });
const uri = (description: string): JsonSchema => ({ type: 'string', format: 'uri', description });
const listOf = (items: JsonSchema, description: string): JsonSchema => ({ type: 'array', items, description });

/** The fields of the RFC 8414 metadata document; typed by what lib/discovery.ts returns, so none is missed. */
const METADATA_FIELDS: Record<keyof ReturnType<typeof discoveryDocument>, JsonSchema> = {
  issuer: uri('ISSUER: the `iss` of every access token and ID token.'),
  authorization_endpoint: uri(`The issuer plus ${ENDPOINTS.authorization}: the hosted sign-in page.`),
  token_endpoint: uri(`The issuer plus ${ENDPOINTS.token}.`),
  userinfo_endpoint: uri(`The issuer plus ${ENDPOINTS.userinfo}.`),
  end_session_endpoint: uri(`The issuer plus ${ENDPOINTS.endSession} (RP-initiated logout).`),
  revocation_endpoint: uri(`The issuer plus ${ENDPOINTS.revocation}.`),
  jwks_uri: uri(`The issuer plus ${ENDPOINTS.jwks}.`),
  grant_types_supported: listOf({ enum: [...GRANT_TYPES] }, 'The grants of the token endpoint; `password` only while PASSWORD_GRANT is on.'),
  response_types_supported: listOf({ const: 'code' }, 'The authorization code flow only.'),
  response_modes_supported: listOf({ const: 'query' }, 'The code and the errors come back in the redirect URI\'s query.'),
  subject_types_supported: listOf({ const: 'public' }, 'One `sub` per user for every client.'),
  scopes_supported: listOf({ type: 'string', pattern: SCOPE_TOKEN.source }, 'SCOPES: every scope this service knows, those every user may have (DEFAULT_SCOPES, openid, email) and those granted to some users only.'),
  claims_supported: listOf({ type: 'string' }, 'The claims of ID tokens and userinfo.'),
  prompt_values_supported: listOf({ enum: ['none', 'login', 'consent', 'select_account'] }, 'The prompt values the authorization endpoint understands.'),
  ui_locales_supported: listOf({ enum: [...UI_LOCALES] }, 'The languages of the hosted pages.'),
  id_token_signing_alg_values_supported: listOf({ enum: [...SIGNING_ALGORITHMS] }, 'SIGNING_ALG: how ID tokens are signed.'),
  code_challenge_methods_supported: listOf({ const: 'S256' }, 'PKCE (RFC 7636) is required of every client, with S256; plain is refused.'),
  authorization_response_iss_parameter_supported: { type: 'boolean', const: true, description: 'Every authorization response carries `iss` (RFC 9207).' },
  request_parameter_supported: { type: 'boolean', const: false },
  request_uri_parameter_supported: { type: 'boolean', const: false },
  token_endpoint_auth_methods_supported: listOf({ enum: ['none', 'client_secret_basic', 'client_secret_post'] }, 'Public clients send only their client_id; registered confidential clients authenticate.'),
  revocation_endpoint_auth_methods_supported: listOf({ const: 'none' }, 'Public clients only.'),
  access_token_signing_alg_values_supported: listOf({ enum: [...SIGNING_ALGORITHMS] }, 'SIGNING_ALG: how access tokens are signed.'),
};

/** JWA (RFC 7518) names its HMAC algorithms HS*: their keys are secrets, never published. */
const PUBLISHED_ALGORITHMS = SIGNING_ALGORITHMS.filter((alg) => !alg.startsWith('HS'));
/** The private members of a JWK (RFC 7518 §6), which a published key never has. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const object = (properties: Record<string, JsonSchema>, required: string[], extra: JsonSchema = {}): JsonSchema => ({
  type: 'object',
  properties,
  required,
  ...extra,
});

/** Request schemas leave unknown members alone (the handlers ignore them); response schemas are exact. */
const exact = (properties: Record<string, JsonSchema>, required: string[], extra: JsonSchema = {}): JsonSchema =>
  object(properties, required, { additionalProperties: false, ...extra });

/** The parameters of each grant of the token endpoint. */
const GRANTS: Record<(typeof GRANT_TYPES)[number], { title: string; properties: Record<string, JsonSchema>; required: string[] }> = {
  authorization_code: {
    title: 'Authorization code grant with PKCE (RFC 6749 §4.1.3, RFC 7636 §4.5)',
    properties: {
      code: { type: 'string', minLength: 1, description: 'The code from the redirect: single-use, 60 seconds.' },
      redirect_uri: uri('The redirect_uri of the authorization request, exactly.'),
      code_verifier: { type: 'string', pattern: '^[A-Za-z0-9._~-]{43,128}$', description: 'The PKCE verifier whose S256 is the request\'s code_challenge.' },
      client_id: { type: 'string', minLength: 1, description: 'The client the code was issued to (or in HTTP Basic, for a confidential client).' },
    },
    required: ['code', 'redirect_uri', 'code_verifier'],
  },
  password: {
    title: 'Resource owner password credentials grant (RFC 6749 §4.3)',
    properties: { username: { type: 'string', minLength: 1 }, password: anyPassword },
    required: ['username', 'password'],
  },
  refresh_token: {
    title: 'Refresh grant (RFC 6749 §6)',
    properties: { refresh_token: refreshToken },
    required: ['refresh_token'],
  },
};

const SCHEMAS: Record<SchemaName, JsonSchema> = {
  Error: exact(
    {
      code: { type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status, repeated.' },
      error: {
        type: 'string',
        enum: ERROR_CODES,
        description: ERROR_CODES.map((code) => `\`${code}\`: ${ERROR_MEANINGS[code]}`).join('\n'),
      },
      error_description: { type: 'string', description: 'A short text for a developer; a 5xx says nothing about the server.' },
    },
    ['code', 'error', 'error_description'],
    { description: 'The body of every error (RFC 6749 §5.2 codes, RFC 6750 for bearer tokens).' },
  ),
  TokenResponse: exact(
    {
      token_type: { type: 'string', const: 'Bearer' },
      access_token: {
        type: 'string',
        pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
        description: 'A signed JWT (RFC 9068: `typ` at+jwt; claims iss, sub, aud, exp, iat, jti, client_id, scope, sid).',
      },
      expires_in: { type: 'integer', minimum: 1, description: 'Seconds until the access token expires (ACCESS_TOKEN_TTL).' },
      refresh_token: {
        type: 'string',
        minLength: 1,
        description: 'Opaque; each refresh rotates it (a retry within the reuse grace gets the same successor). Absent in cookie mode (Refresh-Token-Transport: cookie), where it is in the cookies.',
      },
      scope: { type: 'string', description: 'The scopes granted, space-separated.' },
      id_token: {
        type: 'string',
        pattern: JWT,
        description:
          'The OpenID Connect ID token (Core §2), for a code redeemed with the `openid` scope only: a signed JWT, `typ` JWT (never at+jwt, so no API takes it for an access token), with iss, sub, aud (the client_id), exp (ACCESS_TOKEN_TTL seconds, 300 at least), iat, auth_time (the browser\'s sign-in), nonce (the request\'s, if it had one), amr (`["pwd"]`) and sid (the browser\'s sign-in, as end-session\'s id_token_hint names it). Verify it with the key set, and check its nonce.',
      },
    },
    ['token_type', 'access_token', 'expires_in', 'scope'],
    { description: 'RFC 6749 §5.1.' },
  ),
  RegisterRequest: object(
    {
      username: newUsername,
      password: newPassword('The password'),
      email: email('An address for password resets, sent a verification message; verified only once its token comes back (`POST /auth/email/verify`).'),
      scope,
      client_id: clientId,
    },
    ['username', 'password'],
  ),
  LoginRequest: object(
    {
      username: { type: 'string', minLength: 1, description: 'Looked up leniently (NFKC, lower case).' },
      password: anyPassword,
      scope,
      client_id: clientId,
    },
    ['username', 'password'],
  ),
  RefreshRequest: object({ refresh_token: refreshToken, scope, client_id: clientId }, [], {
    description:
      'A `scope` narrows the new access token\'s scope; it can never widen past the session\'s. `refresh_token` is required, except in cookie mode, where it must be absent.',
  }),
  LogoutRequest: {
    type: 'object',
    oneOf: [
      object({ refresh_token: refreshToken, all: { const: false } }, [], {
        title: 'One session',
        description: '`refresh_token` is required, except in cookie mode, where it must be absent.',
      }),
      object({ all: { const: true } }, ['all'], {
        title: 'Every session',
        description: `Needs \`Authorization: Bearer <access token>\` with the \`${ROUTE_SCOPES.account}\` scope.`,
      }),
    ],
  },
  PasswordChangeRequest: object(
    { password: { ...anyPassword, description: 'The current password.' }, new_password: newPassword('The new password') },
    ['password', 'new_password'],
  ),
  EmailChangeRequest: object(
    {
      email: email('The new address, sent a verification message.'),
      password: { ...anyPassword, description: 'The current password.' },
    },
    ['email', 'password'],
  ),
  EmailVerificationRequest: object({ token: oneTimeToken('a verification message') }, ['token']),
  PasswordForgotRequest: {
    type: 'object',
    description: 'Exactly one of `username` and `email`.',
    oneOf: [
      object({ username: { type: 'string', minLength: 1, description: 'Looked up leniently, as at login (NFKC, lower case).' } }, ['username'], { title: 'By username' }),
      object({ email: email('The account\'s verified address; an address not yet verified finds no account.') }, ['email'], { title: 'By verified address' }),
    ],
  },
  PasswordResetRequest: object(
    { token: oneTimeToken('a reset message'), new_password: newPassword('The new password') },
    ['token', 'new_password'],
  ),
  AccountDeletionRequest: object({ password: { ...anyPassword, description: 'The current password.' } }, ['password']),
  Accepted: exact(
    { message: { type: 'string', minLength: 1, description: 'A sentence for a person; it says nothing about the account.' } },
    ['message'],
    { description: 'The request is taken; any message is on its way (202).' },
  ),
  TokenRequest: {
    type: 'object',
    description: 'Form fields (application/x-www-form-urlencoded) or a flat JSON object of strings; each parameter at most once.',
    oneOf: Object.entries(GRANTS).map(([grantType, grant]) =>
      object({ grant_type: { const: grantType }, scope, client_id: clientId, client_secret: clientSecret, ...grant.properties }, ['grant_type', ...grant.required], {
        title: grant.title,
      }),
    ),
  },
  RevocationRequest: object(
    {
      token: { type: 'string', minLength: 1, description: 'A refresh token ends its session; any other value is ignored.' },
      token_type_hint: { type: 'string', description: 'Accepted and ignored (RFC 7009 §2.1).' },
      client_id: clientId,
    },
    ['token'],
  ),
  Revoked: exact({}, [], { description: 'An empty object.' }),
  Profile: exact(
    {
      sub: { type: 'string', format: 'uuid', description: 'The stable user id, the `sub` of its access tokens (never the username).' },
      username: { type: 'string', description: 'As typed at registration (width-mapped, NFC).' },
      email: {
        type: ['string', 'null'],
        description: 'The address last given (at registration or by `POST /auth/email`), normalized, verified or not; null when none was given. The user\'s alone to see.',
      },
      email_verified: {
        type: 'boolean',
        description: 'Whether `email` is verified. While a new address waits for its verification, resets still go to the address verified before, if any.',
      },
      scope: { type: 'string', description: 'The scope of the access token presented.' },
    },
    ['sub', 'username', 'email', 'email_verified', 'scope'],
  ),
  Session: exact(
    {
      id: { type: 'string', minLength: 1, description: 'The session id, the `sid` claim of its access tokens.' },
      clientId: { type: 'string', minLength: 1, description: 'The client the session was started for (`client_id`).' },
      device: {
        type: ['string', 'null'],
        maxLength: 64,
        description: 'The browser and OS of the login, described from its User-Agent ("Chrome on macOS"); null when unrecognised. The raw User-Agent is not stored.',
      },
      createdAt: dateTime('The login.'),
      lastUsedAt: dateTime('The last refresh, or the login.'),
      lastSeenFrom: {
        type: ['string', 'null'],
        description: 'The network of the last refresh or the login, coarsely: its /24 (IPv4) or /48 (IPv6), as "203.0.113.0/24"; null when unknown.',
      },
      expiresAt: dateTime('The idle deadline, never past the absolute one.'),
      current: { type: 'boolean', description: 'True for the session of the access token presented.' },
    },
    ['id', 'clientId', 'device', 'createdAt', 'lastUsedAt', 'lastSeenFrom', 'expiresAt', 'current'],
  ),
  SessionList: exact({ sessions: listOf(ref('Session'), 'Newest first.') }, ['sessions']),
  ExampleOrders: exact(
    {
      owner: { type: 'string', format: 'uuid', description: 'The caller\'s `sub`.' },
      client_id: { type: 'string', description: 'The client the caller\'s session belongs to.' },
      scope: { type: 'string', description: 'The scope of the access token presented.' },
      orders: listOf(object({ id: { type: 'string' }, total: { type: 'string' }, currency: { type: 'string' } }, ['id', 'total', 'currency']), 'The caller\'s orders.'),
    },
    ['owner', 'client_id', 'scope', 'orders'],
  ),
  Userinfo: exact(
    {
      sub: { type: 'string', format: 'uuid', description: 'The stable user id, the `sub` of its access and ID tokens.' },
      preferred_username: { type: 'string', description: 'With the `profile` scope: the username as typed at registration.' },
      email: { type: 'string', description: 'With the `email` scope, once the address is verified: the verified address, normalized.' },
      email_verified: { type: 'boolean', const: true, description: 'With `email`: only a verified address is given.' },
    },
    ['sub'],
    { description: 'OpenID Connect Core §5.3.2: the claims the access token\'s scope allows.', dependentRequired: { email: ['email_verified'], email_verified: ['email'] } },
  ),
  AuthorizationRequest: object(fieldsOf(AUTHORIZATION_PARAMETERS), requiredOf(AUTHORIZATION_PARAMETERS), {
    description: 'The authorization request, as the query of the authorization endpoint has it; the hosted forms carry it in hidden fields.',
  }),
  SignInForm: {
    type: 'object',
    description:
      'The sign-in page\'s form, or the consent page\'s: the authorization request in hidden fields, the `csrf` field, and the button pressed (`action`). Without `action`, a POST is an authorization request itself, which OpenID Connect Core §3.1.2.1 lets a client send by POST as by GET, from any site.',
    allOf: [ref('AuthorizationRequest')],
    oneOf: [
      object(
        {
          csrf: csrfField,
          action: action('login', 'The sign-in button.'),
          username: { type: 'string', minLength: 1, description: 'Looked up leniently, as at login (NFKC, lower case).' },
          password: anyPassword,
        },
        ['csrf', 'action', 'username', 'password'],
        { title: 'Sign in' },
      ),
      object(
        {
          csrf: csrfField,
          action: { enum: ['consent', 'deny'], description: 'The consent page\'s buttons: allow the client the scopes asked (taken once, and only as the answer to the page shown for this very request), or deny it (`access_denied`).' },
        },
        ['csrf', 'action'],
        { title: 'Allow or deny' },
      ),
      object({}, [], { title: 'An authorization request by POST', not: { required: ['action'] } }),
    ],
  },
  SignUpForm: {
    type: 'object',
    description: 'The sign-up page\'s form: the authorization request in hidden fields, the `csrf` field and the new account.',
    allOf: [
      ref('AuthorizationRequest'),
      object(
        {
          csrf: csrfField,
          action: action('signup', 'The button.'),
          username: newUsername,
          email: email('Optional: an address for password resets, sent a verification message.'),
          password: newPassword('The password'),
        },
        ['csrf', 'username', 'password'],
      ),
    ],
  },
  ForgotForm: {
    type: 'object',
    description: 'The forgotten-password page\'s form: the authorization request in hidden fields (to link back to sign-in), the `csrf` field and the account.',
    allOf: [
      ref('AuthorizationRequest'),
      object(
        {
          csrf: csrfField,
          action: action('forgot', 'The button.'),
          username: { type: 'string', minLength: 1, description: 'A username, or (with `@`) the account\'s verified address.' },
        },
        ['csrf', 'username'],
      ),
    ],
  },
  ResetForm: object(
    {
      csrf: csrfField,
      action: action('reset', 'The button.'),
      token: oneTimeToken('a reset message'),
      new_password: newPassword('The new password'),
      ui_locales: { ...uiLocales.schema, description: uiLocales.description },
    },
    ['csrf', 'token', 'new_password'],
    { description: 'The new-password page\'s form.' },
  ),
  EndSessionForm: object(
    {
      ...fieldsOf(END_SESSION_PARAMETERS),
      csrf: csrfField,
      action: action('logout', 'The confirmation page\'s button: sign out. Without it, the confirmation page (if there is a live sign-in that id_token_hint is not of).'),
    },
    ['csrf'],
    { description: 'The confirmation page\'s form: the end-session parameters in hidden fields.' },
  ),
  ServerMetadata: exact(METADATA_FIELDS, Object.keys(METADATA_FIELDS), { description: 'RFC 8414 §2.' }),
  JsonWebKeySet: exact({ keys: listOf(ref('JsonWebKey'), 'Newest first.') }, ['keys'], { description: 'RFC 7517 §5.' }),
  JsonWebKey: object(
    {
      kty: { type: 'string', enum: ['EC', 'RSA', 'OKP'] },
      kid: { type: 'string', minLength: 1, description: 'The key\'s RFC 7638 thumbprint; access tokens name it.' },
      alg: { type: 'string', enum: PUBLISHED_ALGORITHMS },
      use: { type: 'string', const: 'sig' },
    },
    ['kty', 'kid', 'alg', 'use'],
    {
      description: 'A public key (RFC 7517): never a private member.',
      propertyNames: { not: { enum: PRIVATE_JWK_MEMBERS } },
    },
  ),
};

// ---- Assembly ------------------------------------------------------------------------------------------

/** The headers named; one that only some answers carry (Set-Cookie) is never required. */
function headerObjects(keys: readonly HeaderKey[], required: (key: HeaderKey) => boolean): Record<string, HeaderObject> {
  const headers: Record<string, HeaderObject> = {};
  for (const key of keys) {
    const header: { name: string; description: string; schema: JsonSchema; optional?: true } = HEADERS[key];
    headers[header.name] = { description: header.description, required: header.optional !== true && required(key), schema: header.schema };
  }
  return headers;
}

/** A hosted page's body (lib/pages.ts). */
const PAGE_CONTENT: Record<string, MediaTypeObject> = {
  'text/html': {
    schema: {
      type: 'string',
      description: 'A page for a person (text/html; charset=utf-8), in the language of ui_locales or Accept-Language, with no script; not for a program to read.',
    },
  },
};

function successResponse(success: Success): ResponseObject {
  const content = success.media === 'html' ? PAGE_CONTENT : success.schema ? { 'application/json': { schema: ref(success.schema) } } : undefined;
  return { description: success.description, headers: headerObjects(success.headers, () => true), ...(content ? { content } : {}) };
}

/**
 * One response per status: the codes its failures can carry, what each means here, and the headers they
 * have in common (required) or not (documented, optional).
 */
function errorResponses(keys: readonly FailureKey[]): Record<string, ResponseObject> {
  const byStatus = new Map<number, Failure[]>();
  for (const key of keys) {
    const failure: Failure = FAILURES[key];
    byStatus.set(failure.status, [...(byStatus.get(failure.status) ?? []), failure]);
  }
  const responses: Record<string, ResponseObject> = {};
  for (const [status, failures] of [...byStatus].sort(([a], [b]) => a - b)) {
    const codes = [...new Set(failures.flatMap((failure) => (failure.code === undefined ? [] : [failure.code])))];
    const headerKeys = [...new Set(failures.flatMap((failure) => failure.headers))];
    responses[String(status)] = {
      description: failures.map((failure) => `${failure.code === undefined ? 'A page' : `\`${failure.code}\``}: ${failure.when}`).join('\n\n'),
      headers: headerObjects(headerKeys, (key) => failures.every((failure) => failure.headers.includes(key))),
      content: {
        ...(codes.length > 0
          ? { 'application/json': { schema: { allOf: [ref('Error'), { type: 'object', properties: { code: { const: status }, error: { enum: codes } } }] } } }
          : {}),
        ...(failures.some((failure) => failure.media === 'html') ? PAGE_CONTENT : {}),
      },
    };
  }
  return responses;
}

function operation(route: Route): OperationObject {
  const successes: readonly Success[] = 'status' in route.success ? [route.success] : route.success;
  const security: SecurityRequirement[] | undefined = route.scope !== undefined
    ? [{ bearer: [route.scope] }]
    : route.optionalBearerScope !== undefined
      ? [{}, { bearer: [route.optionalBearerScope] }]
      : undefined;
  const schema = route.body && ref(route.body.schema);
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    description: route.description,
    ...(security ? { security } : {}),
    ...(route.parameters ? { parameters: route.parameters } : {}),
    ...(route.body && schema
      ? {
          requestBody: {
            required: true,
            content: {
              ...(route.body.media === 'json' ? {} : { 'application/x-www-form-urlencoded': { schema } }),
              ...(route.body.media === 'form' ? {} : { 'application/json': { schema } }),
            },
          },
        }
      : {}),
    responses: {
      ...Object.fromEntries(successes.map((success) => [String(success.status), successResponse(success)])),
      ...errorResponses([...route.failures, ...EDGE_FAILURES]),
    },
  };
}

const DESCRIPTION = `A serverless JWT authentication service and OpenID Connect provider: register, login, refresh, logout, verified addresses, password resets by message, account deletion and a custom API Gateway authorizer, speaking OAuth 2.0 (RFC 6749 authorization code flow with PKCE and token endpoint, RFC 7009 revocation, RFC 8414 discovery, JWKS) and OpenID Connect (ID tokens, userinfo, discovery, RP-initiated logout), with hosted sign-in pages and single sign-on.

Bodies are JSON unless a route says otherwise, at most ${MAX_BODY_BYTES} bytes. Every error has the body \`{"code": <status>, "error": "<code>", "error_description": "<text>"}\` (the Error schema), but those of the hosted pages (the \`provider\` tag), which answer a browser: with an HTML page for a person, or a 303 redirect back to the client that carries the error in its query (RFC 6749 §4.1.2.1). Routes with \`security\` sit behind the custom authorizer and need \`Authorization: Bearer <access token>\` with the scope named; \`POST /auth/logout\` takes such a token for \`{all: true}\` only.

API Gateway's own answers (the authorizer's refusals, the stage throttle, a function's failure or timeout) have the same error body, and each route lists those it can meet. An unknown route or method gets 404 \`not_found\`, and anything else API Gateway refuses (a WAF rule, if one is attached) a 4xx with the same body. Locally (\`npm start\`) there is no stage throttle.

Every answer has \`X-Content-Type-Options: nosniff\`; CORS headers go only to the origins listed in CORS_ORIGINS. The OPTIONS preflight routes serverless.yml defines for browsers (every route a browser calls with a body or an Authorization header) are left out of this document.`;

/** The OpenAPI 3.1 document of the whole HTTP API; a plain, JSON-serializable object, built anew per call. */
export function openApiDocument(options: OpenApiOptions = {}): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of ROUTES) paths[route.path] = { ...paths[route.path], [route.method]: operation(route) };
  return structuredClone({
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'jwt-auth',
      version,
      summary: 'JWT authentication on AWS Lambda and DynamoDB, with OAuth 2.0 endpoints and an OpenID Connect provider.',
      description: DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: options.serverUrl !== undefined
      ? [{ url: options.serverUrl, description: 'This deployment.' }]
      : [
          { url: 'http://localhost:3000', description: '`npm start` (PORT), no stage prefix.' },
          {
            url: 'https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}',
            description: 'A deployed stage (regional REST API); for a custom domain, `node scripts/openapi.js <url>` names it instead.',
            variables: {
              restApiId: { default: 'your-api-id', description: 'The REST API id `serverless deploy` prints.' },
              region: { default: 'us-east-1', description: 'The AWS region (--region).' },
              stage: { default: 'dev', description: 'The stage (--stage).' },
            },
          },
        ],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: SCHEMAS,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: `The access token of a token response (RFC 6750), an RFC 9068 JWT. A route names the scope it needs (${DISTINCT_ROUTE_SCOPES.join(', ')}).`,
        },
      },
    },
  } satisfies OpenApiDocument);
}
