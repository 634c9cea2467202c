/** Only http(s) URLs from a server answer become links; anything else (javascript:, data:) is refused. */
export function toSafeHttpUrl(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value, 'http://placeholder.invalid');
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    // Relative values would resolve against our placeholder; keep only absolute links.
    if (url.hostname === 'placeholder.invalid') return undefined;
    return url.href;
  } catch {
    return undefined;
  }
}
