/** A minimal server-sent-events reader for tests (fetch + line parsing), bounded by a timeout. */
export interface SseMessage {
  event: string;
  id?: string;
  data: Record<string, unknown>;
}

/** Reads a server-sent-event stream until it ends (bounded by `timeoutMs`), calling `onMessage` as they arrive. */
export async function readEventStream(
  url: string,
  headers: Record<string, string>,
  onMessage: (m: SseMessage) => void,
  timeoutMs = 10_000,
): Promise<{ messages: SseMessage[]; comments: number; status: number; contentType: string }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const messages: SseMessage[] = [];
  let comments = 0;
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const message: Partial<SseMessage> = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comments += 1;
        else if (line.startsWith('event: ')) message.event = line.slice(7);
        else if (line.startsWith('id: ')) message.id = line.slice(4);
        else if (line.startsWith('data: '))
          message.data = JSON.parse(line.slice(6)) as Record<string, unknown>;
      }
      if (message.event) {
        messages.push(message as SseMessage);
        onMessage(message as SseMessage);
      }
    }
  }
  return { messages, comments, status: res.status, contentType: res.headers.get('content-type') ?? '' };
}
