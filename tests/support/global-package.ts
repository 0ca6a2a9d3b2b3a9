/**
 * Global setup of the package tests: `serverless package` runs once per stage per `npm test`, in the
 * background, while other tests run; each package test waits for the stage it reads (support/package.ts).
 */
import { newScratch, startPackaging } from './package';

export default function setup(): void {
  const scratch = newScratch();
  process.env.PACKAGE_SCRATCH = scratch;
  const packaging = startPackaging(scratch);
  (globalThis as { packaging?: typeof packaging }).packaging = packaging;
}
