import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createServiceApp } from './server.ts';
import { createCapturingLogger } from './testing/logs.ts';

const secretKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('log masking', () => {
  test('masks secrets in messages, in known fields and in child loggers', () => {
    const { log, lines } = createCapturingLogger('masking');
    log.warn(`could not reach postgres://app:hunter2x@db/x with aws_secret_access_key=${secretKey}`);
    log.child({ component: 'c' }).info({ session_token: 'tok-123456', password: 'p4ssw0rd' }, 'signed in');
    const text = lines.join('\n');
    for (const leaked of ['hunter2x', secretKey, 'tok-123456', 'p4ssw0rd']) {
      assert.ok(!text.includes(leaked), `${leaked} in ${text}`);
    }
    assert.match(text, /postgres:\/\/app:\*\*\*@db\/x/);
  });

  test("masks secrets in a logged request's URL (query tokens, presigned URLs)", async () => {
    const { log, lines } = createCapturingLogger('masking');
    const app = await createServiceApp({ name: 'masking', log, identitySecret: 'x'.repeat(32) });
    try {
      await app.inject({ method: 'GET', url: '/nothing?api_token=s3cr3tv4lue&X-Amz-Signature=abcdef0123' });
      const text = lines.join('\n');
      assert.ok(text.includes('"url":"/nothing?api_token=***'), text);
      assert.ok(!text.includes('s3cr3tv4lue') && !text.includes('abcdef0123'), text);
    } finally {
      await app.close();
    }
  });
});
