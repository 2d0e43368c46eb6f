// The operator base URL every client is given: checked when the client is made, so that a URL without
// its scheme (`localhost:8080`) fails at once with what to write instead, not later as "unreachable".
import { Uid2Error } from '../errors.ts';

/** The base URL is not an http(s) URL. The message says what to write instead. */
export class Uid2BaseUrlError extends Uid2Error {
  readonly baseUrl: string;
  constructor(baseUrl: string, message: string) {
    super('bad-base-url', message);
    this.baseUrl = baseUrl;
  }
}

/** Returns `baseUrl` when it is an absolute http(s) URL; throws Uid2BaseUrlError saying how to fix it. */
export function checkBaseUrl(baseUrl: string): string {
  const shown = JSON.stringify(baseUrl);
  if (baseUrl.trim() === '') throw new Uid2BaseUrlError(baseUrl, 'the operator base URL is empty: give one like http://localhost:8080');
  // `localhost:8080` parses as a URL with the scheme "localhost:", so look for the scheme ourselves.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(baseUrl)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    throw new Uid2BaseUrlError(baseUrl, `the operator base URL ${shown} has no scheme: write it as http://${baseUrl.replace(/^\/+/, '')} (or https://…)`);
  }
  if (scheme !== 'http' && scheme !== 'https') {
    throw new Uid2BaseUrlError(baseUrl, `the operator base URL ${shown} must start with http:// or https://, not ${scheme}://`);
  }
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Uid2BaseUrlError(baseUrl, `the operator base URL ${shown} is not a valid URL: give one like http://localhost:8080`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new Uid2BaseUrlError(baseUrl, `the operator base URL ${shown} must not have a query or fragment: give only scheme, host, port (and a base path)`);
  }
  return baseUrl;
}
