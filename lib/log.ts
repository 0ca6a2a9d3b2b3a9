import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs (AWS Lambda Powertools Logger): every line has the level, the service, the function's
 * name, the request id and whether it is a cold start; the level comes from POWERTOOLS_LOG_LEVEL (INFO by
 * default), and POWERTOOLS_LOGGER_SAMPLE_RATE turns DEBUG on for that fraction of invocations.
 *
 * What a line may carry is fixed here: a message, fields this module names, and of an error only its name,
 * code and message (and its cause's). Never a token, a password, a hash, a message's body or a raw event.
 */
const makeLogger = () => new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'jwt-auth' });
let powertools = makeLogger();

/** What is known of the request being handled, for every line it logs (requests may overlap in one process locally). */
export interface RequestFacts {
  requestId?: string;
  sourceIp?: string;
}
const requests = new AsyncLocalStorage<RequestFacts>();

/** Runs `fn` as the handling of one request: its lines carry its id and source address. */
export const withRequest = <T>(facts: RequestFacts, fn: () => Promise<T>): Promise<T> => requests.run(facts, fn);
export const currentRequest = (): RequestFacts => requests.getStore() ?? {};

/** The Lambda invocation's context: function name, request id, cold start; and a fresh sampling decision. */
export function startInvocation(context: Parameters<Logger['addContext']>[0] | undefined): void {
  if (context) powertools.addContext(context);
  powertools.refreshSampleRateCalculation();
}

function describe(error: unknown): Record<string, unknown> | undefined {
  if (error === undefined) return undefined;
  if (!(error instanceof Error)) return { type: typeof error };
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error ? { name: error.cause.name, message: error.cause.message } : undefined;
  return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}), ...(cause ? { cause } : {}) };
}

const withRequestFacts = (fields: Record<string, unknown>) => {
  const { requestId, sourceIp } = currentRequest();
  return { ...(requestId ? { request_id: requestId } : {}), ...(sourceIp ? { source_ip: sourceIp } : {}), ...fields };
};

/** The security events, by their stable names (README, "Operating it"). */
export type SecurityEvent =
  | 'refresh_token_reuse'
  | 'authorization_code_replayed'
  | 'browser_session_ended'
  | 'login_throttled'
  | 'password_changed'
  | 'password_reset_requested'
  | 'password_reset_completed'
  | 'sessions_revoked'
  | 'account_deleted'
  | 'account_disabled'
  | 'account_enabled';

/** Who a security event is about: ids only, never a name, an address or a token. */
export interface Subject {
  sub?: string;
  sid?: string;
  clientId?: string;
}

export const logger = {
  debug: (message: string, fields: Record<string, unknown> = {}) => powertools.debug(message, withRequestFacts(fields)),
  info: (message: string, fields: Record<string, unknown> = {}) => powertools.info(message, withRequestFacts(fields)),
  warn: (message: string, error?: unknown, fields: Record<string, unknown> = {}) =>
    powertools.warn(message, withRequestFacts({ ...fields, ...(error === undefined ? {} : { error: describe(error) }) })),
  error: (message: string, error?: unknown) => powertools.error(message, withRequestFacts(error === undefined ? {} : { error: describe(error) })),
  /** One line at WARN, with the event's stable name, the account's ids and the source address. */
  security: (event: SecurityEvent, subject: Subject = {}, fields: Record<string, unknown> = {}) =>
    powertools.warn(`security event: ${event}`, withRequestFacts({
      event,
      ...(subject.sub ? { sub: subject.sub } : {}),
      ...(subject.sid ? { sid: subject.sid } : {}),
      ...(subject.clientId ? { client_id: subject.clientId } : {}),
      ...fields,
    })),
  /**
   * The process's level from now on, as if POWERTOOLS_LOG_LEVEL had said it (tests and the admin CLI
   * choose how much they hear): Powertools goes back to its initial level at every invocation.
   */
  setLevel: (level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT') => {
    process.env.POWERTOOLS_LOG_LEVEL = level;
    powertools = makeLogger();
  },
};
