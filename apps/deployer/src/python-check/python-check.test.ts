import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '@ashapp/platform';
import { createPythonChecker } from './python-check.ts';

const helloApp = `from flask import Flask

app = Flask(__name__)

@app.route("/<name>")
def hello(name):
    return f"Hello, {name}!"

if __name__ == "__main__":
    # Runs on port 5000 (can be changed)
    app.run(host="0.0.0.0", port=5000, debug=True)
`;

describe('python checker (real /usr/bin/python3)', () => {
  const checker = createPythonChecker({ env: { PATH: '/usr/bin:/bin' } });

  test('finds the app object, its module and the port of the screenshot hello app', async () => {
    const result = await checker.checkFlaskApp(helloApp);
    assert.deepEqual(result, {
      ok: true,
      appVariable: 'app',
      module: 'app',
      port: 5000,
      portSource: 'app.run',
      routes: ['/<name>'],
      hasRootRoute: false,
      hasHealthRoute: false,
    });
  });

  test('uses the requested port when the code has no app.run(port=…)', async () => {
    const code = 'import flask\nserver = flask.Flask("x")\n@server.get("/")\ndef root():\n    return "ok"\n';
    const result = await checker.checkFlaskApp(code, { requestedPort: 8000 });
    assert.equal(result.ok, true);
    assert.ok(result.ok);
    assert.equal(result.appVariable, 'server');
    assert.equal(result.port, 8000);
    assert.equal(result.portSource, 'requested');
    assert.equal(result.hasRootRoute, true);
  });

  test('reports a syntax error with the line, column and message as Python says it', async () => {
    const code = 'from flask import Flask\napp = Flask(__name__)\n\ndef hello(name)\n    return name\n';
    const result = await checker.checkFlaskApp(code);
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.syntaxError.line, 4);
    assert.equal(result.syntaxError.column, 16);
    assert.equal(result.syntaxError.message, "expected ':'");
    assert.equal(result.syntaxError.text, 'def hello(name)');
  });

  test('reports an indentation error with its line', async () => {
    const result = await checker.checkFlaskApp('def f():\nreturn 1\n');
    assert.ok(!result.ok);
    assert.equal(result.syntaxError.line, 2);
    assert.match(result.syntaxError.message, /indented block/);
  });

  test('rejects code without a module-level Flask object with a 400 naming code', async () => {
    await assert.rejects(
      checker.checkFlaskApp('def make():\n    app = Flask(__name__)\n'),
      (err: unknown) => {
        assert.ok(err instanceof InputError);
        assert.equal(err.details?.field, 'code');
        return true;
      },
    );
  });

  test('never executes the pasted code while checking it', async () => {
    const marker = `/tmp/ashapp-python-check-${process.pid}-${Date.now()}`;
    const code = `import os\nos.mkdir(${JSON.stringify(marker)})\nfrom flask import Flask\napp = Flask(__name__)\n`;
    const result = await checker.checkFlaskApp(code);
    assert.ok(result.ok);
    const { existsSync } = await import('node:fs');
    assert.equal(existsSync(marker), false);
  });

  test('rejects an app.run port outside 1–65535', async () => {
    await assert.rejects(
      checker.checkFlaskApp('from flask import Flask\napp = Flask(__name__)\napp.run(port=70000)\n'),
      InputError,
    );
  });

  test('refuses code nested beyond the limit with the reason instead of failing (issue 8: MemoryError, RecursionError)', async () => {
    for (const code of [
      'x = ' + '-'.repeat(100_000) + '1',
      'x = ' + '1+'.repeat(60_000) + '1',
      'x = ' + '('.repeat(250) + '1' + ')'.repeat(250),
    ]) {
      await assert.rejects(checker.checkFlaskApp(code), (err: unknown) => {
        assert.ok(err instanceof InputError, String(err));
        assert.equal(err.message, 'code: an expression is nested more than 200 levels deep (line 1)');
        assert.equal(err.details?.limit, true);
        return true;
      });
    }
  });

  test('reports code the parser cannot hold as too complex, not as a checker failure', async () => {
    // Nesting the token estimate does not count (conditional expressions, call chains): the parser's own
    // RecursionError/MemoryError is caught inside the memory-capped checker.
    for (const code of ['x = ' + '1 if 1 else '.repeat(50_000) + '1', 'x = f' + '()'.repeat(60_000)]) {
      await assert.rejects(
        checker.checkFlaskApp(code),
        /^InputError: code: the code is too complex to check/,
      );
    }
  });

  test('accepts long flat data and moderately chained expressions', async () => {
    const data = `from flask import Flask\napp = Flask(__name__)\nDATA = [${Array.from({ length: 5000 }, (_, i) => -i).join(', ')}]\nTOTAL = ${'1 + '.repeat(150)}1\n`;
    const result = await checker.checkFlaskApp(data);
    assert.ok(result.ok);
    assert.equal(result.appVariable, 'app');
  });

  test('ends a checker that runs longer than its timeout', async () => {
    // 1 ms is shorter than Python's own start-up, so the child is always still running when the timer fires.
    const slow = createPythonChecker({ timeoutMs: 1, env: { PATH: '/usr/bin:/bin' } });
    await assert.rejects(slow.checkFlaskApp(helloApp), /took too long/);
  });
});
