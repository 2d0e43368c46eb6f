// Names the route a request took, for its log line and metric labels. Names come from the code (route
// patterns, never raw paths), so the label set stays bounded whatever paths callers send.
import type { RequestHandler } from 'express';

export function named(route: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.route = route;
    next();
  };
}
