import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeFailure, extractTraceback, readExceptionLine } from './failure-logs.ts';

/** What gunicorn prints when the app cannot be imported (gunicorn 20, Debian's python3-gunicorn). */
const gunicornImportFailure = [
  '[2026-11-26 10:00:00 +0000] [1] [INFO] Starting gunicorn 20.1.0',
  '[2026-11-26 10:00:00 +0000] [1] [INFO] Listening at: http://0.0.0.0:5000 (1)',
  '[2026-11-26 10:00:00 +0000] [7] [INFO] Booting worker with pid: 7',
  '[2026-11-26 10:00:00 +0000] [7] [ERROR] Exception in worker process',
  'Traceback (most recent call last):',
  '  File "/usr/lib/python3/dist-packages/gunicorn/arbiter.py", line 589, in spawn_worker',
  '    worker.init_process()',
  '  File "/app/app.py", line 2, in <module>',
  '    import requests',
  "ModuleNotFoundError: No module named 'requests'",
  '[2026-11-26 10:00:00 +0000] [7] [INFO] Worker exiting (pid: 7)',
  '[2026-11-26 10:00:01 +0000] [1] [INFO] Shutting down: Master',
  '[2026-11-26 10:00:01 +0000] [1] [INFO] Reason: Worker failed to boot.',
];

describe('the cause of a failed deploy from the container output', () => {
  test('finds the first traceback and ends it at the exception line, not at gunicorn\'s "Worker failed to boot"', () => {
    const traceback = extractTraceback(gunicornImportFailure);
    assert.ok(traceback);
    assert.equal(traceback[0], 'Traceback (most recent call last):');
    assert.equal(readExceptionLine(traceback), "ModuleNotFoundError: No module named 'requests'");
    assert.ok(traceback.includes('    import requests'));
    assert.ok(!traceback.some((l) => /Worker failed to boot/.test(l)));
  });

  test('takes the first of several tracebacks, and none from output without one', () => {
    const twice = [
      ...gunicornImportFailure,
      'Traceback (most recent call last):',
      '  File "x.py", line 1',
      'ValueError: second',
    ];
    assert.equal(
      readExceptionLine(extractTraceback(twice)!),
      "ModuleNotFoundError: No module named 'requests'",
    );
    assert.equal(
      extractTraceback(['Listening at: http://0.0.0.0:5000', 'Worker failed to boot.']),
      undefined,
    );
  });

  test('keeps a very long traceback readable: the first frames and the exception stay', () => {
    const frames = Array.from({ length: 200 }, (_, i) => `  File "deep.py", line ${i}, in f`);
    const traceback = extractTraceback([
      'Traceback (most recent call last):',
      ...frames,
      'RecursionError: maximum recursion depth exceeded',
    ])!;
    assert.ok(traceback.length <= 61);
    assert.equal(traceback[0], 'Traceback (most recent call last):');
    assert.equal(readExceptionLine(traceback), 'RecursionError: maximum recursion depth exceeded');
    assert.ok(traceback.some((l) => /lines left out/.test(l)));
  });

  test('the failure names the exception on its first line, then the traceback and the last log lines', () => {
    const text = describeFailure('rollout failed: CrashLoopBackOff: container exited with code 3', {
      traceback: extractTraceback(gunicornImportFailure),
      tail: gunicornImportFailure.slice(-3),
    });
    const [first] = text.split('\n');
    assert.equal(
      first,
      "rollout failed: CrashLoopBackOff: container exited with code 3 — the app failed with ModuleNotFoundError: No module named 'requests'",
    );
    assert.match(text, /First traceback:\nTraceback \(most recent call last\):/);
    assert.match(text, /Last 3 log lines:\n.*Worker exiting/);
    assert.equal(describeFailure('rollout failed: x', undefined), 'rollout failed: x');
  });
});
