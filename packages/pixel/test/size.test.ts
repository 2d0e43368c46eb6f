// Size is a promise: the <script> build (UID2 + EUID, the official SDK's API, events, legacy callback,
// stored config and helpers, the refresh timer, cookie storage, TCF/GPP consent with frame locators,
// pixels), minified and gzipped (-9), stays within 4,885 bytes, 54 % of the official SDK's 8,988 (which
// has no pixels and no consent), and the README's figure does not understate it. The build measured is
// the one global-setup.ts made from this checkout a moment ago. (Issue 13 aimed at 3,000 bytes; the
// README says how far this is from it, and what each part costs.) Secure Signals: secure-signals.test.ts.
import { expect, inject, test } from 'vitest';
import './support/provided.ts';

const BUDGET = 4885;
const OFFICIAL_SDK = 8988;

/** The bold byte figure in the README size-table row that starts with `label`. */
function readmeFigure(label: string, readme: 'readme' | 'rootReadme' = 'readme'): number {
  const row = decodeURIComponent(inject(readme))
    .split('\n')
    .find((l) => l.startsWith(`| ${label}`));
  const figure = row?.match(/\|\s*\**([\d,]+)\**\s*\|\s*$/)?.[1];
  expect(figure, `README size row "${label}"`).toBeDefined();
  return Number(figure!.replace(/,/g, ''));
}

test(`the minified, gzipped IIFE is at most ${BUDGET} bytes`, () => {
  const { gzipBytes, bytes, code } = inject('snippet');
  expect(code.length).toBe(bytes);
  expect(code).toMatch(/^(?:[!(]function\(\)|\(\(\)=>)\{/); // the IIFE (a function or, with unsafe_arrows, an arrow), minified
  expect(code.trim().split('\n')).toHaveLength(1);
  expect(gzipBytes).toBeGreaterThan(1000); // a real build, not an empty file
  expect(gzipBytes).toBeLessThanOrEqual(BUDGET);
});

test('the lite build (UID2 only, no consent checks) is smaller, and the README shows its size', () => {
  const lite = inject('liteSnippet');
  expect(lite.gzipBytes).toBeGreaterThan(1000);
  expect(lite.gzipBytes).toBeLessThan(inject('snippet').gzipBytes);
  expect(lite.gzipBytes).toBeLessThanOrEqual(readmeFigure('lite build'));
});

test("the README shows the snippet's size (not understated) next to the official SDK's", () => {
  const { gzipBytes } = inject('snippet');
  const ours = readmeFigure('**this snippet**');
  expect(gzipBytes).toBeLessThanOrEqual(ours);
  expect(ours).toBeLessThanOrEqual(BUDGET);
  expect(readmeFigure('official UID2 web SDK')).toBe(OFFICIAL_SDK);
  // No longer under half (4,494): the official SDK's legacy callback, stored config and helpers, and the
  // CMP frame locators, took it from 4,206 to 4,812; the legacy statuses' fixes and the locators'
  // listener removal to 4,851; the CMP-side listener removal and a linear email pattern to 4,885 (README "Size").
  expect(ours).toBeLessThan(OFFICIAL_SDK * 0.55);
});

test("the repository README's figures are the package README's (the first thing a newcomer reads)", () => {
  const root = decodeURIComponent(inject('rootReadme'));
  const full = readmeFigure('**this snippet**');
  expect(readmeFigure('**uid2-pixels snippet**', 'rootReadme')).toBe(full);
  expect(readmeFigure('uid2-pixels lite build', 'rootReadme')).toBe(readmeFigure('lite build'));
  expect(root).toContain(`**${full.toLocaleString('en')} bytes** gzipped`);
  expect(root).toContain(`size.test.ts\` fails above ${BUDGET.toLocaleString('en')} bytes`);
});
