#!/usr/bin/env node
'use strict';
/** npm run client:size: the client library's size as an app ships it, minified and gzipped (limit 5 KB). */
const path = require('node:path');
const zlib = require('node:zlib');
const esbuild = require('esbuild');

const ENTRY = path.resolve(__dirname, '..', 'client/src/index.ts');
const LIMIT = 5120;

/** Bundles and minifies the client in memory; resolves with the code and its raw and gzipped byte counts. */
async function measureClientSize() {
  const result = await esbuild.build({
    entryPoints: [ENTRY], bundle: true, minify: true, format: 'esm', platform: 'neutral', target: 'es2020',
    legalComments: 'none', write: false, logLevel: 'warning',
  });
  const code = result.outputFiles[0].contents;
  return { code: Buffer.from(code).toString('utf8'), raw: code.length, gzip: zlib.gzipSync(code, { level: 9 }).length, limit: LIMIT };
}

module.exports = { measureClientSize, LIMIT };

if (require.main === module) {
  measureClientSize().then(({ raw, gzip }) => {
    process.stdout.write(`client: ${raw} bytes minified, ${gzip} bytes minified and gzipped (limit ${LIMIT} gzipped)\n`);
    if (gzip > LIMIT) process.exit(1);
  }, (error) => {
    process.stderr.write(`client:size failed: ${error.message}\n`);
    process.exit(1);
  });
}
