import type { AwsModelCatalog, ServiceModel, Shape } from '../aws-models/model-catalog.ts';
import type { Plan } from '../plan/plan.ts';

const SAFE_WORD = /^[A-Za-z0-9_\-.,:/=@%+]+$/;

/** Quotes one word for display the way a POSIX shell user would type it. Display only: never executed. */
export function quoteForDisplay(word: string): string {
  if (word !== '' && SAFE_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Renders a validated plan as the equivalent `aws …` command line, for people to read and copy.
 * Booleans become flags, lists of scalars space-separated words, simple structures the CLI shorthand and
 * anything else JSON.
 */
export function renderCommand(catalog: AwsModelCatalog, plan: Plan): string {
  const service = catalog.getService(plan.service);
  const operation = catalog.getOperation(plan.service, plan.operation);
  const words: string[] = ['aws', plan.service, plan.operation];
  for (const [member, value] of Object.entries(plan.parameters)) {
    const param = operation.parameters.get(member);
    if (!param || value === undefined) continue;
    const option = `--${param.cliName}`;
    if (param.shape.type === 'boolean') {
      words.push(value === false ? `--no-${param.cliName}` : option);
      continue;
    }
    words.push(option);
    words.push(...renderValue(service, param.shape, value).map(quoteForDisplay));
  }
  if (plan.query !== undefined) words.push('--query', quoteForDisplay(plan.query));
  if (plan.output !== undefined) words.push('--output', plan.output);
  words.push('--region', quoteForDisplay(plan.region));
  return words.join(' ');
}

function renderValue(service: ServiceModel, shape: Shape, value: unknown): string[] {
  if (shape.type === 'list' && Array.isArray(value)) {
    const member = service.getShape(shape.member?.shape ?? '');
    if (isScalarShape(member)) return value.map(String);
    if (member.type === 'structure' && value.every((item) => isShorthandable(service, member, item))) {
      return value.map((item) => renderShorthand(item as Record<string, unknown>));
    }
    return [JSON.stringify(value)];
  }
  if (shape.type === 'structure' && isShorthandable(service, shape, value)) {
    return [renderShorthand(value as Record<string, unknown>)];
  }
  if (typeof value === 'object' && value !== null) return [JSON.stringify(value)];
  return [String(value)];
}

function isScalarShape(shape: Shape): boolean {
  return !['structure', 'list', 'map'].includes(shape.type) && !shape.document;
}

// Shorthand is only used where it reads back unambiguously: scalars and lists of plain scalars.
function isShorthandable(service: ServiceModel, shape: Shape, value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.entries(value).every(([key, item]) => {
    const ref = shape.members?.[key];
    if (!ref) return false;
    const memberShape = service.getShape(ref.shape);
    const plain = (v: unknown): boolean =>
      typeof v !== 'object' && !/[,={}[\]"' ]/.test(String(v)) && String(v) !== '';
    if (isScalarShape(memberShape)) return plain(item);
    if (memberShape.type === 'list' && Array.isArray(item)) {
      return (
        item.length > 0 &&
        isScalarShape(service.getShape(memberShape.member?.shape ?? '')) &&
        item.every(plain)
      );
    }
    return false;
  });
}

function renderShorthand(value: Record<string, unknown>): string {
  return Object.entries(value)
    .map(([key, item]) => `${key}=${Array.isArray(item) ? item.map(String).join(',') : String(item)}`)
    .join(',');
}
