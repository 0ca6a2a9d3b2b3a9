/** What `run` reads and writes instead of this process's own environment, directory and streams. */
export interface KeysIo {
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdout?: { write(text: string): unknown };
  stderr?: { write(text: string): unknown };
}

/** Runs `npm run keys -- …argv` in this process and resolves with its exit code: 0, 1 (key set), 2 (usage), 3 (npm banner in a pipe). */
export function run(argv: readonly string[], io?: KeysIo): Promise<number>;
