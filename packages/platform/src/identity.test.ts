import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { signIdentity, verifyIdentity } from './identity.ts';

const secret = 'k'.repeat(40);
const who = {
  userId: 'arn:aws:iam::1:user/a',
  roles: ['user'] as const,
  requestId: 'r',
  sessionId: 's',
  name: 'a',
};

describe('identity assertions', () => {
  test('round-trips what the gateway signed', () => {
    assert.deepEqual(verifyIdentity(signIdentity({ ...who, roles: ['user'] }, secret), secret), {
      ...who,
      roles: ['user'],
    });
  });

  test('rejects a payload edited after signing (role escalation)', () => {
    const [v, body, sig] = signIdentity({ ...who, roles: ['user'] }, secret).split('.');
    const payload = JSON.parse(Buffer.from(body!, 'base64url').toString());
    payload.roles = ['admin'];
    const edited = `${v}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`;
    assert.throws(() => verifyIdentity(edited, secret), /invalid identity assertion/);
  });

  test('rejects missing, malformed, foreign-key and expired assertions', () => {
    assert.throws(() => verifyIdentity(undefined, secret), /missing/);
    assert.throws(() => verifyIdentity('v1.abc', secret), /malformed/);
    assert.throws(
      () => verifyIdentity(signIdentity({ ...who, roles: ['user'] }, 'z'.repeat(40)), secret),
      /invalid/,
    );
    const old = signIdentity({ ...who, roles: ['user'] }, secret, {
      now: Date.now() - 120_000,
      ttlSeconds: 60,
    });
    assert.throws(() => verifyIdentity(old, secret), /expired/);
  });
});
