import type { HttpClient } from './http.ts';

export interface Plan {
  service: string;
  operation: string;
  parameters: Record<string, unknown>;
  region: string;
}

export interface PlanResult {
  plan: Plan;
  command: string;
  read_only: boolean;
}

/** The dry-run verdict shape is the assistant's; the UI shows whatever of these it finds. */
export interface DryRunVerdict {
  ok?: boolean;
  would_succeed?: boolean;
  verdict?: string;
  code?: string;
  message?: string;
}

/** A compound request (read → selected targets → one change each); see apps/assistant/README.md. */
export interface CompoundTarget {
  id: string;
  label: string;
  command: string;
}

export interface CompoundOutcome extends CompoundTarget {
  status: 'done' | 'failed' | 'skipped';
  error?: { code: string; message: string };
}

export interface CompoundDetails {
  pattern: string;
  description: string;
  action: string;
  read: { command: string; result: { json?: unknown; text: string } };
  targets: CompoundTarget[];
  digest: string;
  outcomes?: CompoundOutcome[];
  appeared?: { id: string; label: string }[];
}

export interface AskResult {
  confirmation_needed: boolean;
  query: string;
  output: string;
  plan?: Plan;
  command?: string;
  read_only?: boolean;
  confirmation_id?: string;
  dry_run?: DryRunVerdict | string | null;
  result?: { json?: unknown; text: string };
  reference_url?: string;
  compound?: CompoundDetails;
}

export type Decision = 'accept' | 'decline';

/** Confirm answers like ask (output/result of the run) — or only a status on decline. */
export type ConfirmResult = Partial<AskResult> & { status?: string; message?: string };

export interface AssistantClient {
  plan(query: string): Promise<PlanResult>;
  ask(query: string): Promise<AskResult>;
  confirm(confirmationId: string, decision: Decision): Promise<ConfirmResult>;
}

export function createAssistantClient(http: HttpClient): AssistantClient {
  return {
    plan: (query) => http.json<PlanResult>('/api/plan', { method: 'POST', body: { query } }),
    ask: (query) => http.json<AskResult>('/api/ask', { method: 'POST', body: { query } }),
    confirm: (confirmationId, decision) =>
      http.json<ConfirmResult>('/api/confirm', {
        method: 'POST',
        body: { confirmation_id: confirmationId, decision },
      }),
  };
}
