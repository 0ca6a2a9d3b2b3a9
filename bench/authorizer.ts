/**
 * Table 1: the authorizer, warm. Our handler on a real TOKEN event (parse, verify, build the policy) against
 * the floor (node:crypto's verify of the same signing input, plus the JSON parse of the payload), against
 * jose's own jwtVerify and fast-jwt, aws-jwt-verify and jsonwebtoken verifying the same token, for ES256,
 * RS256 and EdDSA; and the two prototypes of bench/: a verifier on node:crypto KeyObjects
 * (bench/keyobject-verifier.ts, run against the forged-token suite too) and a cache of verified tokens
 * (bench/verified-token-cache.ts). Budget: our handler within 1.15x of jose's jwtVerify on the same token.
 * Run: npm run bench -- authorizer [--quick]
 */
import { spawnSync } from 'node:child_process';
import { createPublicKey, verify as cryptoVerify, webcrypto, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { JwtVerifier } from 'aws-jwt-verify';
import { createVerifier } from 'fast-jwt';
import { jwtVerify, SignJWT, generateKeyPair, type JWK } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { makeAuthorizerHandler } from '../functions/authorizer';
import { loadVerifierConfig, type SigningAlg } from '../lib/config';
import { generateSigningJwk, loadKeyRing, loadPublicKeyRing } from '../lib/keys';
import { ACCESS_TOKEN_TYPE, createTokenService, EXPIRED_DESCRIPTION, type TokenVerifier } from '../lib/tokens';
import { createVerifierDeps } from '../lib/verifier-deps';
import fixture from '../tests/fixtures/authorizer-token-event.json';
import { ROOT } from '../tests/support/root';
import { budgetTable, fixed, main, median, quick, report, shuffled, table, timeOnce, times, type Budget } from './support/bench';
import { createKeyObjectVerifier } from './keyobject-verifier';
import { withVerifiedTokenCache } from './verified-token-cache';

const ALGS = ['ES256', 'RS256', 'EdDSA'] as const satisfies readonly SigningAlg[];
const ISSUER = 'https://auth.bench.example';
const AUDIENCE = 'https://api.bench.example';
const GRANT = { sub: '5f0c8a52-2f7e-4b8e-9f5e-0a4c1d2e3f40', scope: 'profile sessions', sid: 'bench-session', clientId: 'default' };
/** JWS alg → the node:crypto digest of its signature (null: the algorithm fixes it, as Ed25519 does). */
const DIGEST: Record<(typeof ALGS)[number], string | null> = { ES256: 'sha256', RS256: 'sha256', EdDSA: null };
/** JWS alg → WebCrypto's parameters, for the WebCrypto floor. */
const SUBTLE: Record<(typeof ALGS)[number], Parameters<typeof webcrypto.subtle.verify>[0]> = {
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
  EdDSA: { name: 'Ed25519' },
};

const SUBJECTS = [
  'floor: node:crypto verify + JSON.parse',
  'floor: WebCrypto verify + JSON.parse',
  'jose jwtVerify',
  'ours: lib/tokens verify',
  'ours: authorizer handler',
  'fast-jwt',
  'aws-jwt-verify',
  'jsonwebtoken',
  'prototype: KeyObject verify',
  'prototype: handler + KeyObject',
  'prototype: handler + cache, hit',
  'prototype: handler + cache, miss',
] as const;
type Subject = (typeof SUBJECTS)[number];

interface AlgResult {
  alg: string;
  micros: Partial<Record<Subject, number>>;
}

/** Everything one algorithm's contenders need, made with the service's own key code. */
async function setUp(alg: (typeof ALGS)[number]) {
  const jwk = await generateSigningJwk(alg);
  const ring = await loadKeyRing(JSON.stringify({ keys: [jwk] }), alg);
  const publicJwks = JSON.stringify({ keys: ring.publicJwks });
  // What the deployed authorizer holds: its configuration and the public key set, from its environment.
  const config = loadVerifierConfig({ ISSUER, AUDIENCE, SIGNING_ALG: alg, PUBLIC_JWKS: publicJwks });
  const keys = await loadPublicKeyRing(publicJwks, alg);
  const deps = createVerifierDeps({ config, keys });
  const signer = createTokenService({ ...config, accessTokenTtl: 900 }, ring);
  const token = (await signer.issue(GRANT)).accessToken;
  const pool: string[] = [];
  for (let i = 0; i < 3; i += 1) pool.push((await signer.issue(GRANT)).accessToken);
  // A forgery each contender must refuse: another key's signature under our kid.
  const attacker = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
  const forged = await new SignJWT({ client_id: 'default', scope: 'profile', sid: 'x' })
    .setProtectedHeader({ alg, kid: ring.signing.kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(ISSUER).setAudience(AUDIENCE).setSubject(GRANT.sub).setIssuedAt().setExpirationTime('15m').setJti('forged')
    .sign(attacker.privateKey);
  const publicJwk = ring.publicJwks[0] as JWK & { kid: string };
  const cryptoKey = keys.verification.get(publicJwk.kid) as webcrypto.CryptoKey;
  const keyObject: KeyObject = createPublicKey({ key: publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  const pem = keyObject.export({ type: 'spki', format: 'pem' }).toString();
  return { config, keys, deps, token, pool, forged, publicJwk, cryptoKey, keyObject, pem };
}

type Setup = Awaited<ReturnType<typeof setUp>>;

/** Each contender, as one call on the same token; undefined where a library lacks the algorithm. */
function contenders(alg: (typeof ALGS)[number], s: Setup) {
  const options = {
    algorithms: [alg],
    issuer: ISSUER,
    audience: AUDIENCE,
    typ: ACCESS_TOKEN_TYPE,
    clockTolerance: 0,
    requiredClaims: ['exp', 'iat', 'sub', 'jti'],
  };
  const handler = makeAuthorizerHandler(async () => s.deps);
  const event = (token: string) => ({ ...fixture, authorizationToken: `Bearer ${token}` }) as Parameters<typeof handler>[0];
  const keyObjectVerifier = createKeyObjectVerifier(s.config, s.keys);
  const keyObjectHandler = makeAuthorizerHandler(async () => ({ ...s.deps, tokens: keyObjectVerifier }));
  const cached = withVerifiedTokenCache(s.deps.tokens, () => s.keys.verification);
  const cachedHandler = makeAuthorizerHandler(async () => ({ ...s.deps, tokens: cached }));
  // A miss: a cache that has not seen the token yet (a new one per call), so the call looks, verifies and inserts.
  const missHandler = makeAuthorizerHandler(async () => ({ ...s.deps, tokens: withVerifiedTokenCache(s.deps.tokens, () => s.keys.verification) }));
  const fast = createVerifier({
    key: s.pem, algorithms: [alg], allowedIss: ISSUER, allowedAud: AUDIENCE, checkTyp: ACCESS_TOKEN_TYPE,
    requiredClaims: ['exp', 'iat', 'sub', 'jti'], cache: false,
  });
  const aws = JwtVerifier.create({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: `${ISSUER}/.well-known/jwks.json`,
    customJwtCheck: ({ header }) => {
      if (header.typ !== ACCESS_TOKEN_TYPE) throw new Error('typ');
    },
  });
  aws.cacheJwks({ keys: [s.publicJwk as never] });
  const digest = DIGEST[alg];
  const subtle = SUBTLE[alg];
  const dsa = { key: s.keyObject, dsaEncoding: 'ieee-p1363' as const };
  const calls: Record<Subject, ((token: string) => unknown) | undefined> = {
    'floor: node:crypto verify + JSON.parse': (token) => {
      const last = token.lastIndexOf('.');
      const ok = cryptoVerify(digest, Buffer.from(token.slice(0, last)), dsa, Buffer.from(token.slice(last + 1), 'base64url'));
      if (!ok) throw new Error('bad signature');
      return JSON.parse(Buffer.from(token.slice(token.indexOf('.') + 1, last), 'base64url').toString('utf8'));
    },
    'floor: WebCrypto verify + JSON.parse': async (token) => {
      const last = token.lastIndexOf('.');
      const ok = await webcrypto.subtle.verify(subtle, s.cryptoKey, Buffer.from(token.slice(last + 1), 'base64url'), Buffer.from(token.slice(0, last)));
      if (!ok) throw new Error('bad signature');
      return JSON.parse(Buffer.from(token.slice(token.indexOf('.') + 1, last), 'base64url').toString('utf8'));
    },
    'jose jwtVerify': async (token) => (await jwtVerify(token, s.cryptoKey, { ...options, currentDate: new Date() })).payload,
    'ours: lib/tokens verify': (token) => s.deps.tokens.verify(token),
    'ours: authorizer handler': (token) => handler(event(token)),
    'fast-jwt': (token) => fast(token),
    'aws-jwt-verify': (token) => aws.verifySync(token),
    // jsonwebtoken 9 knows no EdDSA.
    jsonwebtoken: alg === 'EdDSA' ? undefined : (token) => jsonwebtoken.verify(token, s.pem, { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE }),
    'prototype: KeyObject verify': (token) => keyObjectVerifier.verify(token),
    'prototype: handler + KeyObject': (token) => keyObjectHandler(event(token)),
    'prototype: handler + cache, hit': (token) => cachedHandler(event(token)),
    'prototype: handler + cache, miss': (token) => missHandler(event(token)),
  };
  return calls;
}

/** What a contender's answer says about the token: the subject it allowed, or the error it threw. */
async function outcome(call: (token: string) => unknown, token: string): Promise<string> {
  try {
    const result = (await call(token)) as Record<string, unknown> & { principalId?: string; policyDocument?: { Statement: { Effect: string }[] } };
    if (result.policyDocument) return `${result.policyDocument.Statement[0]!.Effect}:${result.principalId}`;
    return `Allow:${String(result.sub)}`;
  } catch (error) {
    return `refused:${(error as Error).name}`;
  }
}

/** The cache prototype's promises, checked before it is timed: a hit, the exp, a key change, the bound. */
async function checkCacheSemantics(s: Setup): Promise<string[]> {
  const problems: string[] = [];
  let clock = Date.now();
  const keySet = { current: s.keys.verification as unknown };
  const cache = withVerifiedTokenCache(createVerifierDeps({ config: s.config, keys: s.keys, now: () => clock }).tokens, () => keySet.current, { now: () => clock, max: 2 });
  await cache.verify(s.token);
  await cache.verify(s.token);
  if (cache.hits !== 1) problems.push('a repeated token was not a hit');
  clock += 900_000; // the token's exp
  const expired = await cache.verify(s.token).then(() => 'accepted', (error: Error) => error.message);
  if (expired !== EXPIRED_DESCRIPTION) problems.push(`a cached token at its exp was ${expired}`);
  clock -= 900_000;
  await cache.verify(s.token);
  keySet.current = new Map(s.keys.verification);
  const before = cache.hits;
  await cache.verify(s.token);
  if (cache.hits !== before) problems.push('a key change kept the cache');
  for (const token of s.pool.slice(0, 3)) await cache.verify(token);
  if (cache.size > 2) problems.push('the bound was not kept');
  const forged = await cache.verify(s.forged).then(() => 'accepted', () => 'refused');
  if (forged !== 'refused') problems.push('a forgery was accepted');
  return problems;
}

/** Runs tests/lib/tokens.test.ts, unchanged, against a prototype; returns jest's count of tests ("153 passed"). */
function forgedTokenSuite(variant: string): { pass: boolean; summary: string } {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/jest/bin/jest.js'), '--config', 'bench/jest.prototype.config.js', '--ci', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, BENCH_VERIFIER: variant },
    encoding: 'utf8',
  });
  // jest prints its summary on stderr.
  const summary = /Tests:\s+([^\n]+)/.exec(`${run.stdout}${run.stderr}`)?.[1]?.trim() ?? `did not run (exit ${run.status})`;
  return { pass: run.status === 0, summary };
}

main(async () => {
  const isQuick = quick();
  const iterations = isQuick ? 600 : 3000;
  const results: AlgResult[] = [];
  const budgets: Budget[] = [];
  const sections: string[] = [];

  for (const alg of ALGS) {
    const s = await setUp(alg);
    const all = contenders(alg, s);
    const present = SUBJECTS.filter((name) => all[name] !== undefined);

    // Correctness first: each contender allows our token for our subject and refuses the forgery.
    for (const name of present) {
      const call = all[name]!;
      const [good, bad] = [await outcome(call, s.token), await outcome(call, s.forged)];
      const denied = bad.startsWith('refused') || bad.startsWith('Deny');
      if (good !== `Allow:${GRANT.sub}` || !denied) throw new Error(`${alg} ${name}: token → ${good}, forgery → ${bad}`);
    }
    const cacheProblems = await checkCacheSemantics(s);
    if (cacheProblems.length > 0) throw new Error(`cache prototype: ${cacheProblems.join('; ')}`);

    // Timed call by call, round-robin in a new random order each time: every contender meets the same moments
    // of a busy machine, and none runs in a tight loop that a real authorizer (one token per invocation) never
    // sees. Each contender's number is the median of its calls.
    const perCall = Object.fromEntries(present.map((name) => [name, [] as number[]])) as Record<Subject, number[]>;
    for (let i = 0; i < Math.min(200, iterations); i += 1) for (const name of present) await all[name]!(s.token); // warm
    for (let i = 0; i < iterations; i += 1) {
      for (const name of shuffled(present)) perCall[name].push(await timeOnce(() => all[name]!(s.token)));
    }
    const micros = Object.fromEntries(present.map((name) => [name, median(perCall[name]) * 1000])) as Partial<Record<Subject, number>>;
    results.push({ alg, micros });

    const floor = micros['floor: node:crypto verify + JSON.parse']!;
    const jose = micros['jose jwtVerify']!;
    sections.push(`#### ${alg}\n\n${table(
      ['contender', 'µs / call', '× floor', '× jose', 'calls / s (one core)'],
      present.map((name) => [name, fixed(micros[name], 1), times(micros[name]! / floor), times(micros[name]! / jose), Math.round(1e6 / micros[name]!).toLocaleString('en-US')]),
      [1, 2, 3, 4],
    )}`);
    const ratio = micros['ours: authorizer handler']! / jose;
    budgets.push({ name: `${alg}: our authorizer handler / jose jwtVerify`, measured: times(ratio), limit: '≤ 1.15x', pass: ratio <= 1.15 });
  }

  const suites = (isQuick ? ['keyobject'] : ['keyobject', 'keyobject+cache']).map((variant) => ({ variant, ...forgedTokenSuite(variant) }));
  const es = results.find((r) => r.alg === 'ES256')!.micros;
  const hit = es['prototype: handler + cache, hit']!;
  const missCost = es['prototype: handler + cache, miss']!;
  const plain = es['ours: authorizer handler']!;

  const markdown = [
    `### Table 1. The authorizer, warm (median µs per call over ${iterations} calls each, round-robin across contenders in random order; one token per algorithm)`,
    '',
    ...sections.flatMap((section) => [section, '']),
    'Every contender verifies the same token with its signature, `alg`, `iss`, `aud` and `exp` (jose, ours, fast-jwt and aws-jwt-verify also `typ`), and refuses a forgery signed by another key under our `kid` (checked before timing). `× jose` is against jose\'s jwtVerify on the same token.',
    '',
    `Forged-token suite (tests/lib/tokens.test.ts, unchanged) against the prototypes: ${suites.map((suite) => `${suite.variant}: ${suite.pass ? 'PASS' : 'FAIL'} (${suite.summary})`).join('; ')}.`,
    '',
    `Verified-token cache (ES256): a hit costs ${fixed(hit, 1)} µs against ${fixed(plain, 1)} µs for the handler (${times(plain / hit, 0)} less); a miss, a full verification plus a Map lookup and insert, costs ${fixed(missCost, 1)} µs (${times(missCost / plain)} the handler). With hit rate h a call costs about h·${fixed(hit, 0)} + (1 − h)·${fixed(missCost, 0)} µs.`,
    '',
    budgetTable(budgets),
    '',
  ].join('\n');

  report({
    table: 'authorizer',
    title: 'Authorizer, warm',
    markdown,
    budgets: [...budgets, ...suites.map((suite) => ({ name: `forged-token suite against ${suite.variant}`, measured: suite.summary, limit: 'all pass', pass: suite.pass }))],
    data: { iterations, results, suites, cache: { hit, miss: missCost, plain } },
  });
});
