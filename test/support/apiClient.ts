/**
 * A small JSON client for the gateway's API in tests: every call returns the status and the parsed body, so
 * tests assert on both.
 */
export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export function apiClient(baseUrl: string, key: string) {
  async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T, headers: res.headers };
  }
  return {
    baseUrl,
    get: <T = Record<string, unknown>>(path: string) => call<T>('GET', path),
    post: <T = Record<string, unknown>>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
    put: <T = Record<string, unknown>>(path: string, body?: unknown) => call<T>('PUT', path, body),
    patch: <T = Record<string, unknown>>(path: string, body?: unknown) => call<T>('PATCH', path, body),
    delete: <T = Record<string, unknown>>(path: string) => call<T>('DELETE', path),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/**
 * Creates a source → destination → connection chain and returns their ids and the ingest URL (built from the
 * address the test talks to, since a gateway on port 0 cannot know its public URL in advance).
 */
export async function createPipeline(
  api: ApiClient,
  options: {
    name: string;
    url: string;
    retry?: Record<string, unknown>;
    /** Other connection rules (filter, delay), after the retry rule. */
    rules?: Record<string, unknown>[];
    timeout?: number;
    destinationConfig?: Record<string, unknown>;
  },
): Promise<{ sourceId: string; destinationId: string; connectionId: string; ingestUrl: string }> {
  const source = await api.post<{ id: string }>('/sources', { name: `${options.name}-src` });
  if (source.status !== 201) throw new Error(`create source: ${source.status} ${JSON.stringify(source.body)}`);
  const destination = await api.post<{ id: string }>('/destinations', {
    name: `${options.name}-dst`,
    type: 'HTTP',
    config: { url: options.url, ...(options.timeout === undefined ? {} : { timeout: options.timeout }), ...options.destinationConfig },
  });
  if (destination.status !== 201) throw new Error(`create destination: ${destination.status} ${JSON.stringify(destination.body)}`);
  const rules = [...(options.retry === undefined ? [] : [{ type: 'retry', ...options.retry }]), ...(options.rules ?? [])];
  const connection = await api.post<{ id: string }>('/connections', {
    name: `${options.name}-conn`,
    source_id: source.body.id,
    destination_id: destination.body.id,
    rules,
  });
  if (connection.status !== 201) throw new Error(`create connection: ${connection.status} ${JSON.stringify(connection.body)}`);
  return { sourceId: source.body.id, destinationId: destination.body.id, connectionId: connection.body.id, ingestUrl: `${api.baseUrl}/e/${source.body.id}` };
}
