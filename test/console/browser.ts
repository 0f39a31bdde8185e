/**
 * Headless Chromium for the console's tests: Debian's package (/usr/bin/chromium), driven by playwright-core (which
 * downloads no browser of its own). Where Chromium is missing the tests skip with the reason, except under CI=true,
 * where they fail: CI must never pass by skipping them. Also the accessibility checks every page gets.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'console');

/** Why the browser tests cannot run here, or null when they can. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)`;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // This machine's network is closed: without these Chromium keeps trying to reach Google's services.
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-gpu', '--no-first-run', '--disable-quic'],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Form controls without an accessible name (a <label>, aria-label or aria-labelledby), described for the failure. */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const controls = Array.from(document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input, select, textarea'));
    return controls
      .filter((c) => !(c instanceof HTMLInputElement && c.type === 'hidden'))
      .filter((c) => (c.labels?.length ?? 0) === 0 && !c.hasAttribute('aria-label') && !c.hasAttribute('aria-labelledby'))
      .map((c) => `<${c.tagName.toLowerCase()} name="${c.getAttribute('name') ?? ''}" type="${c.getAttribute('type') ?? ''}">`);
  });
}

/** Buttons and links a keyboard cannot reach (taken out of the tab order), and buttons without a name. */
export async function unreachableControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    for (const element of Array.from(document.querySelectorAll<HTMLElement>('button, a[href], summary'))) {
      const hidden = element.closest('dialog:not([open]), details:not([open]) > :not(summary)') !== null || element.offsetParent === null;
      if (hidden) continue;
      if (element.tabIndex < 0) problems.push(`${element.tagName.toLowerCase()} "${element.textContent?.trim() ?? ''}" has tabindex ${element.tabIndex}`);
      const name = element.getAttribute('aria-label') ?? element.textContent?.trim() ?? '';
      if (name === '') problems.push(`${element.tagName.toLowerCase()} without a name: ${element.outerHTML.slice(0, 80)}`);
    }
    return problems;
  });
}

/** Presses Tab until the focused element matches `accessibleName`; returns whether it got there. */
export async function tabTo(page: Page, role: 'button' | 'link', name: string, maxPresses = 80): Promise<boolean> {
  for (let i = 0; i < maxPresses; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el === null ? null : { tag: el.tagName.toLowerCase(), text: (el.getAttribute('aria-label') ?? el.textContent ?? '').trim() };
    });
    if (focused !== null && focused.text === name && (role === 'button' ? focused.tag === 'button' : focused.tag === 'a')) return true;
  }
  return false;
}
