/**
 * A planned AWS operation: what the assistant shows as a command and runs only after safety checks.
 * `service` and `operation` use the AWS CLI's names (`ec2`, `describe-instances`); `parameters` are keyed by
 * the service model's member names (`InstanceIds`), exactly as the CLI's models define them.
 */
export interface Plan {
  service: string;
  operation: string;
  parameters: Record<string, unknown>;
  region: string;
  /** Optional JMESPath applied by the CLI (`--query`). */
  query?: string;
  /** Preferred display format (`--output`); execution always asks the CLI for JSON. */
  output?: PlanOutput;
}

export type PlanOutput = 'json' | 'text' | 'table' | 'yaml';

export const PLAN_OUTPUTS: readonly PlanOutput[] = ['json', 'text', 'table', 'yaml'];

/** Context every planner receives: the signed-in session's default region. */
export interface PlanningContext {
  defaultRegion: string;
}

/** Which planner produced a plan, for audit and the UI. */
export type PlannerName = 'literal' | 'built-in' | 'models' | 'bedrock' | 'openai';

export interface PlannedRequest {
  plan: Plan;
  planner: PlannerName;
}
