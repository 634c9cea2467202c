import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Chromium from Debian (`.ci/run` installs it); tests that need it skip with this reason where it is absent. */
export const chromiumPath = '/usr/bin/chromium';
export const noChromium: string | false = !existsSync(chromiumPath) && `no browser at ${chromiumPath}`;

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** Where browser tests write the screenshots the docs show. */
export const screenshotsDir = path.join(repoRoot, 'docs', 'screenshots');
const webIndex = path.join(repoRoot, 'apps', 'web', 'dist', 'index.html');

/** Builds the web app when it has not been built (the gateway serves apps/web/dist), and makes the screenshots folder. */
export function ensureWebBuilt(): void {
  if (!existsSync(webIndex)) {
    const build = spawnSync('npm', ['run', 'build', '-w', '@ashapp/web'], {
      cwd: repoRoot,
      stdio: 'inherit',
    });
    assert.equal(build.status, 0, 'the web app must build');
  }
  mkdirSync(screenshotsDir, { recursive: true });
}

/** Headless Chromium without the background traffic a desktop browser makes (updates, sync, first-run pages). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Signs in on the gateway's login page as a user would, and waits until the app shows who is signed in. */
export async function signInInBrowser(
  page: Page,
  gatewayUrl: string,
  user: { accessKeyId: string; secretAccessKey: string },
): Promise<void> {
  await page.goto(`${gatewayUrl}/login`);
  await page.getByTestId('login-access-key').fill(user.accessKeyId);
  await page.getByTestId('login-secret-key').fill(user.secretAccessKey);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('logged-in-as').waitFor();
}

/** Adds the page's Content Security Policy violations to `into` (tests expect it to stay empty), prefixed by `label`. */
export function watchCspViolations(page: Page, into: string[], label = ''): void {
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) into.push(`${label}${msg.text()}`);
  });
}
