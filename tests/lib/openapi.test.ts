import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import { build } from 'esbuild';
import ts from 'typescript';
import { parse } from 'yaml';
import type { HttpEvent, HttpResponse } from '../../lib/http';
import { gatewayResponseResources, renderGatewayResponse } from '../../scripts/local-gateway/gateway-responses';
import { openApiDocument, type HttpMethod, type JsonSchema, type OpenApiDocument, type OperationObject } from '../../lib/openapi';
import { THROTTLE } from '../../lib/throttle';
import { authorizerFor, bodyOf, claimsOf, proxyEvent, strangerRefreshToken, uniqueSourceIp, uniqueUsername, withTestApp } from '../support/app';
import { ROOT } from '../support/root';

// ---- What the document is checked against ----------------------------------------------------------------

interface HttpEventEntry {
  http?: { path: string; method: string; authorizer?: unknown };
}
interface Manifest {
  functions: Record<string, { handler: string; events?: HttpEventEntry[] }>;
}

interface ManifestRoute {
  /** "METHOD /path", as the document's operations are keyed below. */
  key: string;
  /** The module and export serverless.yml names, e.g. "functions/me.handler". */
  handler: string;
  behindAuthorizer: boolean;
}

/** Every `http` event of serverless.yml but the CORS preflights (the document leaves OPTIONS out). */
function manifestRoutes(): ManifestRoute[] {
  const manifest = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')) as Manifest;
  return Object.values(manifest.functions).flatMap((fn) =>
    (fn.events ?? [])
      .flatMap((event) => (event.http ? [event.http] : []))
      .filter((http) => http.method.toLowerCase() !== 'options')
      .map((http) => ({
        key: `${http.method.toUpperCase()} /${http.path}`,
        handler: fn.handler,
        behindAuthorizer: http.authorizer !== undefined,
      })),
  );
}

/** The codes of lib/errors.ts's `ErrorCode`, read by the compiler (the table behind it is not exported). */
function libErrorCodes(): string[] {
  const file = join(ROOT, 'lib', 'errors.ts');
  const program = ts.createProgram([file], { noLib: true, types: [], strict: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const alias = source.statements.find((node): node is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(node) && node.name.text === 'ErrorCode');
  if (!alias) return [];
  const type = checker.getTypeAtLocation(alias.name);
  return (type.isUnion() ? type.types : [type]).flatMap((member) => (member.isStringLiteral() ? [member.value] : []));
}

const METHODS: readonly HttpMethod[] = ['get', 'post', 'delete'];

/** Every operation of a document as "METHOD /path". */
function operations(document: OpenApiDocument): Map<string, OperationObject> {
  const found = new Map<string, OperationObject>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) found.set(`${method.toUpperCase()} ${path}`, operation);
    }
  }
  return found;
}

const DOCUMENT = openApiDocument();
const OPERATIONS = operations(DOCUMENT);
const operationAt = (key: string) => OPERATIONS.get(key);
const isAnonymous = (requirement: Record<string, string[]>) => Object.keys(requirement).length === 0;

// ---- Validators -------------------------------------------------------------------------------------------

/**
 * @seriousme/openapi-schema-validator ships as ESM only and jest runs this suite as CommonJS, so it runs in
 * a child Node process: the document on stdin, its verdict on stdout.
 */
const VALIDATE = `
import { text } from 'node:stream/consumers';
import { Validator } from '@seriousme/openapi-schema-validator';
const validator = new Validator();
const result = await validator.validate(JSON.parse(await text(process.stdin)));
process.stdout.write(JSON.stringify({ ...result, version: validator.version }));
`;

function validateOpenApi(document: unknown): { valid: boolean; version?: string; errors?: unknown } {
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', VALIDATE], {
    cwd: ROOT,
    input: JSON.stringify(document),
    encoding: 'utf8',
  });
  return JSON.parse(output) as { valid: boolean; version?: string; errors?: unknown };
}

/** The document as one JSON Schema 2020-12 resource (its dialect), so a pointer into it compiles with its $refs. */
const DOCUMENT_ID = 'https://jwt-auth.example.test/openapi.json';

function schemaCompiler(document: OpenApiDocument) {
  // Strict: an unknown keyword or format is a mistake in the document, not something to skip.
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/);
  ajv.addFormat('uri', { type: 'string', validate: (value: string) => URL.canParse(value) });
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  // The document's own members are no JSON Schema keywords: declared as annotations, so the root compiles.
  for (const member of Object.keys(document)) ajv.addKeyword(member);
  ajv.addSchema({ ...structuredClone(document), $id: DOCUMENT_ID });
  const pointer = (segments: string[]) =>
    `${DOCUMENT_ID}#/${segments.map((segment) => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`;
  return {
    /** The validator of the schema at `segments` inside the document (compiled on first use). */
    at(segments: string[]) {
      const validate = ajv.getSchema(pointer(segments));
      if (!validate) throw new Error(`no schema at ${pointer(segments)}`);
      return validate;
    },
  };
}

const COMPILER = schemaCompiler(DOCUMENT);

const describeErrors = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((error) => `${error.instancePath || '(body)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);

/** Every place in the document that holds a schema, as a path of segments. */
function schemaLocations(document: OpenApiDocument): string[][] {
  const locations = Object.keys(document.components.schemas).map((name) => ['components', 'schemas', name]);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const at = ['paths', path, method];
      operation.parameters?.forEach((_parameter, index) => locations.push([...at, 'parameters', String(index), 'schema']));
      for (const media of Object.keys(operation.requestBody?.content ?? {})) locations.push([...at, 'requestBody', 'content', media, 'schema']);
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const name of Object.keys(response.headers ?? {})) locations.push([...at, 'responses', status, 'headers', name, 'schema']);
        for (const media of Object.keys(response.content ?? {})) locations.push([...at, 'responses', status, 'content', media, 'schema']);
      }
    }
  }
  return locations;
}

const headerOf = (response: HttpResponse, name: string) =>
  Object.entries(response.headers).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];

/**
 * What is wrong with a real answer of `METHOD path` by the document: its status must be one the operation
 * gives, every required header present, every documented header and the body valid by their schemas.
 */
function nonConformities(method: HttpMethod, path: string, response: HttpResponse): string[] {
  const status = String(response.statusCode);
  const documented = DOCUMENT.paths[path]?.[method]?.responses[status];
  if (!documented) return [`${method.toUpperCase()} ${path} does not document status ${status}`];
  const at = ['paths', path, method, 'responses', status];
  const problems: string[] = [];
  for (const [name, header] of Object.entries(documented.headers ?? {})) {
    const value = headerOf(response, name);
    if (value === undefined) {
      if (header.required) problems.push(`missing required header ${name}`);
      continue;
    }
    const typed = header.schema.type === 'integer' && /^\d+$/.test(value) ? Number(value) : value;
    const validate = COMPILER.at([...at, 'headers', name, 'schema']);
    if (!validate(typed)) problems.push(...describeErrors(validate.errors).map((error) => `header ${name}: ${error}`));
  }
  if (documented.content?.['application/json']) {
    const validate = COMPILER.at([...at, 'content', 'application/json', 'schema']);
    if (!validate(JSON.parse(response.body))) problems.push(...describeErrors(validate.errors));
  } else if (response.body !== '') {
    problems.push(`a body where the document gives none: ${response.body.slice(0, 80)}`);
  }
  return problems;
}

/** What is wrong with a JSON request body by the schema the operation documents for it. */
function requestProblems(method: HttpMethod, path: string, body: unknown): string[] {
  const validate = COMPILER.at(['paths', path, method, 'requestBody', 'content', 'application/json', 'schema']);
  return validate(body) ? [] : describeErrors(validate.errors);
}

// ---- The document itself ------------------------------------------------------------------------------------

describe('openApiDocument', () => {
  it('is a valid OpenAPI 3.1 document, $refs included (@seriousme/openapi-schema-validator)', () => {
    const document = openApiDocument();

    const result = validateOpenApi(document);

    expect(result).toEqual({ valid: true, version: '3.1' });
  });

  it('is checked by a validator that does refuse a broken copy (a response without description, a dangling $ref)', () => {
    const withoutDescription = openApiDocument() as unknown as { paths: Record<string, Record<string, { responses: Record<string, Partial<{ description: string }>> }>> };
    delete withoutDescription.paths['/me']!.get!.responses['200']!.description;
    const dangling = openApiDocument();
    dangling.components.schemas.SessionList = { $ref: '#/components/schemas/NoSuchSchema' };

    const results = [validateOpenApi(withoutDescription), validateOpenApi(dangling)];

    expect(results.map((result) => result.valid)).toEqual([false, false]);
  });

  it('holds only strict JSON Schema 2020-12 (its dialect): every schema in it compiles, formats and keywords known', () => {
    const locations = schemaLocations(DOCUMENT);

    const compiled = locations.map((segments) => typeof COMPILER.at(segments));

    expect(DOCUMENT.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(locations.length).toBeGreaterThan(50);
    expect(compiled.every((kind) => kind === 'function')).toBe(true);
  });

  it('documents exactly the HTTP routes of serverless.yml (the OPTIONS preflights aside)', () => {
    const routes = manifestRoutes().map((route) => route.key);

    const documented = [...OPERATIONS.keys()];

    expect(new Set(routes).size).toBe(routes.length);
    expect([...documented].sort()).toEqual([...routes].sort());
  });

  it('marks a route protected (security without an anonymous alternative) exactly when serverless.yml gives it the authorizer', () => {
    const routes = manifestRoutes();

    const marks = routes.map((route) => {
      const security = operationAt(route.key)?.security;
      return { route: route.key, protected: security !== undefined && security.length > 0 && !security.some(isAnonymous) };
    });

    expect(marks).toEqual(routes.map((route) => ({ route: route.key, protected: route.behindAuthorizer })));
    expect(marks.filter((mark) => mark.protected).length).toBeGreaterThan(0);
  });

  it('uses one security scheme, an HTTP bearer JWT, and defines no default security', () => {
    const document = openApiDocument();

    expect(document.components.securitySchemes).toEqual({ bearer: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }) });
    expect(document).not.toHaveProperty('security');
    const named = [...OPERATIONS.values()].flatMap((operation) => (operation.security ?? []).flatMap((requirement) => Object.keys(requirement)));
    expect(new Set(named)).toEqual(new Set(['bearer']));
  });

  it('gives the Error schema exactly the codes of lib/errors.ts, and every one of them in some response', () => {
    const codes = libErrorCodes();
    const errorEnum = (DOCUMENT.components.schemas.Error.properties as Record<string, JsonSchema>).error!.enum as string[];

    const inResponses = [...OPERATIONS.values()].flatMap((operation) =>
      Object.values(operation.responses).flatMap((response) => {
        const allOf = response.content?.['application/json']?.schema.allOf as JsonSchema[] | undefined;
        return allOf?.flatMap((part) => ((part.properties as Record<string, JsonSchema> | undefined)?.error?.enum as string[] | undefined) ?? []) ?? [];
      }),
    );

    expect(codes).toContain('invalid_grant');
    expect([...errorEnum].sort()).toEqual([...codes].sort());
    expect([...new Set(inResponses)].sort()).toEqual([...codes].sort());
  });

  it('puts the contract error body on every 4xx and 5xx, with the status as its code; only the hosted pages may answer one with an HTML page instead', () => {
    const hosted = manifestRoutes().filter((route) => route.handler === 'functions/authorize.handler').map((route) => route.key);
    const bodies = [...OPERATIONS].flatMap(([key, operation]) =>
      Object.entries(operation.responses)
        .filter(([status]) => Number(status) >= 400)
        .map(([status, response]) => ({ key, status, media: Object.keys(response.content ?? {}), schema: response.content?.['application/json']?.schema })),
    );

    const withPages = [...new Set(bodies.filter(({ media }) => media.includes('text/html')).map(({ key }) => key))];
    const withoutPage = bodies.filter(({ media }) => media.join() !== 'text/html');

    expect(bodies.length).toBeGreaterThan(40);
    expect(hosted.length).toBeGreaterThan(0);
    expect(withPages.sort()).toEqual([...hosted].sort());
    for (const { key, status, media, schema } of withoutPage) {
      expect({ key, status, media: media.filter((type) => type !== 'text/html'), schema }).toEqual({
        key,
        status,
        media: ['application/json'],
        schema: { allOf: [{ $ref: '#/components/schemas/Error' }, expect.objectContaining({ properties: expect.objectContaining({ code: { const: Number(status) } }) })] },
      });
    }
  });

  it('requires Retry-After on every 429 and 503, and WWW-Authenticate on every 401 and 403 with the error body (a hosted page is for a person, not a challenge)', () => {
    const responses = [...OPERATIONS].flatMap(([key, operation]) =>
      Object.entries(operation.responses).map(([status, response]) => ({ key, status, headers: response.headers ?? {}, json: response.content?.['application/json'] !== undefined })),
    );

    const missing = responses.flatMap(({ key, status, headers, json }) => {
      const needed = ['429', '503'].includes(status) ? 'Retry-After' : ['401', '403'].includes(status) && json ? 'WWW-Authenticate' : undefined;
      return needed !== undefined && headers[needed]?.required !== true ? [`${key} ${status} ${needed}`] : [];
    });

    expect(responses.some(({ status }) => status === '429')).toBe(true);
    expect(missing).toEqual([]);
  });

  it('answers every route that takes a bearer token with 401 and 403, and gives a token response Cache-Control: no-store', () => {
    const bearerRoutes = [...OPERATIONS].filter(([, operation]) => operation.security?.some((requirement) => 'bearer' in requirement));
    const tokenResponses = [...OPERATIONS.values()].flatMap((operation) =>
      Object.values(operation.responses).filter((response) => response.content?.['application/json']?.schema.$ref === '#/components/schemas/TokenResponse'),
    );

    expect(bearerRoutes.map(([key, operation]) => [key, '401' in operation.responses && '403' in operation.responses])).toEqual(
      bearerRoutes.map(([key]) => [key, true]),
    );
    expect(tokenResponses.length).toBe(4);
    for (const response of tokenResponses) {
      expect(response.headers?.['Cache-Control']).toMatchObject({ required: true, schema: { const: 'no-store' } });
      expect(response.headers?.Pragma).toMatchObject({ required: true, schema: { const: 'no-cache' } });
    }
  });

  it('takes the OAuth endpoints as a form and as JSON, and the /auth routes as JSON', () => {
    const media = (key: string) => Object.keys(operationAt(key)?.requestBody?.content ?? {}).sort();

    expect(media('POST /oauth/token')).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    expect(media('POST /oauth/revoke')).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    expect(media('POST /auth/login')).toEqual(['application/json']);
  });

  it('imports neither the AWS SDK nor jose, even indirectly (the packages esbuild leaves outside its bundle)', async () => {
    const { metafile } = await build({
      entryPoints: [join(ROOT, 'lib', 'openapi.ts')],
      bundle: true,
      write: false,
      platform: 'node',
      packages: 'external',
      metafile: true,
      logLevel: 'silent',
    });

    const packages = Object.values(metafile.inputs).flatMap((input) => input.imports.filter((imported) => imported.external).map((imported) => imported.path));

    expect(Object.keys(metafile.inputs)).toContain('lib/errors.ts');
    expect(packages.filter((name) => name === 'jose' || name.startsWith('@aws-sdk/'))).toEqual([]);
  });

  it('is what scripts/openapi.js prints, for `node scripts/openapi.js > openapi.json`', () => {
    const printed = execFileSync(process.execPath, [join(ROOT, 'scripts', 'openapi.js'), 'https://auth.example.com/prod'], { encoding: 'utf8' });

    expect(JSON.parse(printed)).toEqual(openApiDocument({ serverUrl: 'https://auth.example.com/prod' }));
  });

  it('names the one server it is given, and is plain JSON', () => {
    const document = openApiDocument({ serverUrl: 'https://auth.example.com/prod' });

    expect(document.servers).toEqual([{ url: 'https://auth.example.com/prod', description: expect.any(String) }]);
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
  });
});

// ---- Real answers -------------------------------------------------------------------------------------------

const ctx = withTestApp();
const PASSWORD = 'correct horse battery staple';

const jsonPost = (body: unknown, sourceIp = uniqueSourceIp()) => proxyEvent({ body, sourceIp });
const formPost = (form: Record<string, string>) =>
  proxyEvent({ rawBody: new URLSearchParams(form).toString(), contentType: 'application/x-www-form-urlencoded' });
const get = (path: string, accessToken: string) => proxyEvent({ httpMethod: 'GET', path, rawBody: null, authorizer: authorizerFor(accessToken) });

/** The handler serverless.yml routes `key` to, built by its factory on the test app (any route, no table to keep). */
async function handlerFor(key: string): Promise<(event: HttpEvent) => Promise<HttpResponse>> {
  const route = manifestRoutes().find((candidate) => candidate.key === key);
  if (!route) throw new Error(`serverless.yml has no route ${key}`);
  const exports = (await import(join(ROOT, route.handler.replace(/\.[^.]+$/, '')))) as Record<string, unknown>;
  const factory = Object.entries(exports).find(([name, value]) => /^make\w+Handler$/.test(name) && typeof value === 'function')?.[1];
  if (typeof factory !== 'function') throw new Error(`${route.handler} exports no make…Handler factory`);
  return factory(ctx.app.deps) as (event: HttpEvent) => Promise<HttpResponse>;
}

/** The scope a 403 challenge names. */
const challengedScope = (response: HttpResponse) => /scope="([^"]*)"/.exec(headerOf(response, 'WWW-Authenticate') ?? '')?.[1];

describe('the scopes it names are the ones the handlers require', () => {
  it('names, for each route behind the authorizer, the scope its handler’s 403 challenge asks for', async () => {
    const routes = manifestRoutes().filter((route) => route.behindAuthorizer);
    const { accessToken } = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });
    const scopeless = { ...authorizerFor(accessToken), scope: '' };

    const asked = await Promise.all(
      routes.map(async (route) => {
        const [method, path] = route.key.split(' ') as [string, string];
        const response = await (await handlerFor(route.key))(proxyEvent({ httpMethod: method, path, authorizer: scopeless, pathParameters: { id: scopeless.sid } }));
        const problems = nonConformities(method.toLowerCase() as HttpMethod, path, response);
        return { route: route.key, status: response.statusCode, scopes: [challengedScope(response)], problems };
      }),
    );

    expect(routes.length).toBeGreaterThan(0);
    expect(asked).toEqual(routes.map((route) => ({ route: route.key, status: 403, scopes: operationAt(route.key)?.security?.[0]?.bearer, problems: [] })));
  });

  it('describes POST /auth/logout as anonymous or bearer, with the scope {all: true} asks for', async () => {
    const { accessToken } = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD, scope: 'profile' });
    const event = proxyEvent({ headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` }, body: { all: true } });

    const response = await (await handlerFor('POST /auth/logout'))(event);

    expect(response.statusCode).toBe(403);
    expect(operationAt('POST /auth/logout')?.security).toEqual([{}, { bearer: [challengedScope(response)] }]);
    expect(nonConformities('post', '/auth/logout', response)).toEqual([]);
  });
});

describe('real answers conform to the document', () => {
  const { register, login, refresh, logout, me, list, remove, token, revoke } = ctx.handlers;

  it('POST /auth/register: 201 with a token response, then 409 username_taken for the same name', async () => {
    const username = uniqueUsername();

    const created = await register(jsonPost({ username, password: PASSWORD }));
    const taken = await register(jsonPost({ username, password: PASSWORD }));

    expect([created.statusCode, taken.statusCode]).toEqual([201, 409]);
    expect(nonConformities('post', '/auth/register', created)).toEqual([]);
    expect(nonConformities('post', '/auth/register', taken)).toEqual([]);
  });

  it('POST /auth/login: 400 invalid_grant for a wrong password, 415 for a form body', async () => {
    const username = uniqueUsername();
    await ctx.app.auth.register({ username, password: PASSWORD });

    const wrong = await login(jsonPost({ username, password: 'not the password at all' }));
    const form = await login(proxyEvent({ rawBody: `username=${username}`, contentType: 'application/x-www-form-urlencoded' }));

    expect([wrong.statusCode, form.statusCode]).toEqual([400, 415]);
    expect(nonConformities('post', '/auth/login', wrong)).toEqual([]);
    expect(nonConformities('post', '/auth/login', form)).toEqual([]);
  });

  it('POST /auth/refresh: 400 for garbage and for a token of no session, 200 for a real one', async () => {
    const { refreshToken } = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });

    const answers = await Promise.all([
      refresh(jsonPost({ refresh_token: 'garbage' })),
      refresh(jsonPost({ refresh_token: strangerRefreshToken() })),
      refresh(jsonPost({ refresh_token: refreshToken })),
    ]);

    expect(answers.map((answer) => answer.statusCode)).toEqual([400, 400, 200]);
    expect(answers.flatMap((answer) => nonConformities('post', '/auth/refresh', answer))).toEqual([]);
  });

  it('GET /me and GET /sessions: 200 for a token with the scope', async () => {
    const { accessToken } = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });

    const [profile, sessions] = await Promise.all([me(get('/me', accessToken)), list(get('/sessions', accessToken))]);

    expect([profile.statusCode, sessions.statusCode]).toEqual([200, 200]);
    expect(nonConformities('get', '/me', profile)).toEqual([]);
    expect(nonConformities('get', '/sessions', sessions)).toEqual([]);
  });

  it('GET /me: 401 from the route itself for a token that expired after the authorizer allowed it', async () => {
    const { accessToken } = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });
    const event = proxyEvent({ httpMethod: 'GET', path: '/me', rawBody: null, authorizer: { ...authorizerFor(accessToken), exp: String(ctx.app.clock.seconds() - 1) } });

    const response = await me(event);

    expect(response.statusCode).toBe(401);
    expect(nonConformities('get', '/me', response)).toEqual([]);
  });

  it('DELETE /sessions/{id}: 404 for a session that is not the caller’s', async () => {
    const { accessToken } = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });
    const event = proxyEvent({ httpMethod: 'DELETE', rawBody: null, authorizer: authorizerFor(accessToken), pathParameters: { id: 'BBBBBBBBBBBBBBBBBBBBBB' } });

    const response = await remove(event);

    expect(response.statusCode).toBe(404);
    expect(nonConformities('delete', '/sessions/{id}', response)).toEqual([]);
  });

  it('POST /auth/logout: 204 with no body for a refresh token', async () => {
    const { refreshToken } = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });

    const response = await logout(jsonPost({ refresh_token: refreshToken }));

    expect(response.statusCode).toBe(204);
    expect(nonConformities('post', '/auth/logout', response)).toEqual([]);
  });

  it('POST /oauth/token and /oauth/revoke as forms: 200, 400 unsupported_grant_type, 200 for an unknown token', async () => {
    const username = uniqueUsername();
    await ctx.app.auth.register({ username, password: PASSWORD });

    const granted = await token(formPost({ grant_type: 'password', username, password: PASSWORD }));
    const unsupported = await token(formPost({ grant_type: 'client_credentials' }));
    const revoked = await revoke(formPost({ token: 'not-a-token', token_type_hint: 'refresh_token' }));

    expect([granted.statusCode, unsupported.statusCode, revoked.statusCode]).toEqual([200, 400, 200]);
    expect(nonConformities('post', '/oauth/token', granted)).toEqual([]);
    expect(nonConformities('post', '/oauth/token', unsupported)).toEqual([]);
    expect(nonConformities('post', '/oauth/revoke', revoked)).toEqual([]);
  });

  // What API Gateway answers itself, as scripts/local-gateway renders serverless.yml's gateway responses.
  const expired = { error: 'invalid_token', error_description: 'The access token provided has expired.' };
  it.each([
    ['UNAUTHORIZED', 'get', '/me', {}],
    ['ACCESS_DENIED', 'get', '/sessions', expired],
    ['AUTHORIZER_FAILURE', 'post', '/auth/password', {}],
    ['THROTTLED', 'post', '/auth/login', {}],
    ['THROTTLED', 'get', '/.well-known/jwks.json', {}],
    ['INTEGRATION_FAILURE', 'post', '/oauth/token', {}],
    ['INTEGRATION_TIMEOUT', 'delete', '/sessions/{id}', {}],
    ['ACCESS_DENIED', 'delete', '/me', expired],
    ['UNAUTHORIZED', 'post', '/auth/email', {}],
    ['THROTTLED', 'post', '/auth/password/forgot', {}],
  ] as const)('API Gateway’s %s answer conforms to %s %s', (type, method, path, context) => {
    const rendered = renderGatewayResponse(gatewayResponseResources({ realm: 'jwt-auth' }), type, { ...context });

    expect(rendered).toBeDefined();
    expect(nonConformities(method, path, rendered!)).toEqual([]);
  });

  it('finds a real answer the document does not describe (the check can fail)', async () => {
    const { accessToken } = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });
    const profile = await me(get('/me', accessToken));
    const grown = { ...profile, body: JSON.stringify({ ...JSON.parse(profile.body), verifiedEmail: 'a@example.test' }) };

    expect(nonConformities('get', '/me', grown)).toEqual([expect.stringContaining('additionalProperty')]);
    expect(nonConformities('get', '/me', { ...profile, statusCode: 418 })).toEqual(['GET /me does not document status 418']);
  });
});

describe('real answers of the account routes conform to the document, and so do the requests that got them', () => {
  const { register, login, me, forgotPassword, resetPassword, changeEmail, verifyEmail, deleteMe } = ctx.handlers;
  const address = () => `${uniqueUsername('mail')}@example.test`;
  const asUser = (accessToken: string, body: unknown, extra: Parameters<typeof proxyEvent>[0] = {}) =>
    proxyEvent({ body, authorizer: authorizerFor(accessToken), sourceIp: uniqueSourceIp(), ...extra });

  it('POST /auth/register with an address, and GET /me before and after it is verified (a string or null, and a boolean)', async () => {
    const email = address();
    const withAddress = { username: uniqueUsername(), password: PASSWORD, email };
    const created = await register(jsonPost(withAddress));
    const { accessToken: noAddress } = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });
    const accessToken = bodyOf(created).access_token as string;

    const pending = await me(get('/me', accessToken));
    await verifyEmail(jsonPost({ token: (await ctx.app.outbox.latest(email, 'verify_email')).token }));
    const verified = await me(get('/me', accessToken));
    const none = await me(get('/me', noAddress));

    expect(requestProblems('post', '/auth/register', withAddress)).toEqual([]);
    expect(nonConformities('post', '/auth/register', created)).toEqual([]);
    expect([pending, verified, none].map((answer) => [bodyOf(answer).email, bodyOf(answer).email_verified])).toEqual([[email, false], [email, true], [null, false]]);
    expect([pending, verified, none].flatMap((answer) => nonConformities('get', '/me', answer))).toEqual([]);
  });

  it('POST /auth/email: 202 with the password, 400 invalid_grant with a wrong one; POST /auth/email/verify: 204, then 400 for the spent token', async () => {
    const { accessToken } = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });
    const email = address();
    const request = { email, password: PASSWORD };

    const accepted = await changeEmail(asUser(accessToken, request));
    const wrong = await changeEmail(asUser(accessToken, { email, password: 'not the password at all' }));
    const verification = { token: (await ctx.app.outbox.latest(email, 'verify_email')).token };
    const verified = await verifyEmail(jsonPost(verification));
    const spent = await verifyEmail(jsonPost(verification));

    expect([accepted, wrong, verified, spent].map((answer) => answer.statusCode)).toEqual([202, 400, 204, 400]);
    expect([bodyOf(wrong).error, bodyOf(spent).error]).toEqual(['invalid_grant', 'invalid_grant']);
    expect([...requestProblems('post', '/auth/email', request), ...requestProblems('post', '/auth/email/verify', verification)]).toEqual([]);
    expect([...nonConformities('post', '/auth/email', accepted), ...nonConformities('post', '/auth/email', wrong)]).toEqual([]);
    expect([...nonConformities('post', '/auth/email/verify', verified), ...nonConformities('post', '/auth/email/verify', spent)]).toEqual([]);
  });

  it('POST /auth/email/verify: 409 email_taken for an address another account verified first', async () => {
    const email = address();
    await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD, email });
    await verifyEmail(jsonPost({ token: (await ctx.app.outbox.latest(email, 'verify_email')).token }));
    await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD, email });

    const taken = await verifyEmail(jsonPost({ token: (await ctx.app.outbox.latest(email, 'verify_email')).token }));

    expect([taken.statusCode, bodyOf(taken).error]).toEqual([409, 'email_taken']);
    expect(nonConformities('post', '/auth/email/verify', taken)).toEqual([]);
  });

  it('POST /auth/password/forgot: 202 by username and by address, for an account and for none; 400 for both fields, which the schema refuses too', async () => {
    const username = uniqueUsername();
    const email = address();
    await ctx.app.auth.register({ username, password: PASSWORD, email });
    await verifyEmail(jsonPost({ token: (await ctx.app.outbox.latest(email, 'verify_email')).token }));
    const requests = [{ username }, { email }, { username: uniqueUsername() }, { email: address() }];

    const answers = await Promise.all(requests.map((request) => forgotPassword(jsonPost(request))));
    const both = await forgotPassword(jsonPost({ username, email }));

    expect(answers.map((answer) => answer.statusCode)).toEqual([202, 202, 202, 202]);
    expect(new Set(answers.map((answer) => answer.body)).size).toBe(1);
    expect((await ctx.app.outbox.latest(email, 'reset_password')).token).toMatch(/^[\w-]{64}$/);
    expect(requests.flatMap((request) => requestProblems('post', '/auth/password/forgot', request))).toEqual([]);
    expect(answers.flatMap((answer) => nonConformities('post', '/auth/password/forgot', answer))).toEqual([]);
    expect([both.statusCode, bodyOf(both).error]).toEqual([400, 'invalid_request']);
    expect(requestProblems('post', '/auth/password/forgot', { username, email })).not.toEqual([]);
    expect(nonConformities('post', '/auth/password/forgot', both)).toEqual([]);
  });

  it('POST /auth/password/forgot: 429 slow_down with Retry-After past the requests one address may make for one name', async () => {
    const sourceIp = uniqueSourceIp();
    const username = uniqueUsername();

    const answers = await Promise.all(Array.from({ length: THROTTLE.perAccountAddress + 1 }, () => forgotPassword(jsonPost({ username }, sourceIp))));

    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([...Array<number>(THROTTLE.perAccountAddress).fill(202), 429]);
    expect(answers.flatMap((answer) => nonConformities('post', '/auth/password/forgot', answer))).toEqual([]);
  });

  it('POST /auth/password/reset: 204 with the token of the message, then 400 invalid_grant for it spent', async () => {
    const username = uniqueUsername();
    const email = address();
    await ctx.app.auth.register({ username, password: PASSWORD, email });
    await verifyEmail(jsonPost({ token: (await ctx.app.outbox.latest(email, 'verify_email')).token }));
    await forgotPassword(jsonPost({ username }));
    const request = { token: (await ctx.app.outbox.latest(email, 'reset_password')).token, new_password: 'a brand new passphrase' };

    const reset = await resetPassword(jsonPost(request));
    const spent = await resetPassword(jsonPost(request));

    expect([reset.statusCode, spent.statusCode, bodyOf(spent).error]).toEqual([204, 400, 'invalid_grant']);
    expect(requestProblems('post', '/auth/password/reset', request)).toEqual([]);
    expect([...nonConformities('post', '/auth/password/reset', reset), ...nonConformities('post', '/auth/password/reset', spent)]).toEqual([]);
  });

  it('DELETE /me: 400 invalid_grant for a wrong password, 204 with the right one, then 401 for the gone user', async () => {
    const { accessToken } = await ctx.app.auth.register({ username: uniqueUsername(), password: PASSWORD });
    const request = { password: PASSWORD };
    const deletion = (body: unknown) => deleteMe(asUser(accessToken, body, { httpMethod: 'DELETE', path: '/me' }));

    const wrong = await deletion({ password: 'not the password at all' });
    const deleted = await deletion(request);
    const gone = await deletion(request);

    expect([wrong.statusCode, deleted.statusCode, gone.statusCode]).toEqual([400, 204, 401]);
    expect(requestProblems('delete', '/me', request)).toEqual([]);
    expect([wrong, deleted, gone].flatMap((answer) => nonConformities('delete', '/me', answer))).toEqual([]);
  });

  it('POST /auth/login: 400 invalid_grant for a disabled account with its right password', async () => {
    const username = uniqueUsername();
    const { accessToken } = await ctx.app.auth.register({ username, password: PASSWORD });
    await ctx.app.users.setDisabled(claimsOf(accessToken).sub, true);

    const refused = await login(jsonPost({ username, password: PASSWORD }));

    expect([refused.statusCode, bodyOf(refused).error_description]).toEqual([400, 'This account is disabled.']);
    expect(nonConformities('post', '/auth/login', refused)).toEqual([]);
  });
});
