import { AuthError } from './errors';
import { bodyText, mediaType, parseJsonObject, type HttpEvent } from './http';

/**
 * The parameters of an OAuth request (RFC 6749 §3.2, RFC 7009 §2.1): `application/x-www-form-urlencoded`
 * as the RFCs say, or a flat JSON object of strings. A parameter sent twice is `invalid_request`; one sent
 * empty counts as omitted (RFC 6749 §3.1).
 */
export function parseOAuthParams(event: HttpEvent): Record<string, string> {
  const type = mediaType(event);
  if (type === 'application/x-www-form-urlencoded') return formParams(bodyText(event));
  if (type === 'application/json') return jsonParams(bodyText(event));
  throw new AuthError('invalid_request', 'The request body must be application/x-www-form-urlencoded or application/json.', {
    status: 415,
  });
}

/** `application/x-www-form-urlencoded` (a body, or a query string): repeats refused, empty values omitted. */
export function formParams(text: string): Record<string, string> {
  const params: Record<string, string> = Object.create(null);
  for (const [name, value] of new URLSearchParams(text)) {
    if (name in params) throw new AuthError('invalid_request', `The "${shortName(name)}" parameter is repeated.`);
    params[name] = value;
  }
  return withoutEmpty(params);
}

/**
 * The member names of a JSON object's top level, in order, repeats included (JSON.parse keeps only the
 * last of a repeated name, which would let a filter in front of us and this service read different values).
 */
function topLevelNames(text: string): string[] {
  const names: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i]; // the text already parsed as JSON, so strings and brackets are well formed
    if (char === '{' || char === '[') depth += 1;
    else if (char === '}' || char === ']') depth -= 1;
    else if (char === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      let next = end + 1;
      while (' \t\n\r'.includes(text[next] ?? '.')) next += 1;
      if (depth === 1 && text[next] === ':') names.push(JSON.parse(text.slice(i, end + 1)) as string);
      i = end;
    }
  }
  return names;
}

function jsonParams(text: string): Record<string, string> {
  const params: Record<string, string> = Object.create(null);
  const parsed = parseJsonObject(text);
  const names = topLevelNames(text);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) throw new AuthError('invalid_request', `The "${shortName(repeated)}" parameter is repeated.`);
  for (const [name, value] of Object.entries(parsed)) {
    if (value === null || value === undefined) continue;
    if (typeof value !== 'string') throw new AuthError('invalid_request', `The "${shortName(name)}" parameter must be a string.`);
    params[name] = value;
  }
  return withoutEmpty(params);
}

function withoutEmpty(params: Record<string, string>): Record<string, string> {
  for (const name of Object.keys(params)) if (params[name] === '') delete params[name];
  return params;
}

/** Parameter names are echoed in errors: keep them short and printable. */
function shortName(name: string): string {
  const printable = name.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 40 ? `${printable.slice(0, 40)}…` : printable;
}

/** RFC 6749 Appendix A.1: client_id is VSCHAR (printable ASCII); kept short so it stays a small claim. */
export function clientIdParam(clientId: string | undefined): string | undefined {
  if (clientId === undefined || clientId === '') return undefined;
  if (!/^[\x20-\x7e]{1,128}$/.test(clientId)) throw new AuthError('invalid_request', 'The "client_id" parameter is malformed.');
  return clientId;
}
