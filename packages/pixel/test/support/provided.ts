// What the Node-side global setup hands to the browser tests (vitest provide/inject).
export interface NormalizationVectors {
  email: { description: string; input: string; normalized: string | null; normalize_and_hash: string | null }[];
  phone: { description: string; input: string; valid: boolean; normalize_and_hash: string | null }[];
}

export interface CstgCredentials {
  subscriptionId: string;
  serverPublicKey: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The built IIFE and its size. */
    snippet: { code: string; bytes: number; gzipBytes: number };
    /** The lite IIFE (UID2 only, no consent checks) and its size. */
    liteSnippet: { code: string; gzipBytes: number };
    /** The Google Secure Signals scripts (UID2, EUID) and their sizes. */
    secureSignals: { uid2: string; euid: string; uid2GzipBytes: number; euidGzipBytes: number };
    /** The built ESM file (dist/uid2-pixel.js). */
    esmCode: string;
    /** packages/pixel/README.md, URI-encoded (its size table is checked against the build). */
    readme: string;
    /** The repository's README.md, URI-encoded (its size table repeats the snippet's figures). */
    rootReadme: string;
    /** The pixel sink (records requests; see support/sink.ts). */
    sinkUrl: string;
    /** A real operator with the default lifetimes, and one with lifetimes of seconds. */
    operatorUrl: string;
    shortOperatorUrl: string;
    shortLifetimes: { identitySeconds: number; refreshSeconds: number; refreshFromSeconds: number };
    /** An EUID operator (identityScope EUID) and site 101's CSTG credentials there (`EUID-X-L-…`). */
    euidOperatorUrl: string;
    euidAdvertiser: CstgCredentials;
    /** CSTG credentials of site 101 (Acme Shop; its domains include localhost). */
    advertiser: CstgCredentials;
    vectors: NormalizationVectors;
  }
}
