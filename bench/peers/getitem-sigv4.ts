/**
 * A floor for the functions that read DynamoDB without the AWS SDK (bench/cold-start.ts): GET /me reduced to
 * one consistent GetItem sent with node:http(s) and signed by hand (Signature Version 4, node:crypto), with
 * the credentials Lambda puts in the environment. What a minimal client could cost; not a proposal to ship
 * as is (no retries, no timeouts, no credential refresh).
 */
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

interface MeEvent {
  requestContext: { authorizer: { sub: string } };
}

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

/** One DynamoDB JSON-protocol call, signed with SigV4. */
function call(target: string, body: string): Promise<Record<string, unknown>> {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const url = new URL(process.env.DYNAMODB_ENDPOINT ?? `https://dynamodb.${region}.amazonaws.com`);
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const token = process.env.AWS_SESSION_TOKEN;
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.0',
    host: url.host,
    'x-amz-date': amzDate,
    ...(token ? { 'x-amz-security-token': token } : {}),
    'x-amz-target': `DynamoDB_20120810.${target}`,
  };
  const names = Object.keys(headers).sort();
  const canonical = ['POST', '/', '', ...names.map((name) => `${name}:${headers[name]}`), '', names.join(';'), sha256(body)].join('\n');
  const scope = `${day}/${region}/dynamodb/aws4_request`;
  const key = ['aws4_request', 'dynamodb', region, day].reduceRight<Buffer | string>((signing, part) => hmac(signing, part), `AWS4${process.env.AWS_SECRET_ACCESS_KEY}`);
  const signature = createHmac('sha256', key).update(['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n')).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${process.env.AWS_ACCESS_KEY_ID}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(url, { method: 'POST', headers, agent: url.protocol === 'https:' ? agents.https : agents.http }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        if (response.statusCode !== 200) reject(new Error(String(parsed.__type ?? response.statusCode)));
        else resolve(parsed);
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

export async function handler(event: MeEvent) {
  const { Item } = (await call('GetItem', JSON.stringify({
    TableName: process.env.USERS_TABLE, Key: { sub: { S: event.requestContext.authorizer.sub } }, ConsistentRead: true,
  }))) as { Item?: Record<string, { S?: string }> };
  return { statusCode: Item ? 200 : 404, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sub: Item?.sub?.S, username: Item?.displayName?.S }) };
}
