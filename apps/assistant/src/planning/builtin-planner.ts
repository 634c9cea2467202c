import { AppError } from '@ashapp/platform';
import type { Plan, PlanningContext } from '../plan/plan.ts';
import type { Rule } from './rules/rule.ts';
import { BUILT_IN_RULES } from './rules/index.ts';
import { readRequestFacts } from './request-text.ts';
import { measureEditDistance } from '../aws-models/names.ts';

/** 422-like answer for a request no planner understood; carries close supported requests. */
export class NotUnderstoodError extends AppError {
  readonly suggestions: string[];
  constructor(request: string, suggestions: string[]) {
    const hint = suggestions.length > 0 ? ` Try: ${suggestions.map((s) => `"${s}"`).join(', ')}.` : '';
    super(400, 'NOT_UNDERSTOOD', `Sorry, I did not understand "${truncate(request)}".${hint}`, {
      suggestions,
    });
    this.suggestions = suggestions;
  }
}

function truncate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

export interface BuiltInPlanner {
  /** Plans a plain-language request, or returns undefined when no rule understands it. */
  plan(request: string, context: PlanningContext): Plan | undefined;
  /** Supported requests closest to `request`, best first. */
  suggest(request: string, limit?: number): string[];
  /** One example request per rule, for help texts. */
  listExamples(): string[];
}

export interface BuiltInPlannerOptions {
  rules?: readonly Rule[];
}

/**
 * The deterministic, offline planner: ordered rules over facts read from the request. Pure CPU work,
 * no I/O, so it is fast enough to run on every keystroke if the UI wants to.
 */
export function createBuiltInPlanner(options: BuiltInPlannerOptions = {}): BuiltInPlanner {
  const rules = options.rules ?? BUILT_IN_RULES;
  const exampleWords = rules.map((rule) => new Set(significantWords(rule.example)));

  function plan(request: string, context: PlanningContext): Plan | undefined {
    const facts = readRequestFacts(request);
    if (facts.text === '') return undefined;
    for (const rule of rules) {
      if (rule.change !== facts.changeVerb) continue;
      if (!rule.when.every((pattern) => pattern.test(facts.text))) continue;
      if (rule.unless?.test(facts.text)) continue;
      const draft = rule.build(facts);
      const result: Plan = {
        service: draft.service,
        operation: draft.operation,
        parameters: draft.parameters ?? {},
        region: facts.region ?? context.defaultRegion,
      };
      if (draft.query !== undefined) result.query = draft.query;
      if (draft.output !== undefined) result.output = draft.output;
      // Buckets outside us-east-1 need their location stated, or S3 refuses to create them.
      if (result.operation === 'create-bucket' && result.region !== 'us-east-1') {
        result.parameters = {
          ...result.parameters,
          CreateBucketConfiguration: { LocationConstraint: result.region },
        };
      }
      return result;
    }
    return undefined;
  }

  function suggest(request: string, limit = 3): string[] {
    const words = significantWords(request);
    if (words.length === 0) return rules.slice(0, limit).map((r) => r.example);
    const scored = rules.map((rule, index) => {
      const target = exampleWords[index] as Set<string>;
      let score = 0;
      for (const word of words) {
        if (target.has(word)) score += 1;
        else if (
          word.length >= 4 &&
          [...target].some((t) => Math.abs(t.length - word.length) <= 2 && measureEditDistance(t, word) <= 2)
        ) {
          // Typos ("lamda", "bukets") still point at the right service.
          score += 0.7;
        }
      }
      return { example: rule.example, score: score / Math.sqrt(target.size + words.length) };
    });
    return scored
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, limit)
      .map((s) => s.example);
  }

  return { plan, suggest, listExamples: () => rules.map((r) => r.example) };
}

const IGNORED = new Set([
  'the',
  'a',
  'an',
  'my',
  'me',
  'of',
  'in',
  'for',
  'to',
  'all',
  'show',
  'list',
  'get',
  'please',
  'what',
  'is',
  'are',
  'do',
  'i',
  'have',
]);

function stem(word: string): string {
  return word.replace(/(ies)$/, 'y').replace(/s$/, '');
}

function significantWords(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9-]+/)
    .filter((w) => w.length > 1 && !IGNORED.has(w))
    .map(stem);
}
