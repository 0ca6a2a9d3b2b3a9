import { spawnSharedServers } from './shared-servers';

/** Global setup of the e2e tests: the shared local servers start booting; tests wait for the one they use. */
export default async function setup(): Promise<void> {
  (globalThis as { e2eServers?: unknown }).e2eServers = await spawnSharedServers();
}
