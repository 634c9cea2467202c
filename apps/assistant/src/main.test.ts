import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { awsCredentialsHeader, identityHeader, sealAwsCredentials, signIdentity } from '@ashapp/platform';
import { getFreePort, startServiceProcess } from '@ashapp/platform/testing';
import { startAwsStandIn } from '@ashapp/aws-stand-in';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ashapp-assistant-main-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

test('boots whole: health, readiness, metrics, 401 without identity, a read-only ask on the stand-in, clean exit on SIGTERM', async () => {
  const user = {
    accessKeyId: 'AKIASTANDINMAIN00001',
    secretAccessKey: 'main-secret-key-000000000000000000000000',
    arn: 'arn:aws:iam::111122223333:user/main',
    account: '111122223333',
  };
  const standIn = await startAwsStandIn({ users: [user] });
  const port = await getFreePort();
  const secret = 'm'.repeat(43);
  const svc = await startServiceProcess({
    entry: fileURLToPath(new URL('./main.ts', import.meta.url)),
    port,
    env: {
      ASSISTANT_PORT: String(port),
      ASHAPP_DATA_DIR: dataDir,
      INTERNAL_AUTH_SECRET: secret,
      MONITOR_URL: 'http://127.0.0.1:9',
      HISTORY_URL: 'http://127.0.0.1:9',
      ASSISTANT_AWS_ENDPOINT_URL: standIn.url,
    },
  });
  try {
    assert.equal((await fetch(`${svc.url}/health`)).status, 200);
    assert.equal((await fetch(`${svc.url}/ready`)).status, 200);
    assert.match(await (await fetch(`${svc.url}/metrics`)).text(), /http_requests_total/);
    const anonymous = await fetch(`${svc.url}/api/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'list s3 buckets' }),
    });
    assert.equal(anonymous.status, 401);
    const requestId = randomUUID();
    const res = await fetch(`${svc.url}/api/ask`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': requestId,
        [identityHeader]: signIdentity(
          { userId: user.arn, roles: ['user'], requestId, sessionId: 's1' },
          secret,
        ),
        [awsCredentialsHeader]: sealAwsCredentials(
          { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey, region: 'us-east-1' },
          secret,
          requestId,
        ),
      },
      body: JSON.stringify({ query: 'list ec2 instance ids' }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { confirmation_needed: boolean; output: string };
    assert.equal(body.confirmation_needed, false);
    assert.match(body.output, /i-0a1b2c3d4e5f60001/);
  } finally {
    assert.equal(await svc.stop(), 0, svc.output());
    await standIn.close();
  }
});

test('starts without an AWS CLI v2: plans and asks answer with the planned command and what to install, not ready', async () => {
  const port = await getFreePort();
  const secret = 'n'.repeat(43);
  const svc = await startServiceProcess({
    entry: fileURLToPath(new URL('./main.ts', import.meta.url)),
    port,
    env: {
      ASSISTANT_PORT: String(port),
      ASHAPP_DATA_DIR: dataDir,
      ASSISTANT_DATABASE_URL: `file:${path.join(dataDir, 'no-cli.sqlite')}`,
      INTERNAL_AUTH_SECRET: secret,
      MONITOR_URL: 'http://127.0.0.1:9',
      HISTORY_URL: 'http://127.0.0.1:9',
      AWS_CLI_PATH: path.join(dataDir, 'no-such-aws'),
    },
  });
  try {
    assert.equal((await fetch(`${svc.url}/health`)).status, 200);
    const ready = await fetch(`${svc.url}/ready`);
    assert.equal(ready.status, 503);
    assert.match(await ready.text(), /AWS CLI v2 not found.*apt-get install awscli/);
    const requestId = randomUUID();
    const headers = {
      'content-type': 'application/json',
      'x-request-id': requestId,
      [identityHeader]: signIdentity(
        { userId: 'arn:aws:iam::1:user/x', roles: ['user'], requestId, sessionId: 's' },
        secret,
      ),
      [awsCredentialsHeader]: sealAwsCredentials(
        { accessKeyId: 'AKIAEXAMPLE000000001', secretAccessKey: 'x'.repeat(40), region: 'us-east-1' },
        secret,
        requestId,
      ),
    };
    const plan = await fetch(`${svc.url}/api/plan`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: 'list s3 buckets' }),
    });
    assert.equal(plan.status, 200);
    assert.match(((await plan.json()) as { command: string }).command, /^aws s3api list-buckets/);
    const ask = await fetch(`${svc.url}/api/ask`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: 'list s3 buckets' }),
    });
    assert.equal(ask.status, 200);
    const answer = (await ask.json()) as {
      command: string;
      output: string;
      not_run_reason?: string;
      result?: unknown;
      confirmation_needed: boolean;
    };
    assert.match(answer.command, /^aws s3api list-buckets/);
    assert.match(answer.output, /Planned: aws s3api list-buckets[\s\S]*apt-get install awscli/);
    assert.match(answer.not_run_reason ?? '', /AWS CLI v2 not found/);
    assert.equal(answer.result, undefined);
    assert.equal(answer.confirmation_needed, false);
    // A service the built-in rules never knew plans from the model index alone, and a change is not held
    // for a confirmation that could never run.
    const other = await fetch(`${svc.url}/api/ask`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: 'stop sagemaker notebook instance research-nb' }),
    });
    assert.equal(other.status, 200);
    const change = (await other.json()) as { command: string; risk: string; confirmation_id?: string };
    assert.match(
      change.command,
      /^aws sagemaker stop-notebook-instance --notebook-instance-name research-nb/,
    );
    assert.equal(change.risk, 'change');
    assert.equal(change.confirmation_id, undefined);
  } finally {
    assert.equal(await svc.stop(), 0, svc.output());
  }
});
