import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpHandler } from '../../lib/route';
import { proxyEvent } from './app';

export interface ServedRoutes {
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * Serves HTTP handlers on 127.0.0.1 as API Gateway's proxy integration calls them, for tests whose client
 * is third-party code that speaks HTTP (discovery, JWKS, token endpoint) but that need no authorizer: one
 * AWS proxy event per request, routed by "METHOD /path". Unknown routes answer 404.
 */
export async function serveRoutes(routes: () => Record<string, HttpHandler>): Promise<ServedRoutes> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handler = routes()[`${req.method} ${path}`];
    if (!handler) {
      res.writeHead(404).end();
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, String(value)]));
    const response = await handler(
      proxyEvent({ httpMethod: req.method, path, headers, rawBody: Buffer.concat(chunks).toString('utf8'), sourceIp: req.socket.remoteAddress }),
    );
    res.writeHead(response.statusCode, response.headers).end(response.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
