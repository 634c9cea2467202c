import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getFreePort, startServiceProcess, type ServiceProcess } from '@ashapp/platform/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  ensureWebBuilt,
  launchChromium,
  noChromium,
  screenshotsDir,
  watchCspViolations,
} from '@ashapp/test-platform/browser';
import { serviceUrlEnv, startServices, type RunningServices } from '@ashapp/test-platform/services';
import { startStsStandIn, testUsers, type StsStandIn } from '@ashapp/aws-stand-in';

const alice = testUsers.alice;

describe(
  'end-to-end in Chromium (gateway, history, monitor as processes; STS stand-in)',
  { skip: noChromium },
  () => {
    let sts: StsStandIn;
    let services: RunningServices;
    let gateway: ServiceProcess;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    const cspViolations: string[] = [];

    before(async () => {
      ensureWebBuilt();
      sts = await startStsStandIn();
      services = await startServices(['monitor', 'history']);
      const port = await getFreePort();
      gateway = await startServiceProcess({
        entry: fileURLToPath(new URL('../../../apps/gateway/src/main.ts', import.meta.url)),
        port,
        env: {
          GATEWAY_PORT: String(port),
          ASHAPP_DATA_DIR: services.dataDir,
          INTERNAL_AUTH_SECRET: services.secret,
          AWS_ENDPOINT_URL_STS: sts.url,
          ...serviceUrlEnv(services),
        },
      });
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = await context.newPage();
      page.setDefaultTimeout(10_000);
      watchCspViolations(page, cspViolations);
    });
    after(async () => {
      await browser?.close();
      await gateway?.stop();
      await services?.stop();
      await sts?.close();
    });

    const shot = (name: string, target: Page = page) =>
      target.screenshot({ path: path.join(screenshotsDir, name), fullPage: false });

    /** Signs in outside the browser: another sign-in of the same user, and a bearer token for seeding. */
    async function signInByApi(): Promise<string> {
      const res = await fetch(`${gateway.url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          access_key: alice.accessKeyId,
          secret_key: alice.secretAccessKey,
          region: 'us-east-1',
        }),
      });
      assert.equal(res.status, 200);
      return ((await res.json()) as { token: string }).token;
    }

    test('signed out, a protected page leads to the sign-in form; a wrong secret shows the error in place', async () => {
      await page.goto(`${gateway.url}/monitor`);
      assert.match(new URL(page.url()).pathname, /^\/login/);
      await page.getByTestId('login-form').waitFor();
      assert.equal(await page.getByTestId('login-region').inputValue(), 'us-east-1');
      // No sign-in allow-list on this loopback gateway: the page says any AWS account may sign in.
      await page.getByTestId('login-any-account-warning').waitFor();
      await shot('login.png');
      await page.getByTestId('login-access-key').fill(alice.accessKeyId);
      await page.getByTestId('login-secret-key').fill('wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGKEY00');
      await page.getByTestId('login-submit').click();
      await page.getByTestId('login-error').filter({ hasText: /./ }).waitFor();
      await shot('login-error.png');
    });

    test('signs in and shows "Logged in as"', async () => {
      await page.getByTestId('login-secret-key').fill(alice.secretAccessKey);
      await page.getByTestId('login-submit').click();
      const who = page.getByTestId('logged-in-as');
      await who.waitFor();
      assert.match((await who.textContent()) ?? '', /Logged in as:?\s*alice/);
      await shot('assistant.png');
    });

    test('shows a new sign-in event live on the Activity page', async () => {
      await page.getByTestId('tab-activity').click();
      await page.getByTestId('activity-table').waitFor();
      await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor();
      const logins = page.locator('[data-testid="activity-row"][data-action="login"]');
      const before = await logins.count();
      await signInByApi();
      await page.waitForFunction(
        (n) => document.querySelectorAll('[data-testid="activity-row"][data-action="login"]').length > n,
        before,
        { timeout: 10_000 },
      );
      await shot('activity.png');
    });

    test('opens the History sidebar with the saved entries', async () => {
      const token = await signInByApi();
      for (const query of ['list ec2 instance ids', 'list s3 buckets']) {
        const res = await fetch(`${gateway.url}/services/history/history/save`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ query, output: JSON.stringify({ Buckets: [{ Name: 'demo-bucket' }] }) }),
        });
        assert.equal(res.status, 201);
      }
      await page.getByTestId('tab-assistant').click();
      await page.getByTestId('history-toggle').click();
      await page.getByTestId('history-sidebar').waitFor();
      await page.getByTestId('history-entry').filter({ hasText: 'list s3 buckets' }).first().waitFor();
      await shot('history-sidebar.png');
      await page.getByTestId('history-toggle').click();
    });

    test('shows the History and Deployer pages, and the app at 390×844', async () => {
      await page.getByTestId('tab-history').click();
      await page.getByTestId('history-page-list').waitFor();
      await shot('history.png');
      await page.getByTestId('tab-deployer').click();
      await page.waitForURL(/\/deployer$/);
      await shot('deployer.png');
      const phone = await context.newPage();
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(`${gateway.url}/monitor`);
      await phone.getByTestId('activity-table').waitFor();
      await shot('activity-mobile.png', phone);
      await phone.close();
    });

    test('the API browser lists every service', async () => {
      const docs = await context.newPage();
      watchCspViolations(docs, cspViolations, 'docs: ');
      await docs.goto(`${gateway.url}/api/docs`);
      await docs.locator('.swagger-ui .info .title').first().waitFor();
      await shot('api-docs.png', docs);
      await docs.close();
    });

    test('logs out, and protected pages redirect to /login again', async () => {
      await page.getByTestId('logout').click();
      await page.waitForURL(/\/login/);
      for (const target of ['/', '/monitor', '/history', '/deployer']) {
        const res = await page.goto(`${gateway.url}${target}`);
        assert.match(new URL(page.url()).pathname, /^\/login/, target);
        assert.equal(res?.status(), 200);
      }
      await page.getByTestId('login-form').waitFor();
    });

    test('the pages ran without a single Content-Security-Policy violation', () => {
      assert.deepEqual(cspViolations, []);
    });
  },
);
