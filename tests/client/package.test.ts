import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const { buildClient } = require('../../scripts/build-client.js') as { buildClient(options: { outdir: string }): Promise<string> };

/** The `exports["./client"]` entry of the root package.json. */
const CLIENT_EXPORT = {
  import: { types: './client/dist/index.d.ts', default: './client/dist/index.js' },
  require: { types: './client/dist/index.d.cts', default: './client/dist/index.cjs' },
};

const node = (cwd: string, args: string[]) => execFileSync(process.execPath, args, { cwd, encoding: 'utf8' });

describe('the built client package', () => {
  let app: string;
  beforeAll(async () => {
    // An app with the service installed as a dependency, holding only what the package would ship.
    app = mkdtempSync(join(tmpdir(), 'client-package-'));
    const installed = join(app, 'node_modules', 'jwt-auth-service');
    mkdirSync(join(installed, 'client'), { recursive: true });
    await buildClient({ outdir: join(installed, 'client', 'dist') });
    writeFileSync(join(installed, 'package.json'), JSON.stringify({ name: 'jwt-auth-service', exports: { './client': CLIENT_EXPORT } }));
    for (const types of ['@types', 'undici-types']) cpSync(join(ROOT, 'node_modules', types), join(app, 'node_modules', types), { recursive: true });
  }, 60_000);
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  test('loads with import and with require', () => {
    const imported = node(app, ['--input-type=module', '-e', "import { createAuthClient } from 'jwt-auth-service/client'; console.log(typeof createAuthClient)"]);
    const required = node(app, ['-e', "console.log(typeof require('jwt-auth-service/client').createAuthClient)"]);

    expect([imported.trim(), required.trim()]).toEqual(['function', 'function']);
  });

  test('ships types that resolve from ESM and CommonJS code, with Node\'s types or the DOM\'s', () => {
    const use = "const client = createAuthClient({ baseUrl: 'https://api.example.com', mode: 'cookie' });\nexport const me: Promise<{ sub: string }> = client.me();\n";
    writeFileSync(join(app, 'esm.mts'), `import { createAuthClient } from 'jwt-auth-service/client';\n${use}`);
    writeFileSync(join(app, 'cjs.cts'), `import { createAuthClient } from 'jwt-auth-service/client';\n${use}`);
    // skipLibCheck: client/tsconfig.json already checks the declarations against the DOM; this checks that they resolve.
    const compilerOptions = { noEmit: true, strict: true, skipLibCheck: true, module: 'node16', moduleResolution: 'node16', target: 'es2022' };
    writeFileSync(join(app, 'tsconfig.node.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, types: ['node'] }, files: ['esm.mts', 'cjs.cts'] }));
    writeFileSync(join(app, 'tsconfig.dom.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, lib: ['es2022', 'dom'], types: [] }, files: ['esm.mts', 'cjs.cts'] }));
    const tsc = require.resolve('typescript/bin/tsc');

    expect(() => node(app, [tsc, '-p', 'tsconfig.node.json'])).not.toThrow();
    expect(() => node(app, [tsc, '-p', 'tsconfig.dom.json'])).not.toThrow();
  }, 60_000);
});
