#!/usr/bin/env node
'use strict';
/**
 * npm run demo: serves examples/demo and the client, built from client/src at start (client/dist/index.js)
 * on 127.0.0.1:DEMO_PORT (default 3100), another origin than the API (API_URL, default http://localhost:3000).
 */
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DEMO = path.join(ROOT, 'examples', 'demo');
const CLIENT = path.join(ROOT, 'client', 'dist', 'index.js');
const PAGE = { file: path.join(DEMO, 'index.html'), type: 'text/html; charset=utf-8' };

/**
 * Every path the server answers: nothing else on disk is reachable. The page also answers the links of the
 * API's messages (serverless.yml's emailVerificationUrl and passwordResetUrl): it reads their token itself.
 */
const FILES = {
  '/': PAGE,
  '/verify-email': PAGE,
  '/reset-password': PAGE,
  '/app.js': { file: path.join(DEMO, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: path.join(DEMO, 'style.css'), type: 'text/css; charset=utf-8' },
  '/client.js': { file: CLIENT, type: 'text/javascript; charset=utf-8' },
};

const HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // The page talks to whatever API URL is typed in, so connect-src stays open to http(s); nothing else is.
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' http: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

const escapeAttribute = (text) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The API's origin-like base URL, or an error naming the bad value. */
function checkApiUrl(apiUrl) {
  let url;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new Error(`API_URL "${apiUrl}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`API_URL "${apiUrl}" is not an http(s) URL`);
  return apiUrl.replace(/\/+$/, '');
}

/** Starts the demo server; resolves with its URL and a close() that stops it. */
async function startDemoServer({ port = 3100, host = '127.0.0.1', apiUrl = 'http://localhost:3000' } = {}) {
  const api = checkApiUrl(apiUrl);
  // Built every time, so the page never runs a client older than its source.
  await require('./build-client').buildClient({ types: false });

  const server = http.createServer((request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://demo');
    const entry = Object.prototype.hasOwnProperty.call(FILES, pathname) ? FILES[pathname] : undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...HEADERS, Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (!entry) {
      response.writeHead(404, { ...HEADERS, 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    // Read on every request, so edits to the page or a rebuilt client show on reload.
    fs.readFile(entry.file, 'utf8', (error, text) => {
      if (error) {
        response.writeHead(500, { ...HEADERS, 'Content-Type': 'text/plain' }).end(`cannot read ${path.relative(ROOT, entry.file)}\n`);
        return;
      }
      const body = entry === PAGE ? text.replace('__API_URL__', escapeAttribute(api)) : text;
      response.writeHead(200, { ...HEADERS, 'Content-Type': entry.type, 'Content-Length': Buffer.byteLength(body) });
      response.end(request.method === 'HEAD' ? undefined : body);
    });
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/`;
  return {
    url,
    apiUrl: api,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

module.exports = { startDemoServer };

if (require.main === module) {
  const port = Number(process.env.DEMO_PORT ?? 3100);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`demo: DEMO_PORT "${process.env.DEMO_PORT}" is not a port number\n`);
    process.exit(2);
  }
  startDemoServer({ port, apiUrl: process.env.API_URL || undefined }).then(
    ({ url, apiUrl, close }) => {
      // localhost, not 127.0.0.1: on one site with a localhost API, as cookie mode needs.
      const page = url.replace('127.0.0.1', 'localhost');
      process.stdout.write(
        `demo: open ${page} (API ${apiUrl}); Ctrl-C stops\n` +
          `      the API must allow this origin: CORS_ORIGINS="${page.replace(/\/$/, '')}" npm start\n`,
      );
      const stop = () => close().then(() => process.exit(0), () => process.exit(1));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error) => {
      process.stderr.write(`demo: ${error.message}\n`);
      process.exit(1);
    },
  );
}
