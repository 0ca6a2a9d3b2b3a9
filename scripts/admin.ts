/**
 * npm run admin -- <command> …: operates the users and sessions of the local data or of a deployed stage
 * (run by scripts/run-ts.js). The commands are in scripts/admin/cli.ts; `npm run admin -- --help` lists them.
 */
import { logger } from '../lib/log';
import { runAdmin } from './admin/cli';

// Lambda runs Node 22; the SDK's notice that its later releases will need it is not for an operator's run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// The service's JSON log lines (the security events of lib/admin.ts among them) are for CloudWatch; an
// operator's terminal hears of errors only, unless POWERTOOLS_LOG_LEVEL asks for more.
if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLevel('ERROR');

void runAdmin(process.argv.slice(2), { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then((code) => {
  process.exitCode = code;
});
