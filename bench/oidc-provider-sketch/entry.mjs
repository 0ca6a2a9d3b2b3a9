import http from 'node:http';
import Provider from 'oidc-provider';
// What oidc-provider needs before it answers anything: its keys, one client, PKCE, no development pages.
const jwks = JSON.parse(process.env.JWKS);
let provider;
export async function handler() {
  provider ??= new Provider('https://auth.example.com', {
    clients: [{ client_id: 'app', redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'none' }],
    jwks,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  });
  const server = http.createServer(provider.callback());
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const res = await fetch(`http://127.0.0.1:${server.address().port}/.well-known/openid-configuration`);
  const body = await res.json();
  server.close();
  return { statusCode: res.status, issuer: body.issuer };
}
