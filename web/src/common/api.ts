// The pages' only way to the server: a client typed from docs/openapi.yaml (openapi-fetch over
// the types web/build.mjs generates), so a call the contract does not have fails the build.
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from '../gen/openapi';

export type { paths };
export type Api = ReturnType<typeof createClient<paths>>;

// The error body every refusal and failure carries (docs/api.md, "Errors").
export interface ApiError {
  error: string;
  message: string;
  requirement?: string;
  rule?: string;
  citation?: string;
  alternatives?: string[];
}

// A client that signs every call with `key` (an API key; never put in a URL or logged).
export function apiClient(key: string, baseUrl: string = location.origin): Api {
  const client = createClient<paths>({ baseUrl });
  const auth: Middleware = {
    onRequest({ request }) {
      request.headers.set('Authorization', `Bearer ${key}`);
      return request;
    },
  };
  client.use(auth);
  return client;
}

// Reads an error body into ApiError whatever the server sent (a proxy may send HTML).
export function asApiError(body: unknown, status: number): ApiError {
  if (body && typeof body === 'object' && 'message' in body) return body as ApiError;
  return { error: `http_${status}`, message: `the server answered HTTP ${status}; try again or ask the operator` };
}
