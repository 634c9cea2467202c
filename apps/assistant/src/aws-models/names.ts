/**
 * Name conversions the AWS CLI applies to its service models, re-implemented from botocore's documented
 * behaviour (`xform_name`): `DescribeInstances` → `describe-instances`, `InstanceIds` → `instance-ids`.
 */

// botocore pre-seeds a few names its regexes get wrong; keep the same exceptions so our names match.
const SPECIAL_CASES: Readonly<Record<string, string>> = {
  CreateCachediSCSIVolume: 'create-cached-iscsi-volume',
  DescribeCachediSCSIVolumes: 'describe-cached-iscsi-volumes',
  DescribeStorediSCSIVolumes: 'describe-stored-iscsi-volumes',
  CreateStorediSCSIVolume: 'create-stored-iscsi-volume',
  ListHITsForQualificationType: 'list-hits-for-qualification-type',
  ExecutePartiQLStatement: 'execute-partiql-statement',
  ExecutePartiQLTransaction: 'execute-partiql-transaction',
  ExecutePartiQLBatch: 'execute-partiql-batch',
};

const FIRST_CAP = /(.)([A-Z][a-z]+)/g;
const END_CAP = /([a-z0-9])([A-Z])/g;
const PLURAL_ACRONYM = /[A-Z]{2,}s$/;

/** Converts a model name (PascalCase) to the CLI's kebab-case form. */
export function toCliName(modelName: string): string {
  const special = SPECIAL_CASES[modelName];
  if (special !== undefined) return special;
  if (modelName.includes('-')) return modelName;
  let name = modelName;
  const plural = PLURAL_ACRONYM.exec(name);
  if (plural) name = `${name.slice(0, -plural[0].length)}-${plural[0].toLowerCase()}`;
  return name.replace(FIRST_CAP, '$1-$2').replace(END_CAP, '$1-$2').toLowerCase();
}

/** Levenshtein distance, bounded work for short identifiers. */
export function measureEditDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Returns up to `limit` candidates close to `input`: substring matches first, then by edit distance
 * within a tolerance that grows with the word length.
 */
export function suggestCloseMatches(input: string, candidates: Iterable<string>, limit = 3): string[] {
  const needle = input.toLowerCase();
  const scored: { name: string; score: number }[] = [];
  for (const name of candidates) {
    const lower = name.toLowerCase();
    const distance = measureEditDistance(needle, lower);
    const tolerance = Math.max(2, Math.floor(needle.length / 3));
    if (needle.length >= 3 && (lower.includes(needle) || needle.includes(lower))) {
      scored.push({ name, score: distance / 10 });
    } else if (distance <= tolerance) {
      scored.push({ name, score: distance });
    }
  }
  scored.sort((x, y) => x.score - y.score || x.name.localeCompare(y.name));
  return scored.slice(0, limit).map((s) => s.name);
}

/** Formats suggestions for an error message: ` Did you mean: a, b?` or nothing. */
export function formatSuggestions(suggestions: readonly string[]): string {
  return suggestions.length > 0 ? ` Did you mean: ${suggestions.join(', ')}?` : '';
}
