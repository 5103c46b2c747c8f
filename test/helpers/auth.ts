// The admin key every test stack and test app is started with (CONVOY_ADMIN_KEY), and the header
// that carries it. Tests of authentication itself send other headers, or none, explicitly.
export const TEST_ADMIN_KEY = `cvy_${'test-admin-key-0123456789-abcdefghijklmnopq'}`;
export const ADMIN_AUTH = { authorization: `Bearer ${TEST_ADMIN_KEY}` } as const;
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** fetch with the test admin key (unless the call names an Authorization header itself). */
export function authedFetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', ADMIN_AUTH.authorization);
  return fetch(url, { ...init, headers });
}
