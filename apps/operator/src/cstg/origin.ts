// The CSTG allow-list check (spec §3.3 step 4). The real operator compares the Origin's registrable
// domain ("top private domain" by the public-suffix list; localhost and *.localhost count as
// `localhost`) with the site's domain names, and rejects IP-address origins. With no public-suffix list
// offline we take the last two labels (three under a few well-known two-level suffixes) and also accept
// an exact host match, so a participant may list a specific host such as `shop.uid2.test`.

const TWO_LEVEL_SUFFIXES = new Set(['co.uk', 'org.uk', 'ac.uk', 'gov.uk', 'com.au', 'net.au', 'org.au', 'co.nz', 'co.jp', 'ne.jp', 'com.br', 'com.cn', 'co.in', 'co.za', 'com.mx']);

function isIpAddress(host: string): boolean {
  return host.includes(':') || host.startsWith('[') || /^[0-9.]+$/.test(host) || /^\d/.test(host.slice(host.lastIndexOf('.') + 1));
}

/** The registrable domain of a host name, or null for IP addresses and bare public suffixes. */
export function registrableDomain(host: string): string | null {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === '' || isIpAddress(h)) return null;
  if (h === 'localhost' || h.endsWith('.localhost')) return 'localhost';
  const labels = h.split('.');
  if (labels.length < 2) return null;
  const lastTwo = labels.slice(-2).join('.');
  if (TWO_LEVEL_SUFFIXES.has(lastTwo)) return labels.length >= 3 ? labels.slice(-3).join('.') : null;
  return lastTwo;
}

export function isOriginAllowed(origin: string | undefined, domains: readonly string[]): boolean {
  if (!origin) return false;
  let host: string;
  try {
    host = new URL(origin).hostname.toLowerCase();
  } catch {
    return false;
  }
  const registrable = registrableDomain(host);
  if (registrable === null) return false;
  return domains.includes(registrable) || domains.includes(host);
}
