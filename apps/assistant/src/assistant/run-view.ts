import type { CliRunResult, DryRunVerdict } from '../aws-cli/cli-executor.ts';
import { renderTable, type TableView } from '../aws-cli/render-output.ts';

export interface RunView {
  json: unknown;
  text: string;
  table: TableView;
}

export interface DryRunView {
  ok: boolean;
  would_succeed: boolean;
  code: string;
  message: string;
  verdict: string;
}

export function toRunView(result: CliRunResult): RunView {
  return { json: result.json, text: result.text, table: renderTable(result.json) };
}

export function describeDryRun(verdict: DryRunVerdict): DryRunView {
  const text = verdict.wouldSucceed
    ? 'AWS says the request would succeed.'
    : `AWS says the request would fail: ${verdict.code}: ${verdict.message}`;
  return {
    ok: verdict.wouldSucceed,
    would_succeed: verdict.wouldSucceed,
    code: verdict.code,
    message: text,
    verdict: verdict.wouldSucceed ? 'would succeed' : 'would fail',
  };
}
