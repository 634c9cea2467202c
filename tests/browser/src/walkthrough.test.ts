/**
 * The web app walked through in Chromium as a user would, on the whole platform (five services as processes,
 * the AWS stand-in): every page at phone and desktop width without a clipped control, the Activity details
 * and filter choices, the confirmation's countdown and outcome, nested result values, and axe-core's check.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { standInUser, startWholePlatform, type WholePlatform } from '@ashapp/test-platform';
import {
  ensureWebBuilt,
  launchChromium,
  screenshotsDir,
  signInInBrowser,
} from '@ashapp/test-platform/browser';
// The deployer's own helper for Debian's docker-registry: the real registry the card signs in to.
import { startLocalRegistry, type LocalRegistry } from '../../../apps/deployer/test/local-registry.ts';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const pages = [
  { path: '/', name: 'assistant', ready: 'ask-query' },
  { path: '/deployer', name: 'deployer', ready: 'registry-card' },
  { path: '/monitor', name: 'activity', ready: 'activity-table' },
  { path: '/history', name: 'history', ready: 'history-search' },
] as const;

interface Clipped {
  what: string;
  left: number;
  right: number;
  limit: number;
}

/**
 * Controls the user cannot fully see: outside the window, or cut off by a scrolling or clipping container
 * (a table whose buttons sit past its right edge). Hidden controls (display none, zero size) do not count.
 */
async function findClippedControls(page: Page): Promise<{ pageOverflow: number; clipped: Clipped[] }> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const clipped: { what: string; left: number; right: number; limit: number }[] = [];
    const controls = document.querySelectorAll<HTMLElement>(
      'button, a[href], input, select, textarea, summary',
    );
    for (const control of controls) {
      const rect = control.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) continue;
      if (getComputedStyle(control).visibility === 'hidden') continue;
      if (control.closest('.visually-hidden')) continue;
      let limitLeft = 0;
      let limitRight = width;
      for (let parent = control.parentElement; parent; parent = parent.parentElement) {
        const overflowX = getComputedStyle(parent).overflowX;
        if (overflowX === 'visible') continue;
        const box = parent.getBoundingClientRect();
        limitLeft = Math.max(limitLeft, box.left);
        limitRight = Math.min(limitRight, box.right);
      }
      if (rect.left < limitLeft - 1 || rect.right > limitRight + 1) {
        const label =
          control.getAttribute('data-testid') ??
          control.getAttribute('aria-label') ??
          control.textContent ??
          '';
        clipped.push({
          what: `${control.tagName.toLowerCase()} "${label.trim().slice(0, 40)}"`,
          left: Math.round(rect.left),
          right: Math.round(rect.right),
          limit: Math.round(limitRight),
        });
      }
    }
    return { pageOverflow: document.documentElement.scrollWidth - width, clipped };
  });
}

describe('the web app walked through in Chromium at 390 px and 1410 px (whole platform, AWS stand-in)', () => {
  let platform: WholePlatform;
  let registry: LocalRegistry;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    ensureWebBuilt();
    registry = await startLocalRegistry();
    platform = await startWholePlatform({
      env: {
        DEPLOYER_INSECURE_REGISTRIES: registry.host,
        // No Docker daemon answers here: this deployer has no builder, which the page must say up front.
        DEPLOYER_BUILDER: 'docker',
      },
    });
    browser = await launchChromium();
    // axe-core is injected as a script: the app's CSP (script-src 'self') would rightly refuse it.
    context = await browser.newContext({ viewport: { width: 1410, height: 900 }, bypassCSP: true });
    page = await context.newPage();
    await signInInBrowser(page, platform.urls.gateway, standInUser);
  });

  after(async () => {
    await browser?.close();
    await platform?.stop();
    await registry?.stop();
  });

  test('every page fits at 390 px and at 1410 px: no sideways page scroll, no control cut off', async () => {
    const problems: string[] = [];
    for (const width of [390, 1410]) {
      await page.setViewportSize({ width, height: 900 });
      for (const target of pages) {
        await page.goto(`${platform.urls.gateway}${target.path}`);
        await page.getByTestId(target.ready).waitFor();
        const { pageOverflow, clipped } = await findClippedControls(page);
        if (pageOverflow > 1)
          problems.push(`${target.path} at ${width}px scrolls sideways by ${pageOverflow}px`);
        for (const c of clipped) {
          problems.push(
            `${target.path} at ${width}px: ${c.what} spans ${c.left}–${c.right}, visible to ${c.limit}`,
          );
        }
        await page.screenshot({ path: path.join(screenshotsDir, `walk-${target.name}-${width}.png`) });
      }
    }
    await page.setViewportSize({ width: 1410, height: 900 });
    assert.deepEqual(problems, []);
  });

  test('Activity: a row opens every field (IP, user agent) by click and by keyboard; the action filter offers what happened', async () => {
    await page.setViewportSize({ width: 1410, height: 900 });
    await page.goto(`${platform.urls.gateway}/monitor`);
    const login = page.locator('[data-testid="activity-row"][data-action="login"]').first();
    await login.waitFor();
    await login.click();
    const detail = page.getByTestId('activity-detail');
    await detail.waitFor();
    const text = (await detail.textContent()) ?? '';
    assert.match(text, /IP address/);
    assert.match(text, /User agent/);
    assert.match(text, /HeadlessChrome|Chrome/);
    await page.screenshot({ path: path.join(screenshotsDir, 'walk-activity-detail.png') });
    // Closed again from the keyboard: the Details button is focusable and says whether it is open.
    const button = page.getByTestId('activity-details').first();
    await button.focus();
    assert.equal(await button.getAttribute('aria-expanded'), 'true');
    await page.keyboard.press('Enter');
    await detail.waitFor({ state: 'detached' });
    assert.equal(await button.getAttribute('aria-expanded'), 'false');

    const actions = await page.getByTestId('filter-action').locator('option').allTextContents();
    assert.ok(actions.includes('login'), `action choices: ${actions.join(', ')}`);
    await page.getByTestId('filter-action').selectOption('login');
    await page.getByTestId('filter-apply').click();
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="activity-row"]')].every(
        (row) => row.getAttribute('data-action') === 'login',
      ),
    );
  });

  test('Assistant: a change counts down to its expiry, Decline says once that nothing ran, nested values open', async () => {
    await page.setViewportSize({ width: 1410, height: 900 });
    await page.goto(`${platform.urls.gateway}/`);
    await page.getByTestId('ask-query').fill('stop instance i-0a1b2c3d4e5f60001');
    await page.getByTestId('ask-submit').click();
    const expiry = page.getByTestId('confirm-expiry');
    await expiry.waitFor();
    assert.match((await expiry.textContent()) ?? '', /Expires in [0-5]:\d\d/);
    assert.equal(await page.getByTestId('ask-risk').textContent(), 'changes resources');
    await page.screenshot({ path: path.join(screenshotsDir, 'walk-assistant-confirm.png') });
    await page.getByTestId('confirm-decline').click();
    const outcome = page.getByTestId('confirm-outcome');
    await outcome.waitFor();
    const said = (await outcome.textContent()) ?? '';
    assert.equal(said.match(/nothing was run/gi)?.length, 1, said);
    assert.equal(await expiry.count(), 0, 'the countdown ends with the decision');

    await page.getByTestId('ask-query').fill('aws ec2 describe-instances');
    await page.getByTestId('ask-submit').click();
    await page.getByTestId('output-table').waitFor();
    await page.screenshot({ path: path.join(screenshotsDir, 'walk-assistant-table.png'), fullPage: true });
    const nested = page.getByTestId('output-nested').first();
    await nested.waitFor();
    await nested.locator('summary').click();
    const whole = (await nested.locator('pre').textContent()) ?? '';
    assert.doesNotThrow(() => JSON.parse(whole), 'the opened cell shows the whole value as JSON');
    await page.screenshot({ path: path.join(screenshotsDir, 'walk-assistant-nested.png') });
  });

  test('Deployer: the card shows the stored registry sign-in after a reload; Deploy says what the target is; a changed setting clears an old error', async () => {
    await page.setViewportSize({ width: 1410, height: 900 });
    await page.goto(`${platform.urls.gateway}/deployer`);
    await page.getByTestId('registry-host').fill(registry.host);
    await page.getByTestId('registry-user').fill(registry.username);
    await page.getByTestId('registry-token').fill(registry.password);
    await page.getByTestId('registry-login').click();
    await page.getByTestId('registry-status').waitFor();
    await page.reload();
    const status = page.getByTestId('registry-status');
    await status.waitFor();
    assert.match(
      (await status.textContent()) ?? '',
      new RegExp(`Signed in to ${registry.host.replace('.', '\\.')} as ${registry.username}`),
    );
    await page.getByTestId('registry-logout').waitFor();

    // This platform deploys with podman on this machine: no "K8s" promise, no cluster-only strategies.
    await page.getByTestId('deploy-target').filter({ hasText: 'this machine (podman)' }).waitFor();
    // Without a builder the page says so before anyone presses Deploy, and Deploy stays disabled.
    await page.getByTestId('deploy-blocked').filter({ hasText: 'No image builder' }).waitFor();
    await page.getByTestId('deploy-app-name').fill('walk');
    await page.getByTestId('deploy-code').fill('from flask import Flask\napp = Flask(__name__)\n');
    assert.equal(await page.getByTestId('deploy-submit').isDisabled(), true);
    // The form starts in a namespace this user may deploy into: their own, since the operator listed none.
    await page.waitForFunction(() =>
      (
        document.querySelector('[data-testid="deploy-namespace"]') as HTMLInputElement | null
      )?.value.startsWith('u-'),
    );
    assert.equal((await page.getByTestId('deploy-submit').textContent())?.trim(), 'Deploy');
    assert.equal(await page.locator('#dep-strategy option[value="canary"]').isDisabled(), true);

    await page.getByTestId('deploy-app-name').fill('walk');
    await page.getByTestId('deploy-code').fill('from flask import Flask\napp = Flask(__name__)\n');
    await page.getByTestId('deploy-port').fill('70000');
    await page.getByTestId('deploy-preview').click();
    await page.getByTestId('deploy-error').filter({ hasText: /./ }).waitFor();
    await page.getByTestId('deploy-replicas').fill('3');
    await page.getByTestId('deploy-error').filter({ hasText: /./ }).waitFor({ state: 'detached' });

    await page.getByTestId('registry-logout').click();
    await page.getByTestId('registry-login').waitFor();
    await page.reload();
    await page.getByTestId('registry-login').waitFor();
    assert.equal(await page.getByTestId('registry-status').count(), 0);
  });

  test("the original's /deployer/ address leads to the Deployer page", async () => {
    await page.goto(`${platform.urls.gateway}/deployer/`);
    await page.getByTestId('registry-card').waitFor();
    assert.equal(new URL(page.url()).pathname, '/deployer');
  });

  test('Assistant: reading a secret is asked as reading a secret, not as a change', async () => {
    await page.goto(`${platform.urls.gateway}/`);
    await page
      .getByTestId('ask-query')
      .fill('aws secretsmanager get-secret-value --secret-id prod/db/password');
    await page.getByTestId('ask-submit').click();
    await page.getByTestId('confirm-box').waitFor();
    assert.equal(await page.getByTestId('ask-risk').textContent(), 'reads a secret');
    assert.match((await page.locator('#confirm-title').textContent()) ?? '', /reads a secret/);
    await page.getByTestId('confirm-decline').click();
    await page.getByTestId('confirm-outcome').waitFor();
  });

  test('axe-core finds no serious or critical accessibility violation on any page', async () => {
    const found: string[] = [];
    for (const target of [{ path: '/login', ready: 'login-form' }, ...pages]) {
      const fresh = target.path === '/login' ? await browser.newPage({ bypassCSP: true }) : page;
      await fresh.goto(`${platform.urls.gateway}${target.path}`);
      await fresh.getByTestId(target.ready).waitFor();
      await fresh.addScriptTag({ content: axeSource });
      const violations = await fresh.evaluate(async () => {
        const axe = (
          window as unknown as {
            axe: {
              run: (context: Document) => Promise<{
                violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[];
              }>;
            };
          }
        ).axe;
        const result = await axe.run(document);
        return result.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3),
        }));
      });
      for (const v of violations) {
        if (v.impact === 'serious' || v.impact === 'critical')
          found.push(`${target.path}: ${v.id} (${v.impact}) at ${v.nodes.join(', ')}`);
      }
      if (fresh !== page) await fresh.close();
    }
    assert.deepEqual(found, []);
  });
});
