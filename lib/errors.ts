/**
 * One error type for everything a client can be told. Each code is an RFC 6749 / 6750 error code (plus
 * `username_taken`, `email_taken` and `not_found`, which OAuth has no word for; `slow_down` is RFC 8628's). The table holds
 * each code's default status.
 */
const ERROR_STATUS = {
  invalid_request: 400,
  invalid_grant: 400,
  invalid_client: 401,
  unauthorized_client: 400,
  invalid_scope: 400,
  unsupported_grant_type: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  not_found: 404,
  username_taken: 409,
  email_taken: 409,
  slow_down: 429,
  server_error: 500,
  temporarily_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface AuthErrorOptions {
  /** Overrides the code's default status, e.g. 413 or 415 for an `invalid_request`. */
  status?: number;
  headers?: Record<string, string>;
  cause?: unknown;
  /** `insufficient_scope`: the scope the route needs, named in the challenge (RFC 6750 §3). */
  scope?: string;
  /** `invalid_token` for a request that carried no token: its challenge names no error (RFC 6750 §3.1). */
  anonymous?: boolean;
}

export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly scope: string | undefined;
  readonly anonymous: boolean;

  constructor(code: ErrorCode, description: string, options: AuthErrorOptions = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? ERROR_STATUS[code];
    this.headers = options.headers ?? {};
    this.scope = options.scope;
    this.anonymous = options.anonymous ?? false;
  }

  /** Only client errors say what went wrong; a 5xx never exposes its message. */
  get expose(): boolean {
    return this.status < 500;
  }
}

/** Raised at cold start when a configuration value is missing or malformed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly variable: string, problem: string) {
    super(`${variable} ${problem}`);
  }
}

/** The contract's answer to a storage fault: retry shortly, nothing was lost. */
export function temporarilyUnavailable(cause: unknown, retryAfterSeconds = 1): AuthError {
  return new AuthError('temporarily_unavailable', 'The service is temporarily unavailable; retry shortly.', {
    headers: { 'Retry-After': String(retryAfterSeconds) },
    cause,
  });
}
