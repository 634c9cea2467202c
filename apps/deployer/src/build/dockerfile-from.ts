/**
 * The images a Dockerfile's `FROM` lines pull (stages named by `AS` and `scratch` left out, `$`-built names
 * skipped), in order. No imports: the build Job's entry script uses it too (ADR 0027).
 */
export function parseFromImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const images: string[] = [];
  for (const match of dockerfile.matchAll(/^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/gim)) {
    const ref = match[1] ?? '';
    if (ref && !ref.includes('$') && ref.toLowerCase() !== 'scratch' && !stages.has(ref.toLowerCase()))
      images.push(ref);
    if (match[2]) stages.add(match[2].toLowerCase());
  }
  return [...new Set(images)];
}
