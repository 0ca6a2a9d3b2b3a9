import type { startPackaging } from './package';

export default function teardown(): void {
  (globalThis as { packaging?: ReturnType<typeof startPackaging> }).packaging?.cleanup();
}
