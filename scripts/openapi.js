#!/usr/bin/env node
'use strict';
/**
 * Prints the OpenAPI 3.1 document of the HTTP API (lib/openapi.ts) as JSON:
 *   node scripts/openapi.js > openapi.json
 *   node scripts/openapi.js https://abc123.execute-api.us-east-1.amazonaws.com/dev > openapi.json
 * The optional argument names the one server the document lists (by default: local and deployed forms).
 */
const path = require('node:path');
const { loadTs } = require('./local-gateway/load-ts');

const [serverUrl] = process.argv.slice(2);
const { openApiDocument } = loadTs(path.join(__dirname, '..', 'lib', 'openapi.ts'));
process.stdout.write(`${JSON.stringify(openApiDocument(serverUrl === undefined ? {} : { serverUrl }), null, 2)}\n`);
