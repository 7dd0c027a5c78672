import type { TestServer } from './test-app';

export interface FormAnswer {
  status: number;
  headers: Headers;
  /** The JSON body; undefined when empty (a revocation's 200). */
  body: any;
}

/** POST `form` (application/x-www-form-urlencoded) to `path` on the server. */
export async function postForm(
  server: TestServer,
  path: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<FormAnswer> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}
