import { fileURLToPath } from 'node:url';
import { InputError, UnavailableError } from '@ashapp/platform';
import { runCommand } from '../process/run-command.ts';

/** The checker script shipped beside this module; it parses, never runs, the pasted code. */
export const flaskCheckScript = fileURLToPath(new URL('./flask_check.py', import.meta.url));

export interface PythonSyntaxError {
  /** Python's own message, e.g. "expected ':'". */
  message: string;
  line: number | null;
  column: number | null;
  text: string;
}

export type FlaskCheck =
  | { ok: false; syntaxError: PythonSyntaxError }
  | {
      ok: true;
      /** The module-level variable holding the Flask object (`app` in `app = Flask(__name__)`). */
      appVariable: string;
      /** The module gunicorn imports: the pasted code is always written as `app.py`. */
      module: 'app';
      /** `app.run(port=…)` when the code has it, else the requested or default port. */
      port: number;
      portSource: 'app.run' | 'requested';
      routes: string[];
      hasRootRoute: boolean;
      hasHealthRoute: boolean;
    };

export interface PythonChecker {
  checkFlaskApp(code: string, options?: { requestedPort?: number }): Promise<FlaskCheck>;
}

export interface PythonCheckerOptions {
  /** The interpreter; Debian's by default, not whatever `python3` comes first on PATH. */
  python?: string;
  timeoutMs?: number;
  defaultPort?: number;
  env?: Readonly<Record<string, string>>;
}

interface CheckerOutput {
  ok: boolean;
  /** The code is beyond what the checker accepts (nesting, memory): a 400, not a syntax error. */
  limit?: { message: string; line: number | null };
  error?: { message: string; line: number | null; column: number | null; text: string };
  app_variable?: string | null;
  port?: number | null;
  routes?: string[];
  has_root_route?: boolean;
  has_health_route?: boolean;
}

/**
 * Asks Python's own parser about pasted Flask code. A syntax error is a normal answer (`ok: false`);
 * code without a module-level Flask object is an `InputError` naming `code`, and so is code beyond the
 * checker's limits (nesting deeper than 200, more memory than the checker may use), with `details.limit`.
 */
export function createPythonChecker(options: PythonCheckerOptions = {}): PythonChecker {
  const python = options.python ?? '/usr/bin/python3';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const defaultPort = options.defaultPort ?? 5000;
  return {
    async checkFlaskApp(code, checkOptions = {}) {
      const result = await runCommand({
        command: python,
        // -I: isolated mode, so PYTHON* variables and the user's site-packages cannot change the checker.
        args: ['-I', '-S', flaskCheckScript],
        env: { ...(options.env ?? {}), LC_ALL: 'C.UTF-8' },
        input: code,
        timeoutMs,
        maxOutputBytes: 256 * 1024,
      }).catch((err: unknown) => {
        throw new UnavailableError(`python is not available: ${(err as Error).message}`);
      });
      if (result.timedOut) throw new InputError('code: checking the code took too long', { field: 'code' });
      if (result.code !== 0) throw new UnavailableError('the Python checker failed');
      let parsed: CheckerOutput;
      try {
        parsed = JSON.parse(result.stdout) as CheckerOutput;
      } catch {
        throw new UnavailableError('the Python checker answered something unexpected');
      }
      if (parsed.limit) {
        const where = parsed.limit.line !== null ? ` (line ${parsed.limit.line})` : '';
        throw new InputError(`code: ${parsed.limit.message}${where}`, { field: 'code', limit: true });
      }
      if (!parsed.ok) {
        const error = parsed.error ?? { message: 'invalid syntax', line: null, column: null, text: '' };
        return { ok: false, syntaxError: error };
      }
      if (!parsed.app_variable) {
        throw new InputError(
          'code: no Flask application found (expected e.g. `app = Flask(__name__)` at module level)',
          {
            field: 'code',
          },
        );
      }
      const fromRun = parsed.port ?? undefined;
      if (fromRun !== undefined && (fromRun < 1 || fromRun > 65535)) {
        throw new InputError(`code: app.run(port=${fromRun}) is not a valid port`, { field: 'code' });
      }
      const port = fromRun ?? checkOptions.requestedPort ?? defaultPort;
      return {
        ok: true,
        appVariable: parsed.app_variable,
        module: 'app',
        port,
        portSource: fromRun !== undefined ? 'app.run' : 'requested',
        routes: parsed.routes ?? [],
        hasRootRoute: parsed.has_root_route ?? false,
        hasHealthRoute: parsed.has_health_route ?? false,
      };
    },
  };
}
