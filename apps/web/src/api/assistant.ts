import type { HttpClient } from './http.ts';

export interface Plan {
  service: string;
  operation: string;
  parameters: Record<string, unknown>;
  region: string;
}

/** One of several operations that fit a request equally; nothing runs until the user picks one. */
export interface PlanChoice {
  plan: Plan;
  command: string;
  read_only: boolean;
  risk?: Risk;
  description?: string;
}

export interface PlanResult {
  plan: Plan;
  command: string;
  read_only: boolean;
  risk?: Risk;
  choices?: PlanChoice[];
}

/** The dry-run verdict shape is the assistant's; the UI shows whatever of these it finds. */
export interface DryRunVerdict {
  ok?: boolean;
  would_succeed?: boolean;
  verdict?: string;
  code?: string;
  message?: string;
}

/** What running a plan does: reads, reads a secret (asked like a change, output never stored), or changes. */
export type Risk = 'read' | 'secret' | 'change';
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
  /** When the confirmation stops being accepted (ISO 8601). */
  expires_at?: string;
  risk?: Risk;
  choices?: PlanChoice[];
  /** Planned but not run (e.g. no AWS CLI on the assistant): what is missing. */
  not_run_reason?: string;
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
