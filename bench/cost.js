#!/usr/bin/env node
'use strict';
/**
 * What a million logins, refreshes and API calls cost on AWS at list prices, from the numbers of a bench run
 * (bench/results.json, written by `npm run bench -- --write`): the DynamoDB request units each operation
 * used (table 3), each function's memory and warm and cold times (table 2). Prints markdown tables for the
 * README. Run: node bench/cost.js [results.json]
 *
 * Prices: us-east-1 list prices as last published to our knowledge, taken as those of December 2026. They
 * change: re-check every one of them on the pages in PRICES before quoting a number.
 */
const fs = require('node:fs');
const path = require('node:path');

const PRICES = {
  date: 'December 2026 (list prices as last published to our knowledge; re-check)',
  region: 'us-east-1',
  // https://aws.amazon.com/lambda/pricing/ (arm64, first 7.5 billion GB-s a month)
  lambdaPerGbSecondArm: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  // https://aws.amazon.com/api-gateway/pricing/ (REST API, first 333 million a month; HTTP API, first 300 million)
  restApiPerMillion: 3.5,
  httpApiPerMillion: 1.0,
  // https://aws.amazon.com/dynamodb/pricing/on-demand/ (after the November 2024 cut)
  dynamoPerMillionWru: 0.625,
  dynamoPerMillionRru: 0.125,
  dynamoPerGbMonth: 0.25,
  dynamoPitrPerGbMonth: 0.2,
  // https://aws.amazon.com/secrets-manager/pricing/
  secretPerMonth: 0.4,
  secretsPer10kCalls: 0.05,
  // https://aws.amazon.com/cloudwatch/pricing/ (logs ingested); Lambda writes START, END and REPORT lines (~0.3 KB)
  // and every invocation of ours one EMF line of its counts (~0.25 KB); security events and errors are rare
  logsPerGb: 0.5,
  logKbPerInvocation: 0.55,
  // https://aws.amazon.com/cognito/pricing/ (user pools created since November 2024; per MAU beyond the free 10,000)
  cognitoLite: [[10_000, 0], [100_000, 0.0055], [1_000_000, 0.0046], [10_000_000, 0.00325], [Infinity, 0.0025]],
  cognitoEssentials: [[10_000, 0], [Infinity, 0.015]],
  cognitoPlus: [[Infinity, 0.02]],
  // https://auth0.com/pricing (B2C, self-serve, billed monthly): a plan per MAU band; beyond the bands, by quote
  auth0: { free: 25_000, essentials: { mau: 500, perMonth: 35 }, professional: { mau: 1_000, perMonth: 240 } },
};

/** What the estimate assumes, beyond the measurements. */
const ASSUMPTIONS = {
  /** Lambda gives one vCPU at 1,769 MB, proportionally less below: CPU time scales by 1769 / MB. */
  vcpuMb: 1769,
  /** One DynamoDB round trip from Lambda in the same region, ms. */
  roundTripMs: 5,
  /** The SDK client's CPU per request (marshalling, signing, parsing), ms at one vCPU. */
  sdkCpuMs: 0.5,
  /** Invocations that start a new execution environment (AWS: "under 1%" in production). */
  coldFraction: 0.01,
  /** A monthly active user: logins, refreshes (one per 15-minute access token while active), API calls. */
  mau: { logins: 4, refreshes: 120, apiCalls: 2_000 },
  /** API calls a client makes with one access token within the authorizer cache's 300 s (one call every 10 s). */
  callsPerTokenPerTtl: 30,
};

const file = process.argv[2] ?? path.join(__dirname, 'results.json');
const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
const table = (name) => saved.results.find((result) => result.table === name && !result.failed)?.data;
const dynamo = table('dynamo');
const cold = table('cold-start');
if (!dynamo || !cold) throw new Error(`${file} lacks table 3 (dynamo) or table 2 (cold-start): run npm run bench -- --write`);

const fn = (name) => {
  const packaged = cold.functions.find((f) => f.name === name);
  const row = cold.rows.find((r) => r.name === name);
  return { memory: packaged.memory, warmMs: row.warmMs, initMs: row.loadMs + row.firstCallMs };
};
const units = (operation) => dynamo.costs[operation];
const scale = (memory) => Math.max(1, ASSUMPTIONS.vcpuMb / memory);
const gbSeconds = (memory, ms) => (memory / 1024) * (ms / 1000);

/**
 * The Lambda duration billed for one invocation: its CPU outside DynamoDB (measured here, one x86 core),
 * scaled to the function's share of a vCPU, plus the SDK's work per request, plus one round trip per
 * sequential request; rounded up to the millisecond.
 */
function billedMs({ memory, cpuMs, requests, roundTrips }) {
  return Math.ceil((cpuMs + requests * ASSUMPTIONS.sdkCpuMs) * scale(memory) + roundTrips * ASSUMPTIONS.roundTripMs);
}

/** The cost of a million invocations of one function behind API Gateway, by line. */
function perMillion({ name, memory, ms, rru = 0, wru = 0, initMs = 0, api = PRICES.restApiPerMillion }) {
  const lines = {
    'API Gateway': api,
    'Lambda requests': PRICES.lambdaPerMillionRequests,
    'Lambda duration': gbSeconds(memory, ms) * 1e6 * PRICES.lambdaPerGbSecondArm,
    'Lambda INIT (cold starts)': ASSUMPTIONS.coldFraction * gbSeconds(memory, Math.ceil(initMs * scale(memory))) * 1e6 * PRICES.lambdaPerGbSecondArm,
    'DynamoDB reads': rru * PRICES.dynamoPerMillionRru,
    'DynamoDB writes': wru * PRICES.dynamoPerMillionWru,
    'CloudWatch Logs': (PRICES.logKbPerInvocation / 1024 / 1024) * 1e6 * PRICES.logsPerGb,
  };
  return { name, ms, lines, total: Object.values(lines).reduce((sum, value) => sum + value, 0) };
}

const login = units('login (POST /auth/login)');
const refresh = units('refresh (POST /auth/refresh)');
const me = units('GET /me');
// Outside DynamoDB: a refresh's measured time outside requests; a login's, which holds the argon2id verification.
const loginFn = fn('login');
const refreshFn = fn('refresh');
const authorizerFn = fn('authorizer');
const meFn = fn('me');
const operations = {
  login: perMillion({
    name: 'login', memory: loginFn.memory, rru: login.readUnits, wru: login.writeUnits, initMs: loginFn.initMs,
    ms: billedMs({ memory: loginFn.memory, cpuMs: dynamo.split.login.rest, requests: login.total, roundTrips: login.roundTrips }),
  }),
  refresh: perMillion({
    name: 'refresh', memory: refreshFn.memory, rru: refresh.readUnits, wru: refresh.writeUnits, initMs: refreshFn.initMs,
    ms: billedMs({ memory: refreshFn.memory, cpuMs: dynamo.split.refresh.rest, requests: refresh.total, roundTrips: refresh.roundTrips }),
  }),
  authorizer: perMillion({
    name: 'authorizer invocation', memory: authorizerFn.memory, api: 0, initMs: authorizerFn.initMs,
    ms: billedMs({ memory: authorizerFn.memory, cpuMs: authorizerFn.warmMs, requests: 0, roundTrips: 0 }),
  }),
  me: perMillion({
    name: 'GET /me (the route itself)', memory: meFn.memory, api: 0, rru: me.readUnits, wru: me.writeUnits, initMs: meFn.initMs,
    ms: billedMs({ memory: meFn.memory, cpuMs: 0.2, requests: me.total, roundTrips: me.roundTrips }),
  }),
};

const money = (value) => (value === 0 ? '$0' : value >= 100 ? `$${Math.round(value).toLocaleString('en-US')}` : value >= 1 ? `$${value.toFixed(2)}` : value >= 0.01 ? `$${value.toFixed(3)}` : `$${value.toPrecision(2)}`);
const md = (headers, rows) => [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');

const lineNames = Object.keys(operations.login.lines);
console.log(`Prices: ${PRICES.region}, ${PRICES.date}.\n`);
console.log(md(['per million', 'billed ms (arm64)', ...lineNames, 'total'], Object.values(operations).map((op) => [
  op.name, op.ms, ...lineNames.map((line) => money(op.lines[line])), `**${money(op.total)}**`,
])));

// A million API calls through the authorizer: API Gateway for each, the authorizer for each (no cache) or for
// one in callsPerTokenPerTtl (cache TTL 300 s). The route behind it is yours; GET /me is shown as an example.
const authorizerShare = (cached) => (cached ? 1 / ASSUMPTIONS.callsPerTokenPerTtl : 1) * operations.authorizer.total;
const apiCall = (cached, api = PRICES.restApiPerMillion) => api + authorizerShare(cached);
console.log('\n');
console.log(md(['a million API calls through the authorizer', 'REST API, no cache', 'REST API, cache TTL 300 s', 'HTTP API + its JWT authorizer (no Lambda)'], [
  ['authorization (API Gateway + authorizer)', money(apiCall(false)), money(apiCall(true)), money(PRICES.httpApiPerMillion)],
  ['plus GET /me as the route', money(apiCall(false) + operations.me.total), money(apiCall(true) + operations.me.total), money(PRICES.httpApiPerMillion + operations.me.total)],
]));

// Per monthly active user, against Cognito and Auth0.
const perUser = (cached) => (ASSUMPTIONS.mau.logins * operations.login.total + ASSUMPTIONS.mau.refreshes * operations.refresh.total
  + ASSUMPTIONS.mau.apiCalls * authorizerShare(cached)) / 1e6;
const tiered = (tiers, users) => {
  let rest = users;
  let floor = 0;
  let total = 0;
  for (const [upTo, price] of tiers) {
    const inTier = Math.max(0, Math.min(rest, upTo - floor));
    total += inTier * price;
    rest -= inTier;
    floor = upTo;
  }
  return total;
};
console.log('\n');
const sizes = [10_000, 100_000, 1_000_000, 10_000_000];
console.log(md(['monthly cost at … MAU', ...sizes.map((n) => n.toLocaleString('en-US'))], [
  ['this service, authorizer cache on (auth only: logins, refreshes, authorizer)', ...sizes.map((n) => money(n * perUser(true)))],
  ['this service, authorizer cache off', ...sizes.map((n) => money(n * perUser(false)))],
  ['Amazon Cognito Lite', ...sizes.map((n) => money(tiered(PRICES.cognitoLite, n)))],
  ['Amazon Cognito Essentials', ...sizes.map((n) => money(tiered(PRICES.cognitoEssentials, n)))],
  ['Amazon Cognito Plus', ...sizes.map((n) => money(tiered(PRICES.cognitoPlus, n)))],
  ['Auth0 B2C (self-serve plans end far below these sizes)', 'Free plan (≤ 25,000 MAU)', 'by quote', 'by quote', 'by quote'],
]));
console.log(`\nPer MAU (${ASSUMPTIONS.mau.logins} logins, ${ASSUMPTIONS.mau.refreshes} refreshes, ${ASSUMPTIONS.mau.apiCalls} API calls a month): this service ${money(perUser(true))} with the cache, ${money(perUser(false))} without (plus storage, PITR and $${PRICES.secretPerMonth} a month for the secret); Cognito Essentials $${PRICES.cognitoEssentials[1][1]}, Plus $${PRICES.cognitoPlus[0][1]}, Lite from $${PRICES.cognitoLite[1][1]} down to $${PRICES.cognitoLite[4][1]}; Auth0 Essentials $${PRICES.auth0.essentials.perMonth} a month for ${PRICES.auth0.essentials.mau} MAU ($${(PRICES.auth0.essentials.perMonth / PRICES.auth0.essentials.mau).toFixed(3)}/MAU), Professional $${PRICES.auth0.professional.perMonth} for ${PRICES.auth0.professional.mau} ($${(PRICES.auth0.professional.perMonth / PRICES.auth0.professional.mau).toFixed(3)}/MAU).`);
console.log(`\nAssumptions: ${JSON.stringify(ASSUMPTIONS)}`);
