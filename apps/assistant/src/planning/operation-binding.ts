import { AppError } from '@ashapp/platform';
import type { ParameterModel, ServiceModel } from '../aws-models/model-catalog.ts';
import { readMemberWords, type OperationWords } from './operation-words.ts';
import type { RequestAnalysis } from './request-analysis.ts';
import { isValueToken, type RequestValue } from './request-values.ts';
import { FILLER_WORDS, normalizeWord, readVerb } from './words.ts';

/** A missing required member, with what the model says about it. */
export interface MissingMember {
  member: string;
  option: string;
  documentation?: string;
}

/** 400 NEEDS_INPUT: the operation is clear, but a required value is not in the request. */
export class NeedsInputError extends AppError {
  constructor(service: string, operation: string, missing: MissingMember[]) {
    const list = missing
      .map((m) => `--${m.option}${m.documentation ? ` (${m.documentation})` : ''}`)
      .join('; ');
    super(
      400,
      'NEEDS_INPUT',
      `To run aws ${service} ${operation} I need ${list}. Say it again with ${missing.length > 1 ? 'these values' : 'that value'}.`,
      { service, operation, missing },
    );
  }
}

const PAGE_SIZE_MEMBERS = new Set([
  'MaxResults',
  'MaxRecords',
  'MaxItems',
  'Limit',
  'maxResults',
  'limit',
  'PageSize',
]);

/** Whether a value the request states can fill this member (by kind, then by the nouns around it). */
function fitsMember(
  value: RequestValue,
  param: ParameterModel,
  member: { nouns: string[]; suffix: string },
  opNouns: ReadonlySet<string>,
): boolean {
  const { nouns, suffix } = member;
  const refersTo = (candidates: readonly string[]): boolean =>
    nouns.length === 0
      ? candidates.some((n) => opNouns.has(n)) || candidates.length === 0
      : candidates.some((n) => nouns.includes(n) || nouns.join('') === n);
  switch (value.kind) {
    case 'arn':
      if (suffix === 'arn') return nouns.length === 0 || value.nouns.length === 0 || refersTo(value.nouns);
      return (
        (suffix === 'name' || suffix === 'identifier' || suffix === '') &&
        param.required &&
        refersTo(value.nouns)
      );
    case 'url':
      return suffix === 'url';
    case 'account':
      return nouns.includes('account') && suffix === 'id';
    case 'id':
      return (suffix === 'id' || suffix === 'identifier' || suffix === '') && refersTo(value.nouns);
    case 'name':
    case 'path':
      if (suffix === 'arn' || suffix === 'url') return false;
      if (!param.required && !refersTo(value.nouns)) return false;
      if (value.nouns.length === 0)
        return param.required && (nouns.length === 0 || nouns.every((n) => opNouns.has(n)));
      return (
        refersTo(value.nouns) ||
        (nouns.length > 0 && nouns.every((n) => opNouns.has(n)) && value.nouns.some((n) => opNouns.has(n)))
      );
  }
}

function findValue(
  analysis: RequestAnalysis,
  service: ServiceModel,
  opNouns: ReadonlySet<string>,
  param: ParameterModel,
  used: ReadonlySet<RequestValue>,
): RequestValue | undefined {
  if (!['string', 'list'].includes(param.shape.type)) return undefined;
  if (param.shape.type === 'list') {
    // Lists of ids take ids; lists of structures are never filled from words.
    const memberShape = service.shapes[param.shape.member?.shape ?? ''];
    if (memberShape?.type !== 'string') return undefined;
  }
  const member = readMemberWords(param);
  return analysis.read.values.find((value) => !used.has(value) && fitsMember(value, param, member, opNouns));
}

/** A plain word said right after the member's noun ("for user admin" → UserName admin). */
function findPlainName(analysis: RequestAnalysis, param: ParameterModel): string | undefined {
  const { nouns, suffix } = readMemberWords(param);
  if (nouns.length === 0 || !['name', 'identifier', ''].includes(suffix) || param.shape.type !== 'string')
    return undefined;
  const tokens = analysis.read.tokens;
  const last = nouns.at(-1) as string;
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (normalizeWord(tokens[i] as string) !== last) continue;
    const next = tokens[i + 1] as string;
    if (isValueToken(next) || FILLER_WORDS.has(next) || readVerb(next)) continue;
    if (i + 2 < tokens.length && !FILLER_WORDS.has(tokens[i + 2] as string)) continue;
    return analysis.read.typed[i + 1];
  }
  return undefined;
}

/**
 * Binds the values the request states to the operation's members by their names; required members it
 * does not state are reported missing (a required page size gets the model's largest page instead).
 */
export function bindParameters(
  analysis: RequestAnalysis,
  service: ServiceModel,
  words: OperationWords,
): { parameters: Record<string, unknown>; missing: MissingMember[]; bound: number } {
  const parameters: Record<string, unknown> = {};
  const missing: MissingMember[] = [];
  const used = new Set<RequestValue>();
  const opNouns = new Set(words.nouns);
  const params = [...words.operation.parameters.values()].sort(
    (a, b) => Number(b.required) - Number(a.required),
  );
  for (const param of params) {
    const value = findValue(analysis, service, opNouns, param, used);
    if (value) {
      used.add(value);
      parameters[param.memberName] = param.shape.type === 'list' ? [value.text] : value.text;
      continue;
    }
    const plain = findPlainName(analysis, param);
    if (plain !== undefined) {
      parameters[param.memberName] = param.shape.type === 'list' ? [plain] : plain;
      continue;
    }
    if (!param.required) continue;
    if (PAGE_SIZE_MEMBERS.has(param.memberName) && ['integer', 'long'].includes(param.shape.type)) {
      parameters[param.memberName] = Math.min(param.shape.max ?? 60, 1000);
      continue;
    }
    missing.push({
      member: param.memberName,
      option: param.cliName,
      ...(param.documentation ? { documentation: param.documentation } : {}),
    });
  }
  return { parameters, missing, bound: used.size };
}
