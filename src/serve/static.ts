/**
 * The playground's files, read from src/serve/public at run time (the compiled server sits in
 * dist/serve/, so they are two folders up, in the package as in a checkout). Only the listed
 * files are served: no path from a request reaches the file system.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

export const PUBLIC_DIR = fileURLToPath(new URL('../../src/serve/public/', import.meta.url));

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

export function registerStatic(app: FastifyInstance): void {
  for (const [route, { file, type }] of Object.entries(FILES)) {
    const body = fs.readFileSync(PUBLIC_DIR + file);
    app.get(route, async (_req, reply) => reply.type(type).header('cache-control', 'no-cache').send(body));
  }
}
