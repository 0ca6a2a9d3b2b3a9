'use strict';
const Module = require('node:module');
const path = require('node:path');

/** Loads one TypeScript module of lib/ (bundled by esbuild in memory), so the local tooling reuses it. */
function loadTs(file) {
  const { outputFiles } = require('esbuild').buildSync({
    entryPoints: [file],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Packages stay where they are: native ones (argon2) cannot be bundled, and nothing gains by it.
    packages: 'external',
    logLevel: 'silent',
  });
  const loaded = new Module(file, module);
  loaded.filename = file;
  loaded.paths = Module._nodeModulePaths(path.dirname(file));
  loaded._compile(outputFiles[0].text, file);
  return loaded.exports;
}

module.exports = { loadTs };
