import type { OfflineServer } from './offline';

export default async function teardown(): Promise<void> {
  const servers = (globalThis as { e2eServers?: OfflineServer[] }).e2eServers ?? [];
  await Promise.all(servers.map((server) => server.stop()));
}
