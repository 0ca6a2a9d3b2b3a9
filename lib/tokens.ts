import { randomUUID } from 'node:crypto';
import { compactVerify, errors as joseErrors, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';
import type { Config, VerifierConfig } from './config';
import { AuthError } from './errors';
import type { VerificationKeys } from './keys';

/** RFC 9068 §2.1: the media type of an access token, minus its "application/" prefix. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** The contract's exact words for an expired token, which clients key their refresh on. */
export const EXPIRED_DESCRIPTION = 'The access token provided has expired.';
/** Real tokens are well under 1 KB; anything far larger is not worth parsing. */
const MAX_TOKEN_LENGTH = 4096;

export interface AccessClaims {
  sub: string;
  scope: string;
  sid: string;
  client_id: string;
  exp: number;
  jti: string;
}

export interface AccessTokenGrant {
  sub: string;
  scope: string;
  sid: string;
  clientId: string;
}

export interface TokenVerifier {
  /** Verifies a bearer token; throws AuthError('invalid_token') with a precise description. */
  verify(token: string): Promise<AccessClaims>;
}

/** What an ID token says (OpenID Connect Core §2): who signed in, when and how, for which client. */
export interface IdTokenGrant {
  sub: string;
  clientId: string;
  authTime: number;
  amr: string[];
  /** The browser session's public id: what RP-initiated logout names. */
  sid: string;
  nonce?: string;
}

export interface TokenService extends TokenVerifier {
  issue(grant: AccessTokenGrant): Promise<{ accessToken: string; expiresIn: number }>;
  issueIdToken(grant: IdTokenGrant): Promise<string>;
  /**
   * An ID token this service issued, as an `id_token_hint` (RP-initiated logout): its signature and issuer
   * are checked, its expiry is not (a hint may be old). Undefined for anything else.
   */
  readIdTokenHint(token: string): Promise<{ sub: string; aud: string; sid?: string } | undefined>;
}

/** Verifying needs the issuer, audience and skew; issuing also the lifetime, which verifiers do not read. */
type TokenConfig = Pick<VerifierConfig, 'issuer' | 'audience' | 'clockSkew'> & Partial<Pick<Config, 'accessTokenTtl'>>;

/** Why a token was refused, as the authorizer's metrics count it. */
export type RefusalReason = 'expired' | 'bad_signature' | 'malformed' | 'invalid_claims';

/** An `invalid_token` that knows its reason; clients see only the description. */
export class InvalidTokenError extends AuthError {
  constructor(description: string, readonly reason: RefusalReason, cause?: unknown) {
    super('invalid_token', description, { cause });
  }
}

export const invalid = (description: string, reason: RefusalReason, cause?: unknown) => new InvalidTokenError(description, reason, cause);

/** Translates jose's errors into the contract's; nothing else in the code sees a jose error. */
export function translate(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof joseErrors.JWTExpired) return invalid(EXPIRED_DESCRIPTION, 'expired', error);
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const what = error.claim === 'nbf' ? 'is not valid yet' : `has an unacceptable ${error.claim} claim`;
    return invalid(`The access token ${what}.`, 'invalid_claims', error);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return invalid('The access token signature is invalid.', 'bad_signature', error);
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return invalid('The access token is signed with an algorithm that is not accepted.', 'bad_signature', error);
  return invalid('The access token is malformed.', 'malformed', error);
}

export function isAccessClaims(payload: Record<string, unknown>): payload is Record<string, unknown> & AccessClaims {
  return ['sub', 'scope', 'sid', 'client_id', 'jti'].every((claim) => typeof payload[claim] === 'string') && typeof payload.exp === 'number';
}

/** Verifies access tokens (RFC 9068) with the verification keys; `now` is injectable for tests. */
export function createTokenVerifier(config: TokenConfig, keys: VerificationKeys, now: () => number = Date.now): TokenVerifier {
  const getKey = (header: JWTHeaderParameters) => keyOf(keys, header, 'access token');

  return {
    async verify(token) {
      if (token.length > MAX_TOKEN_LENGTH) throw invalid('The access token is malformed.', 'malformed');
      try {
        const { payload } = await jwtVerify(token, getKey, {
          algorithms: [keys.alg],
          issuer: config.issuer,
          audience: config.audience,
          typ: ACCESS_TOKEN_TYPE,
          clockTolerance: config.clockSkew,
          currentDate: new Date(now()),
          requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        });
        if (!isAccessClaims(payload)) throw invalid('The access token is missing required claims.', 'invalid_claims');
        return { sub: payload.sub, scope: payload.scope, sid: payload.sid, client_id: payload.client_id, exp: payload.exp, jti: payload.jti };
      } catch (error) {
        throw translate(error);
      }
    },
  };
}

/**
 * Signs and verifies access tokens. Only the functions that use the tables build one; the authorizer and the
 * metadata routes build a verifier alone, so their bundles carry no signing code.
 */
export function createTokenService(config: TokenConfig, keys: VerificationKeys, now: () => number = Date.now): TokenService {
  return {
    ...createTokenVerifier(config, keys, now),
    async issue({ sub, scope, sid, clientId }) {
      // Only a deployment fault gets here: a function that signs was given the public set alone.
      const { signing } = keys;
      const ttl = config.accessTokenTtl;
      if (!signing || ttl === undefined) throw new AuthError('server_error', 'This function cannot sign.');
      const issuedAt = Math.floor(now() / 1000);
      const accessToken = await new SignJWT({ client_id: clientId, scope, sid })
        .setProtectedHeader({ alg: keys.alg, kid: signing.kid, typ: ACCESS_TOKEN_TYPE })
        .setIssuer(config.issuer)
        .setSubject(sub)
        .setAudience(config.audience)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + ttl)
        .setJti(randomUUID())
        .sign(signing.key);
      return { accessToken, expiresIn: ttl };
    },
    async issueIdToken({ sub, clientId, authTime, amr, sid, nonce }) {
      const { signing } = keys;
      const ttl = config.accessTokenTtl;
      if (!signing || ttl === undefined) throw new AuthError('server_error', 'This function cannot sign.');
      const issuedAt = Math.floor(now() / 1000);
      // typ JWT, never at+jwt: an ID token is refused wherever an access token is expected.
      return new SignJWT({ auth_time: authTime, amr, sid, ...(nonce === undefined ? {} : { nonce }) })
        .setProtectedHeader({ alg: keys.alg, kid: signing.kid, typ: 'JWT' })
        .setIssuer(config.issuer)
        .setSubject(sub)
        .setAudience(clientId)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + Math.max(ttl, 300))
        .sign(signing.key);
    },
    async readIdTokenHint(token) {
      if (token.length > MAX_TOKEN_LENGTH) return undefined;
      try {
        const { payload, protectedHeader } = await compactVerify(token, (header) => keyOf(keys, header, 'ID token'), { algorithms: [keys.alg] });
        if (protectedHeader.typ !== 'JWT') return undefined;
        const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
        if (claims.iss !== config.issuer || typeof claims.sub !== 'string' || typeof claims.aud !== 'string') return undefined;
        return { sub: claims.sub, aud: claims.aud, ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}) };
      } catch {
        return undefined;
      }
    },
  };
}

/** The key a token names by `kid`, of our own keys only: jku, x5u and embedded jwk headers are never looked at. */
function keyOf(keys: VerificationKeys, header: JWTHeaderParameters, what: string) {
  const key = typeof header.kid === 'string' ? keys.verification.get(header.kid) : undefined;
  if (key === undefined) throw invalid(`The ${what} is signed by an unknown key.`, 'bad_signature');
  return key;
}
