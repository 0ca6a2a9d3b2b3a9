#!/usr/bin/env node
'use strict';
/**
 * npm run build:client: client/dist/index.js (ESM), index.cjs (CommonJS), and their declarations
 * index.d.ts / index.d.cts, for `import … from 'jwt-auth-service/client'` and `require(…)`.
 */
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const esbuild = require('esbuild');

const ROOT = path.resolve(__dirname, '..');
const ENTRY = path.join(ROOT, 'client/src/index.ts');
const DIST = path.join(ROOT, 'client/dist');

/** What both bundles share: one self-contained file for any runtime with fetch (browsers, React Native, Node 18+). */
const common = { entryPoints: [ENTRY], bundle: true, platform: 'neutral', target: 'es2020', legalComments: 'none', logLevel: 'warning' };

/** Builds the bundles (and, unless types is false, the declarations) into outdir (client/dist). */
async function buildClient({ types = true, outdir = DIST } = {}) {
  fs.mkdirSync(outdir, { recursive: true });
  await Promise.all([
    esbuild.build({ ...common, format: 'esm', outfile: path.join(outdir, 'index.js') }),
    esbuild.build({ ...common, format: 'cjs', outfile: path.join(outdir, 'index.cjs') }),
  ]);
  // The root package is CommonJS: this makes index.js (and index.d.ts) ESM while index.cjs stays CommonJS.
  fs.writeFileSync(path.join(outdir, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
  if (types) {
    const tsc = require.resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, 'client/tsconfig.json'), '--outDir', outdir], { stdio: 'inherit' });
    // One source file, so one declaration file with no relative imports: it serves `require` as well.
    fs.copyFileSync(path.join(outdir, 'index.d.ts'), path.join(outdir, 'index.d.cts'));
  }
  return outdir;
}

module.exports = { buildClient };

if (require.main === module) {
  buildClient().then(
    () => process.stdout.write(`built ${path.relative(process.cwd(), DIST)}/index.js, index.cjs, index.d.ts, index.d.cts\n`),
    (error) => {
      process.stderr.write(`build:client failed: ${error.message}\n`);
      process.exit(1);
    },
  );
}
