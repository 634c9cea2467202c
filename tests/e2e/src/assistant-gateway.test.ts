import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAwsStandIn, type AwsStandIn } from '@ashapp/aws-stand-in';
import { getFreePort, startServiceProcess, waitFor, type ServiceProcess } from '@ashapp/platform/testing';
import type { Browser, Page } from 'playwright-core';
import {
  ensureWebBuilt,
  launchChromium,
  noChromium,
  screenshotsDir,
  signInInBrowser,
} from '@ashapp/test-platform/browser';
import {
  serviceEntry,
  serviceUrlEnv,
  startServices,
  type RunningServices,
} from '@ashapp/test-platform/services';

// One user the stand-in knows: the gateway verifies the sign-in with STS on the stand-in, and the assistant
// runs the same user's keys through the real CLI against it.
const alice = {
  accessKeyId: 'AKIASTANDINE2EALICE1',
  secretAccessKey: 'e2e-alice-secret-key-0000000000000000000',
  arn: 'arn:aws:iam::111122223333:user/alice',
  account: '111122223333',
  userId: 'AIDAE2EALICE000000001',
};

interface MonitorEvent {
  service: string;
  action_type: string;
  user_id: string;
  request_data?: unknown;
}

describe('assistant end-to-end through the real gateway (history, monitor, assistant as processes; AWS stand-in)', () => {
  let standIn: AwsStandIn;
  let services: RunningServices;
  let gateway: ServiceProcess;
  let token: string;

  before(async () => {
    standIn = await startAwsStandIn({ users: [alice], buckets: ['demo-assets', 'build-logs'] });
    services = await startServices(['monitor', 'history', 'assistant'], {
      ASSISTANT_AWS_ENDPOINT_URL: standIn.url,
    });
    const port = await getFreePort();
    gateway = await startServiceProcess({
      entry: serviceEntry('gateway'),
      port,
      env: {
        GATEWAY_PORT: String(port),
        ASHAPP_DATA_DIR: services.dataDir,
        INTERNAL_AUTH_SECRET: services.secret,
        AWS_ENDPOINT_URL_STS: standIn.url,
        ...serviceUrlEnv(services),
      },
    });
    token = await signIn();
  });
  after(async () => {
    await gateway?.stop();
    await services?.stop();
    await standIn?.close();
  });

  async function signIn(): Promise<string> {
    const res = await fetch(`${gateway.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        access_key: alice.accessKeyId,
        secret_key: alice.secretAccessKey,
        region: 'us-east-1',
      }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { token: string }).token;
  }

  const api = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${gateway.url}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const runs = (action: string) => standIn.calls.filter((c) => c.action === action && !c.dryRun).length;

  test('stand-in: signs in, asks a read-only request and gets the result', async () => {
    const res = await api('POST', '/api/ask', { query: 'list ec2 instance ids' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.confirmation_needed, false);
    assert.match(res.text, /i-0a1b2c3d4e5f60001/);
  });

  test('stand-in: a change runs once on Accept, and Decline runs nothing', async () => {
    const stops = runs('StopInstances');
    const pending = await api('POST', '/api/ask', { query: 'stop instance i-0a1b2c3d4e5f60001' });
    assert.equal(pending.status, 200, pending.text);
    assert.equal(pending.json.confirmation_needed, true);
    assert.equal(runs('StopInstances'), stops);
    const accepted = await api('POST', '/api/confirm', {
      confirmation_id: pending.json.confirmation_id,
      decision: 'accept',
    });
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(runs('StopInstances'), stops + 1);

    const terminates = runs('TerminateInstances');
    const second = await api('POST', '/api/ask', { query: 'terminate instance i-0a1b2c3d4e5f60003' });
    const declined = await api('POST', '/api/confirm', {
      query: 'terminate instance i-0a1b2c3d4e5f60003',
      decision: 'no',
    });
    assert.equal(declined.status, 200, declined.text);
    assert.equal(declined.json.confirmation_id, second.json.confirmation_id);
    assert.equal(runs('TerminateInstances'), terminates);
  });

  test('stand-in: history holds every request and the monitor every assistant action', async () => {
    const history = await api('GET', '/api/history?limit=50');
    assert.equal(history.status, 200, history.text);
    const queries = (JSON.parse(history.text) as { query: string }[]).map((e) => e.query);
    for (const q of [
      'list ec2 instance ids',
      'stop instance i-0a1b2c3d4e5f60001',
      'terminate instance i-0a1b2c3d4e5f60003',
    ])
      assert.ok(queries.includes(q), q);
    const actions = await waitFor('every assistant action in the audit log', async () => {
      const res = await api('GET', '/api/monitor/events?service=assistant&limit=200');
      const items = (res.json as { items?: MonitorEvent[] }).items ?? [];
      const seen = new Set(items.map((e) => e.action_type));
      const wanted = [
        'assistant.ask',
        'assistant.plan',
        'assistant.result',
        'assistant.confirmation_requested',
        'assistant.accept',
        'assistant.decline',
      ];
      return wanted.every((a) => seen.has(a)) ? seen : undefined;
    });
    assert.ok(actions.has('assistant.result'));
    const all = await api('GET', '/api/monitor/events?service=assistant&limit=200');
    assert.doesNotMatch(all.text, new RegExp(alice.secretAccessKey));
    assert.ok((all.json as { items: MonitorEvent[] }).items.every((e) => e.user_id === alice.arn));
  });

  describe('in Chromium', { skip: noChromium }, () => {
    let browser: Browser;
    let page: Page;
    before(async () => {
      ensureWebBuilt();
      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = await context.newPage();
      page.setDefaultTimeout(20_000);
    });
    after(async () => {
      await browser?.close();
    });
    const shot = (name: string) =>
      page.screenshot({ path: path.join(screenshotsDir, `assistant-${name}.png`) });

    const ask = async (query: string) => {
      await page.getByTestId('ask-query').fill(query);
      await page.getByTestId('ask-submit').click();
    };

    test('stand-in: signs in and asks a read-only request: table shown, history sidebar updated, Reference correct', async () => {
      await signInInBrowser(page, gateway.url, alice);
      await ask('list s3 buckets please');
      await page.getByTestId('output').waitFor();
      await page.getByTestId('output-table').filter({ hasText: 'demo-assets' }).waitFor();
      assert.match((await page.getByTestId('ask-command').textContent()) ?? '', /aws s3api list-buckets/);
      const href = await page.getByTestId('reference-link').getAttribute('href');
      assert.equal(href, 'https://s3.console.aws.amazon.com/s3/buckets?region=us-east-1');
      await page.getByTestId('history-toggle').click();
      await page.getByTestId('history-entry').filter({ hasText: 'list s3 buckets please' }).first().waitFor();
      await shot('read-only');
      await page.getByTestId('history-toggle').click();
    });

    test('stand-in: a change shows Accept/Decline with the dry run; Accept runs it once, Decline runs nothing', async () => {
      const reboots = runs('RebootInstances');
      await ask('reboot instance i-0a1b2c3d4e5f60002');
      await page.getByTestId('confirm-box').waitFor();
      await page.getByTestId('dry-run').waitFor();
      await shot('confirm');
      assert.equal(runs('RebootInstances'), reboots);
      await page.getByTestId('confirm-accept').click();
      await page.getByTestId('confirm-outcome').filter({ hasText: 'Accepted' }).waitFor();
      await shot('accepted');
      assert.equal(runs('RebootInstances'), reboots + 1);

      const starts = runs('StartInstances');
      await ask('start instance i-0a1b2c3d4e5f60003');
      await page.getByTestId('confirm-box').waitFor();
      await page.getByTestId('confirm-decline').click();
      await page.getByTestId('confirm-outcome').filter({ hasText: 'Declined' }).waitFor();
      await shot('declined');
      assert.equal(runs('StartInstances'), starts);
    });

    test('stand-in: a compound request shows the read and each change; Accept runs exactly those', async () => {
      const starts = runs('StartInstances');
      await ask('start the stopped instances tagged Env=dev');
      await page.getByTestId('confirm-box').waitFor();
      // The read's result (the instance named batch) and the change per target, all in the confirm box.
      await page.getByTestId('compound-read-table').filter({ hasText: 'batch' }).waitFor();
      await page
        .getByTestId('compound-targets')
        .filter({ hasText: 'aws ec2 start-instances --instance-ids i-0a1b2c3d4e5f60003' })
        .waitFor();
      await page
        .getByTestId('compound')
        .screenshot({ path: path.join(screenshotsDir, 'assistant-compound.png') });
      assert.equal(runs('StartInstances'), starts);
      await page.getByTestId('confirm-accept').click();
      await page.getByTestId('confirm-outcome').filter({ hasText: 'Accepted' }).waitFor();
      await page.getByTestId('compound-targets').filter({ hasText: 'done' }).waitFor();
      assert.equal(runs('StartInstances'), starts + 1);
    });
  });
});
