import type { AwsModelCatalog } from '../aws-models/model-catalog.ts';
import type { Plan } from '../plan/plan.ts';

export interface CliArgumentOptions {
  /** Operator endpoint override from configuration; users can never set it. */
  endpointUrl?: string;
  /** Adds `--dry-run` (the operation must have a DryRun member). */
  dryRun?: boolean;
}

/**
 * Builds the argument vector for a validated plan. Every option is one `--name=value` word so no value can
 * ever be read as another option; complex values are JSON, which the CLI accepts for any parameter.
 */
export function buildCliArguments(
  catalog: AwsModelCatalog,
  plan: Plan,
  options: CliArgumentOptions = {},
): string[] {
  const operation = catalog.getOperation(plan.service, plan.operation);
  const args = [plan.service, plan.operation];
  for (const [member, value] of Object.entries(plan.parameters)) {
    if (value === undefined) continue;
    const param = operation.parameters.get(member);
    if (!param)
      throw new Error(`plan parameter ${member} is not in the model; validate plans before running them`);
    if (options.dryRun && member === 'DryRun') continue;
    if (param.shape.type === 'boolean') {
      args.push(value === true ? `--${param.cliName}` : `--no-${param.cliName}`);
    } else if (typeof value === 'object' && value !== null) {
      args.push(`--${param.cliName}=${JSON.stringify(value)}`);
    } else {
      args.push(`--${param.cliName}=${String(value)}`);
    }
  }
  if (options.dryRun) args.push('--dry-run');
  args.push(`--region=${plan.region}`, '--output=json', '--no-cli-pager');
  if (plan.query !== undefined) args.push(`--query=${plan.query}`);
  if (options.endpointUrl) args.push(`--endpoint-url=${options.endpointUrl}`);
  return args;
}
