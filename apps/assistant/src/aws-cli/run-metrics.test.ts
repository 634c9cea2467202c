import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestAssistant, type TestAssistant } from '../../test/harness.ts';

/** The `_count` series of the CLI duration histogram, keyed by `aws_service/outcome`. */
function readRunCounts(metrics: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    const match = /^ashapp_assistant_cli_duration_seconds_count\{([^}]*)\} (\d+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries(
      [...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]] as const),
    );
    counts.set(`${labels.aws_service}/${labels.outcome}`, Number(match[2]));
  }
  return counts;
}

describe('CLI duration metric on the AWS stand-in', () => {
  let t: TestAssistant;
  before(async () => {
    // ListBuckets answers after the executor's limit, so that run times out; the others answer at once.
    t = await startTestAssistant({ cliTimeoutMs: 3000, standIn: { delaysMs: { ListBuckets: 8000 } } });
  });
  after(async () => t.close());

  const ask = (query: string) =>
    t.app.inject({ method: 'POST', url: '/api/ask', payload: { query }, headers: t.headers() });

  test('records every run, labelled success, error (AWS refused the call) or timeout', async () => {
    const ok = await ask('list ec2 instance ids');
    assert.equal(ok.statusCode, 200, ok.body);
    const failed = await ask('describe instance i-0000000000000dead');
    assert.equal(failed.statusCode, 502, failed.body);
    assert.match(failed.json().error.message, /InvalidInstanceID\.NotFound/);
    const slow = await ask('list s3 buckets');
    assert.equal(slow.statusCode, 504, slow.body);

    const metrics = await t.app.inject({ url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    const counts = readRunCounts(metrics.body);
    assert.equal(counts.get('ec2/success'), 1, metrics.body);
    assert.equal(counts.get('ec2/error'), 1, metrics.body);
    assert.equal(counts.get('s3api/timeout'), 1, metrics.body);
    // The timed-out run counts its whole wait, up to the limit, not a zero.
    const sum =
      /^ashapp_assistant_cli_duration_seconds_sum\{[^}]*aws_service="s3api"[^}]*outcome="timeout"[^}]*\} ([\d.]+)$/m.exec(
        metrics.body,
      );
    assert.ok(sum && Number(sum[1]) >= 2.9, `timeout run duration: ${sum?.[1]}`);
    assert.equal([...counts.keys()].length, 3, [...counts.keys()].join(', '));
  });
});
