import fs from 'node:fs';
import path from 'node:path';

/**
 * The service's root, where serverless.yml lives: the nearest folder up from here that has one (a bundled
 * benchmark runs this code from bench/, so a fixed number of '..' would miss).
 */
function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'serverless.yml'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no serverless.yml above ${from}`);
  }
}

export const ROOT = findRoot(__dirname);
