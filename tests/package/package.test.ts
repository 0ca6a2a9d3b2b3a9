/**
 * What `serverless package` (run once, offline, without AWS credentials) would deploy: the CloudFormation
 * template's tables, authorizer and methods, and one small zip per function.
 */
import fs from 'node:fs';
import path from 'node:path';
import { packaged as packagedStage, resourcesOfType, unzipEntry, zipEntries, type CfnResource, type PackagedService } from '../support/package';

let packaged: PackagedService;

beforeAll(async () => {
  packaged = await packagedStage('dev');
}, 200_000);


const PROTECTED_ROUTES = ['DELETE /sessions/{id}', 'GET /me', 'GET /sessions', 'POST /auth/password'];

/** Each API Gateway method as "VERB /path", resolved through its resource's parents. */
function methodsByRoute(resources: Record<string, CfnResource>): Map<string, CfnResource> {
  const pathOf = (logicalId: string): string => {
    const resource = resources[logicalId]!;
    const parent = resource.Properties.ParentId;
    const prefix = parent.Ref ? pathOf(parent.Ref) : '';
    return `${prefix}/${resource.Properties.PathPart}`;
  };
  const routes = new Map<string, CfnResource>();
  for (const [, method] of resourcesOfType(resources, 'AWS::ApiGateway::Method')) {
    const resourceId = method.Properties.ResourceId;
    const route = resourceId.Ref ? pathOf(resourceId.Ref) : '/';
    routes.set(`${method.Properties.HttpMethod} ${route}`, method);
  }
  return routes;
}

function authorizerFunction(resources: Record<string, CfnResource>): CfnResource {
  const [, fn] = resourcesOfType(resources, 'AWS::Lambda::Function').find(([, f]) => f.Properties.Handler === 'functions/authorizer.handler')!;
  return fn;
}

const zipName = (fn: CfnResource) => path.basename(fn.Properties.Code.S3Key as string);

describe('DynamoDB tables', () => {
  test('every table is on-demand (PAY_PER_REQUEST), the users and sessions tables among them', () => {
    const tables = resourcesOfType(packaged.resources, 'AWS::DynamoDB::Table');

    expect(tables.map(([id]) => id)).toEqual(expect.arrayContaining(['UsersTable', 'SessionsTable']));
    for (const [, table] of tables) expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
  });

  test('the sessions table expires items by TTL on expiresAt', () => {
    const sessions = packaged.resources.SessionsTable!;

    expect(sessions.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });
});

describe('the authorizer', () => {
  test('is one TOKEN authorizer on the Authorization header with caching off', () => {
    const authorizers = resourcesOfType(packaged.resources, 'AWS::ApiGateway::Authorizer');

    expect(authorizers).toHaveLength(1);
    const [, authorizer] = authorizers[0]!;
    expect(authorizer.Properties).toMatchObject({
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 0,
    });
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain('AuthorizerLambdaFunction');
  });

  test('guards exactly the protected routes, and no public one', () => {
    const [[authorizerId]] = resourcesOfType(packaged.resources, 'AWS::ApiGateway::Authorizer') as [[string, CfnResource]];
    const routes = methodsByRoute(packaged.resources);

    const guarded = [...routes].filter(([, method]) => method.Properties.AuthorizationType !== 'NONE').map(([route]) => route);

    expect(guarded.sort()).toEqual(PROTECTED_ROUTES);
    for (const route of PROTECTED_ROUTES) {
      expect(routes.get(route)!.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
    }
    for (const [route, method] of routes) {
      if (!PROTECTED_ROUTES.includes(route)) expect(method.Properties.AuthorizerId).toBeUndefined();
    }
    expect(routes.has('POST /auth/register')).toBe(true);
    expect(routes.get('POST /auth/login')!.Properties.AuthorizationType).toBe('NONE');
  });
});

describe('artifacts', () => {
  test('one zip per function, each holding its handler', async () => {
    const functions = resourcesOfType(packaged.resources, 'AWS::Lambda::Function').map(([, fn]) => fn);
    const zips = fs.readdirSync(packaged.dir).filter((file) => file.endsWith('.zip'));

    expect(functions.length).toBeGreaterThanOrEqual(10);
    expect(functions.map(zipName).sort()).toEqual(zips.sort());
    for (const fn of functions) {
      const handlerFile = `${(fn.Properties.Handler as string).replace(/\.[^.]+$/, '')}.js`;
      expect(await zipEntries(path.join(packaged.dir, zipName(fn)))).toContain(handlerFile);
    }
  });

  test('the authorizer bundle carries no AWS SDK and no DynamoDB client, and stays small', async () => {
    const zipFile = path.join(packaged.dir, zipName(authorizerFunction(packaged.resources)));
    const entries = await zipEntries(zipFile);
    const bundle = (await Promise.all(entries.filter((entry) => entry.endsWith('.js')).map((entry) => unzipEntry(zipFile, entry)))).join('\n');

    expect(bundle).toContain('execute-api:Invoke'); // it is the authorizer's code
    expect(bundle).not.toContain('@aws-sdk');
    expect(bundle).not.toContain('DynamoDBClient');
    expect(entries.filter((entry) => entry.startsWith('node_modules/'))).toEqual([]);
    expect(fs.statSync(zipFile).size).toBeLessThan(200 * 1024);
  });

  test('the handlers that need DynamoDB do bundle its client (the check above can see one)', async () => {
    const [, login] = resourcesOfType(packaged.resources, 'AWS::Lambda::Function').find(([, f]) => f.Properties.Handler === 'functions/login.handler')!;

    const bundle = await unzipEntry(path.join(packaged.dir, zipName(login)), 'functions/login.js');

    expect(bundle).toContain('DynamoDBClient');
  });
});
