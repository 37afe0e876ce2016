// The web UI on the server's HTTP port: the assets `npm run build` put in dist/web, served as they are (no
// build step at run time). The pages hold no data, so they are open; every figure they show comes from the
// REST API with the key the user gives, under that key's scopes.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { TracelightError } from '../schemas/errors.js';

/** Paths of the UI's pages (deep links), each answered with the app's index.html. */
export const WEB_UI_PAGES = [
  '/',
  '/rollouts',
  '/rollouts/:id',
  '/triplets',
  '/resources',
  '/resources/:name',
  '/runs',
  '/runs/:id',
  '/traces',
  '/traces/:traceId',
] as const;

// The app runs its own bundled script and styles only, talks to this origin only, and is never framed.
const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** dist/web beside dist/server (this file's compiled home). */
export function webUiRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'web');
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('Content-Security-Policy', CSP)
    .header('X-Content-Type-Options', 'nosniff')
    .header('X-Frame-Options', 'DENY')
    .header('Referrer-Policy', 'no-referrer');
}

export async function registerWebUi(app: FastifyInstance, root = webUiRoot()): Promise<void> {
  const built = existsSync(join(root, 'index.html'));
  // Only the sendFile decorator: the routes below are declared here, each open, so nothing else is served.
  await app.register(fastifyStatic, { root, serve: false });
  const notBuilt = (): never => {
    throw new TracelightError('not_found', `the web UI is not built (no ${join(root, 'index.html')}): run npm run build`);
  };
  for (const url of WEB_UI_PAGES) {
    app.get(url, { config: { public: true }, schema: { summary: 'A page of the web UI (HTML)', tags: ['web ui'] } }, async (_req, reply) => {
      if (!built) notBuilt();
      return secure(reply).header('Cache-Control', 'no-cache').sendFile('index.html');
    });
  }
  // Vite names each asset by its content hash, so a browser may keep it for good.
  app.get<{ Params: { file: string } }>(
    '/assets/:file',
    { config: { public: true }, schema: { summary: 'A built asset of the web UI', tags: ['web ui'] } },
    async (req, reply) => {
      if (!built) notBuilt();
      const file = req.params.file;
      if (!/^[A-Za-z0-9._-]+$/.test(file)) throw new TracelightError('not_found', `no asset ${file}`);
      return secure(reply).sendFile(`assets/${file}`, { maxAge: 365 * 24 * 3600 * 1000, immutable: true });
    },
  );
}
