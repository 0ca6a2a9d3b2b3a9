#!/usr/bin/env node
'use strict';
// Runs one TypeScript file of this repository (bundled in memory by esbuild): node scripts/run-ts.js FILE [ARGS]
const path = require('node:path');
const { loadTs } = require('./local-gateway/load-ts');

const [file, ...args] = process.argv.slice(2);
process.argv = [process.argv[0], path.resolve(file), ...args];
loadTs(path.resolve(file));
