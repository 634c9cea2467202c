import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { testUsers } from '@ashapp/aws-stand-in';
import {
  ensureWebBuilt,
  launchChromium,
  noChromium,
  screenshotsDir,
  signInInBrowser,
  watchCspViolations,
} from '@ashapp/test-platform/browser';
import { startDeployerPlatform, type DeployerPlatform } from './deployer-platform.ts';
import { helloCode } from '../../../apps/deployer/test/service-harness.ts';

/** The screenshot's happy path once in Chromium through the Deployer page, against the real platform. */
describe(
  'Deployer page in Chromium: registry sign-in, validate, deploy with live stages, URL, deployments list',
  { skip: noChromium, timeout: 400_000 },
  () => {
    let platform: DeployerPlatform;
    let browser: Browser;
    let page: Page;
    const leftovers = { pods: ['default-hello-browser', 'default-broken-browser'], images: [] as string[] };
    // The browser reaches the gateway by name, not by 127.0.0.1: the app URL must follow that name.
    const gatewayByName = () => platform.gatewayUrl.replace('127.0.0.1', 'localhost');
    const cspViolations: string[] = [];

    before(async () => {
      ensureWebBuilt();
      platform = await startDeployerPlatform();
      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      page = await context.newPage();
      page.setDefaultTimeout(15_000);
      watchCspViolations(page, cspViolations);
    });
    after(async () => {
      await browser?.close();
      await platform?.stop(leftovers);
    });

    const shot = (name: string) => page.screenshot({ path: path.join(screenshotsDir, name), fullPage: true });

    test('signs in and reaches the Deployer page', async () => {
      await signInInBrowser(page, gatewayByName(), testUsers.alice);
      await page.getByTestId('tab-deployer').click();
      await page.waitForURL(/\/deployer$/);
      await page.getByTestId('registry-card').waitFor();
    });

    test('signs in to the registry', async () => {
      await page.getByTestId('registry-host').fill(platform.registry.host);
      await page.getByTestId('registry-user').fill(platform.registry.username);
      await page.getByTestId('registry-token').fill(platform.registry.password);
      await page.getByTestId('registry-login').click();
      await page.getByTestId('registry-logout').waitFor();
    });

    test('shows Python syntax errors with line and column on Validate', async () => {
      await page.getByTestId('deploy-app-name').fill('hello-browser');
      await page.getByTestId('deploy-code').fill(helloCode.replace('def hello(name):', 'def hello(name)'));
      await page.getByTestId('deploy-validate').click();
      const errors = page.getByTestId('validation-errors');
      await errors.waitFor();
      assert.match((await errors.textContent()) ?? '', /^6:\d+ expected ':'/);
      await shot('deployer-validate-errors.png');
      await page.getByTestId('deploy-code').fill(helloCode);
      await page.getByTestId('deploy-validate').click();
      await page.getByTestId('validation-result').filter({ hasText: /valid/i }).waitFor();
    });

    test('deploys with live stages and shows the stable result with the URL', async () => {
      await page.getByTestId('deploy-submit').click();
      await page.getByTestId('deploy-progress').waitFor();
      // A stage marked active while the pipeline runs: the live view.
      await page.locator('[data-testid="deploy-stage"][data-status="active"]').first().waitFor();
      await page
        .waitForFunction(
          () => (document.querySelector('[data-testid="deploy-logs"]')?.textContent ?? '').includes('STEP'),
          undefined,
          {
            timeout: 120_000,
          },
        )
        .catch(async (err: unknown) => {
          const text = await page.getByTestId('deploy-progress').textContent();
          throw new Error(`${(err as Error).message}\n${text}\n${platform.deployer.output().slice(-3000)}`);
        });
      await shot('deployer-live-stages.png');
      await page.getByTestId('deploy-final-state').waitFor({ timeout: 180_000 });
      assert.match((await page.getByTestId('deploy-final-state').textContent()) ?? '', /Stable/i);
      const url = (await page.getByTestId('deploy-url').first().textContent())?.trim() ?? '';
      assert.match(
        url,
        /^http:\/\/localhost:\d+\/$/,
        'the host the user reached the gateway by, not 127.0.0.1',
      );
      await shot('deployer-stable-result.png');
      const res = await fetch(new URL('ashwanth', url), { signal: AbortSignal.timeout(5000) });
      assert.equal(await res.text(), 'Hello, ashwanth!');
    });

    test('at 1410 px the deployments table keeps its actions in view; a rollback shows its live stages in the card and the revisions follow', async () => {
      // A second revision to roll back from.
      const earlier = await page.getByTestId('deploy-progress').first().getAttribute('data-deployment-id');
      await page.getByTestId('deploy-submit').click();
      const second = page
        .locator(`[data-testid="deploy-progress"]:not([data-deployment-id="${earlier}"])`)
        .first();
      await second
        .getByTestId('deploy-final-state')
        .filter({ hasText: /Stable/i })
        .waitFor({ timeout: 180_000 });
      await page.setViewportSize({ width: 1410, height: 900 });
      const row = page.locator('[data-testid="deployment-row"][data-app="hello-browser"]').first();
      await row.waitFor();
      const clipped = await page.evaluate(() => {
        const out: string[] = [];
        for (const button of document.querySelectorAll<HTMLElement>(
          '[data-testid="deployments-list"] button',
        )) {
          const box = button.getBoundingClientRect();
          const scroller = button.closest('.table-scroll')?.getBoundingClientRect();
          if (box.width > 0 && scroller && (box.right > scroller.right + 1 || box.left < scroller.left - 1))
            out.push(
              `${button.textContent ?? ''} ${Math.round(box.left)}–${Math.round(box.right)} of ${Math.round(scroller.right)}`,
            );
        }
        return out;
      });
      assert.deepEqual(clipped, [], 'buttons cut off by the table');
      await row.getByTestId('deployment-revisions').click();
      const first = page.locator('[data-testid="revision-row"][data-revision="1"]');
      await first.getByTestId('revision-rollback').click();
      // The rollback's stages show in the deployments card itself, live, to the end.
      const progress = page.getByTestId('deployments-list').getByTestId('deploy-progress');
      await progress.waitFor();
      await progress.getByTestId('deploy-final-state').waitFor({ timeout: 180_000 });
      assert.match((await progress.getByTestId('deploy-final-state').textContent()) ?? '', /Stable/i);
      await shot('deployer-rollback-live.png');
      // The revisions were read again: the rollback is revision 3 (revision 1's manifest and image) and what
      // runs now; revision 2 no longer does.
      await page.locator('[data-testid="revision-row"][data-revision="3"][data-live="true"]').waitFor();
      assert.equal(
        await page.locator('[data-testid="revision-row"][data-revision="2"]').getAttribute('data-live'),
        'false',
      );
      await page.setViewportSize({ width: 1280, height: 900 });
    });

    test('lists the deployment, then deletes the app', async () => {
      const row = page.locator('[data-testid="deployment-row"][data-app="hello-browser"]').first();
      await row.waitFor();
      await page.getByTestId('deployments-list').scrollIntoViewIfNeeded();
      await shot('deployer-deployments-list.png');
      await row.getByTestId('deployment-delete').click();
      await page.getByTestId('deployment-delete-confirm').first().click();
      for (let i = 0; i < 50 && (await platform.listContainers('default-hello-browser')).length > 0; i += 1) {
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.deepEqual(await platform.listContainers('default-hello-browser'), []);
    });

    test('a deploy whose app fails at import shows the app traceback, not only "Worker failed to boot"', async () => {
      await page.reload();
      await page.getByTestId('deploy-app-name').fill('broken-browser');
      await page.getByTestId('deploy-code').fill(`import missing_module_for_test\n${helloCode}`);
      await page.getByTestId('deploy-submit').click();
      await page.getByTestId('deploy-final-state').waitFor({ timeout: 180_000 });
      const final = (await page.getByTestId('deploy-final-state').textContent()) ?? '';
      assert.match(final, /RolledBack|Failed/);
      assert.match(final, /ModuleNotFoundError: No module named 'missing_module_for_test'/);
      const detail = (await page.getByTestId('deploy-failure-detail').textContent()) ?? '';
      assert.match(detail, /Traceback \(most recent call last\):/);
      assert.match(detail, /import missing_module_for_test/);
      await shot('deployer-failure-traceback.png');
    });

    test('ran without a Content-Security-Policy violation', () => {
      assert.deepEqual(cspViolations, []);
    });
  },
);
