import { randomBytes } from 'node:crypto';
import { decodeJwtPart, type HttpAnswer, type LocalApi } from '../support/offline';

export const PASSWORD = 'correct horse battery staple';

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope: string;
}

export const uniqueName = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;
export const sidOf = (tokens: Tokens) => decodeJwtPart(tokens.access_token, 1).sid as string;

/** A new user through POST /auth/register; fails the test unless it answers 201. */
export async function register(api: LocalApi, username = uniqueName('user')): Promise<{ username: string; tokens: Tokens }> {
  const answer = await api.request('POST', '/auth/register', { json: { username, password: PASSWORD } });
  expect(answer.status).toBe(201);
  return { username, tokens: answer.json };
}

export function expectContractError(answer: HttpAnswer, status: number, error: string): void {
  expect({ status: answer.status, body: answer.json }).toEqual({ status, body: { code: status, error, error_description: expect.any(String) } });
}
