import { InputError } from '@ashapp/platform';

export interface CliToken {
  value: string;
  /** Whether any part of the token was quoted or escaped (its characters are then plain text). */
  quoted: boolean;
}

// Characters a shell would act on. Nothing here is ever given to a shell; an unquoted occurrence means
// the user expects shell behaviour (pipes, chaining, substitution) that we refuse rather than ignore.
const SHELL_SYNTAX = /[;|&<>`]|\$\(/;

/**
 * Splits a command line into words with POSIX-like quoting: single quotes are literal, double quotes allow
 * `\"`, `\\`, `\$` and `` \` `` escapes, a backslash outside quotes escapes the next character. There is no
 * expansion of any kind: `$VAR`, `$(…)`, globs and `~` stay as typed.
 */
export function tokenizeCommandLine(text: string): CliToken[] {
  const tokens: CliToken[] = [];
  let current = '';
  let inToken = false;
  let quoted = false;
  let unquotedShellSyntax = false;
  let rawUnquoted = '';
  const push = (): void => {
    if (!inToken) return;
    if (unquotedShellSyntax) {
      throw new InputError(
        `shell syntax is not supported (pipes, ";", "&&", redirections, $(…) and backticks): "${rawUnquoted}"; nothing was run`,
      );
    }
    tokens.push({ value: current, quoted });
    current = '';
    rawUnquoted = '';
    inToken = false;
    quoted = false;
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      push();
      i++;
      continue;
    }
    inToken = true;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new InputError('unterminated single quote in the command');
      current += text.slice(i + 1, end);
      quoted = true;
      i = end + 1;
      continue;
    }
    if (ch === '"') {
      quoted = true;
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i] as string;
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string)) {
          current += text[i + 1];
          i += 2;
          continue;
        }
        current += c;
        i++;
      }
      if (!closed) throw new InputError('unterminated double quote in the command');
      continue;
    }
    if (ch === '\\') {
      if (i + 1 >= text.length) throw new InputError('the command ends with a lone backslash');
      const next = text[i + 1] as string;
      // A backslash-newline is a line continuation, as people paste multi-line commands.
      if (next === '\n') {
        i += 2;
        if (current === '' && !quoted) inToken = false;
        continue;
      }
      current += next;
      quoted = true;
      i += 2;
      continue;
    }
    current += ch;
    rawUnquoted += ch;
    if (SHELL_SYNTAX.test(rawUnquoted)) unquotedShellSyntax = true;
    i++;
  }
  push();
  return tokens;
}
