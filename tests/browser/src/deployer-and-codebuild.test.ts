/**
 * The Deployer's Ingress and autoscaling fields and the CodeBuild service-role choice, in Chromium on the
 * whole platform (five services as processes, the AWS stand-in answering IAM ListRoles and CodeBuild).
 * This platform deploys with podman, so the form must say that Ingress and HPA need a cluster.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { standInUser, startWholePlatform, type WholePlatform } from '@ashapp/test-platform';
import {
  ensureWebBuilt,
  launchChromium,
  screenshotsDir,
  signInInBrowser,
} from '@ashapp/test-platform/browser';

describe('Deployer Ingress/HPA and CodeBuild service roles in Chromium (whole platform, AWS stand-in)', () => {
  let platform: WholePlatform;
  let browser: Browser;
  let page: Page;

  before(async () => {
    ensureWebBuilt();
    platform = await startWholePlatform();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1410, height: 900 } })).newPage();
    page.setDefaultTimeout(20_000);
    await signInInBrowser(page, platform.urls.gateway, standInUser);
  });

  after(async () => {
    await browser?.close();
    await platform?.stop();
  });

  test('Deployer: the preview shows the Ingress and the HPA; on podman the form says they need Kubernetes and Deploy refuses them', async () => {
    await page.goto(`${platform.urls.gateway}/deployer`);
    await page.getByTestId('deploy-app-name').fill('shop');
    await page.getByTestId('deploy-code').fill('from flask import Flask\napp = Flask(__name__)\n');
    const note = page.getByTestId('deploy-advanced-note');
    await note.waitFor();
    assert.match((await note.textContent()) ?? '', /Kubernetes cluster only.*podman/);

    await page.getByTestId('deploy-ingress-on').check();
    await page.getByTestId('deploy-ingress-host').fill('shop.example.com');
    await page.getByTestId('deploy-ingress-path').fill('/shop');
    await page.getByTestId('deploy-ingress-tls').fill('shop-tls');
    await page.getByTestId('deploy-hpa-on').check();
    await page.getByTestId('deploy-hpa-min').fill('2');
    await page.getByTestId('deploy-hpa-max').fill('6');
    await page.getByTestId('deploy-hpa-cpu').fill('70');
    await page.getByTestId('deploy-preview').click();
    const manifests = page.getByTestId('deploy-preview-manifests');
    await manifests.waitFor();
    const yaml = (await manifests.textContent()) ?? '';
    assert.match(yaml, /kind: Ingress/);
    assert.match(yaml, /host: shop\.example\.com/);
    assert.match(yaml, /path: \/shop/);
    assert.match(yaml, /secretName: shop-tls/);
    assert.match(yaml, /kind: HorizontalPodAutoscaler/);
    assert.match(yaml, /maxReplicas: 6/);
    assert.match(yaml, /averageUtilization: 70/);
    await page.screenshot({
      path: path.join(screenshotsDir, 'deployer-ingress-hpa-preview.png'),
      fullPage: true,
    });

    await page.getByTestId('deploy-submit').click();
    const error = page.getByTestId('deploy-error').filter({ hasText: /./ });
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /only apply on the kubernetes target/);

    // A wrong host is named by the API, and a changed field clears the message.
    await page.getByTestId('deploy-ingress-host').fill('bad_host');
    await page.getByTestId('deploy-preview').click();
    await page
      .getByTestId('deploy-error')
      .filter({ hasText: /ingress\.host/ })
      .waitFor();

    // Blue-green and canary are not offered here; with rolling the fields stay, at phone width too.
    await page.setViewportSize({ width: 390, height: 900 });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px at 390 px`);
    await page.setViewportSize({ width: 1410, height: 900 });
  });

  test('CodeBuild: the panel explains the service role, lists the roles CodeBuild may assume, and creates a project with the chosen one', async () => {
    await page.goto(`${platform.urls.gateway}/`);
    await page.getByTestId('codebuild-toggle').click();
    const field = page.getByTestId('codebuild-role-field');
    await field.waitFor();
    assert.match((await field.textContent()) ?? '', /trust policy allows codebuild\.amazonaws\.com/);
    const role = page.getByTestId('codebuild-role');
    await role.locator('option', { hasText: 'codebuild-ashapp-service-role' }).waitFor({ state: 'attached' });
    const options = await role.locator('option').allTextContents();
    assert.ok(
      !options.some((o) => o.includes('lambda-basic-execution')),
      `a role CodeBuild cannot assume is offered: ${options.join(', ')}`,
    );
    const listed = `arn:aws:iam::${standInUser.account}:role/service-role/codebuild-ashapp-service-role`;
    assert.equal(
      await role.inputValue(),
      listed,
      'without an operator default the first listed role is chosen',
    );

    await page.getByTestId('codebuild-project').fill('from-the-panel');
    await page.getByTestId('codebuild-source').fill('https://github.com/example/demo-app');
    // An ARN typed by hand is checked before anything is sent.
    await role.selectOption({ label: 'Enter a role ARN…' });
    await page.getByTestId('codebuild-role-arn').fill('not-an-arn');
    assert.equal(await page.getByTestId('codebuild-create').isDisabled(), true);
    await role.selectOption(listed);
    await page.screenshot({ path: path.join(screenshotsDir, 'codebuild-service-role.png'), fullPage: true });
    await page.getByTestId('codebuild-create').click();
    await page.getByText('Project from-the-panel created.').waitFor();
    const created = platform.standIn.calls.find(
      (c) => c.action === 'CreateProject' && c.params['name'] === 'from-the-panel',
    );
    assert.equal(created?.params['serviceRole'], listed);
  });
});
