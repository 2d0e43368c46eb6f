// The privacy check of the e2e specs: every request the browser made (page.on('request') on the whole
// context, so frames and the creative's sandboxed document too) is searched for the shopper's email, in
// every form it could take on the wire, and for their raw UID2. Only tokens may cross the browser.
import { createHash } from 'node:crypto';
import type { BrowserContext, Request } from '@playwright/test';
import { normalizeEmail } from '@uid2-pixels/uid2/dii';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  postData: string | null;
}

/** Starts recording; the array fills as the browser sends requests. */
export function recordRequests(context: BrowserContext): RecordedRequest[] {
  const requests: RecordedRequest[] = [];
  context.on('request', (request: Request) => {
    requests.push({ method: request.method(), url: request.url(), headers: request.headers(), postData: request.postData() });
  });
  return requests;
}

const base64url = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** Every spelling of an email or a raw UID2 that would identify the person on the wire. */
export function identifyingForms(secrets: { emails?: string[]; rawUids?: string[] }): string[] {
  const forms = new Set<string>();
  for (const email of secrets.emails ?? []) {
    const normalized = normalizeEmail(email);
    for (const text of [email, email.trim(), email.toLowerCase(), ...(typeof normalized === 'string' ? [normalized] : [])]) {
      forms.add(text);
      forms.add(encodeURIComponent(text));
      const digest = createHash('sha256').update(text).digest();
      forms.add(digest.toString('hex'));
      forms.add(digest.toString('base64'));
      forms.add(encodeURIComponent(digest.toString('base64')));
      forms.add(base64url(digest.toString('base64')));
    }
    // The local part alone is identifying enough to flag (our test emails have distinctive ones).
    forms.add(email.split('@')[0]!);
  }
  for (const raw of secrets.rawUids ?? []) {
    forms.add(raw);
    forms.add(encodeURIComponent(raw));
    forms.add(base64url(raw));
    forms.add(Buffer.from(raw, 'base64').toString('hex'));
  }
  return [...forms].filter((f) => f.length >= 8);
}

/** Requests that carry any identifying form anywhere: URL (raw and decoded), headers or body. */
export function leaks(requests: RecordedRequest[], forms: string[]): Array<{ url: string; where: string; form: string }> {
  const found: Array<{ url: string; where: string; form: string }> = [];
  for (const request of requests) {
    let decodedUrl = request.url;
    try {
      decodedUrl = decodeURIComponent(request.url);
    } catch {
      // Keep the raw URL.
    }
    const places: Array<[string, string]> = [
      ['url', `${request.url}\n${decodedUrl}`],
      ['headers', JSON.stringify(request.headers)],
      ['body', request.postData ?? ''],
    ];
    for (const [where, text] of places) {
      const lower = text.toLowerCase();
      for (const form of forms) {
        if (text.includes(form) || lower.includes(form.toLowerCase())) found.push({ url: request.url.slice(0, 120), where, form: '[identifying value]' });
      }
    }
  }
  return found;
}
