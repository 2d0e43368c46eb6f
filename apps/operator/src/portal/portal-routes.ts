// GET /portal: the sharing portal, a static page plus a small script that calls the admin API.
import { readFileSync } from 'node:fs';
import express, { type Router } from 'express';
import { named } from '../http/route-name.ts';

const read = (name: string): string => readFileSync(new URL(name, import.meta.url), 'utf8');

export function portalRouter(): Router {
  const html = read('./portal.html');
  const script = read('./portal.js');
  const router = express.Router();
  router.get('/', named('/portal'), (_req, res) => {
    res.status(200).type('text/html').send(html);
  });
  router.get('/portal.js', named('/portal/portal.js'), (_req, res) => {
    res.status(200).type('text/javascript').send(script);
  });
  return router;
}
