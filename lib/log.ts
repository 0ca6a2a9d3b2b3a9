/**
 * A minimal JSON-lines logger. It takes a message and, at most, an error, whose name, code and message
 * only are written: never a token, a password, a hash or a raw event, by construction.
 */
function describe(error: unknown): Record<string, unknown> | undefined {
  if (error === undefined) return undefined;
  if (!(error instanceof Error)) return { type: typeof error };
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error ? { name: error.cause.name, message: error.cause.message } : undefined;
  return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}), ...(cause ? { cause } : {}) };
}

function write(level: 'info' | 'warn' | 'error', message: string, error?: unknown): void {
  const line = JSON.stringify({ level, message, ...(error === undefined ? {} : { error: describe(error) }) });
  (level === 'info' ? console.log : console.error)(line);
}

export const logger = {
  info: (message: string) => write('info', message),
  warn: (message: string, error?: unknown) => write('warn', message, error),
  error: (message: string, error?: unknown) => write('error', message, error),
};
