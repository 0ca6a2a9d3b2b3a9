#!/usr/bin/env node
'use strict';
// Table 2 alone (the old entry of `npm run bench:cold-start`): node bench/run.js cold-start [--quick]
process.argv.splice(2, 0, 'cold-start');
require('./run');
