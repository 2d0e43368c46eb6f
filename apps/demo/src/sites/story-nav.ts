// The story's parties, linked from every demo page, so a newcomer can walk it from any of them.
import type { DemoConfig } from '../config.ts';
import { escapeHtml } from '../html.ts';

type Site = 'shop' | 'publisher' | 'dsp';

export function storyNav(config: DemoConfig, here: Site): string {
  const { urls } = config;
  const steps: Array<[Site | 'collector' | 'portal', string, string, string]> = [
    ['portal', `${urls.operator}/portal`, 'Operator portal', 'who shares with whom'],
    ['shop', urls.shop, '1. Acme Shop', 'place an order with an email'],
    ['publisher', urls.publisher, '2. The Daily Planet', 'sign in with the same email'],
    ['collector', `${urls.collector}/status`, '3. Collector status', 'both segments filling'],
    ['dsp', urls.dsp, 'Bidwell DSP', 'the ad server between them'],
  ];
  const items = steps
    .filter(([site]) => site !== here)
    .map(([site, href, title, what]) => `<li><a href="${escapeHtml(href)}" data-testid="nav-${site}">${title}<span>${what}</span></a></li>`)
    .join('');
  return `<nav class="story" aria-label="The story"><h2>The story</h2><ul class="links">${items}</ul></nav>`;
}
