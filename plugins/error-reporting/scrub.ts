/** Header names whose values never leave the process. */
const PRIVATE_HEADERS = /^(authorization|cookie|set-cookie|proxy-authorization|x-api-key)$/i;

/**
 * Removes what a report must never carry: request bodies, cookies, private
 * headers, query strings, and every occurrence of a secret value.
 */
export function scrub<E extends object>(event: E, secrets: string[]): E {
  const request = (event as { request?: Record<string, unknown> }).request;
  if (request) {
    delete request.data;
    delete request.cookies;
    delete request.query_string;
    const headers = request.headers as Record<string, string> | undefined;
    for (const name of Object.keys(headers ?? {}))
      if (PRIVATE_HEADERS.test(name)) delete headers?.[name];
  }
  const values = secrets.filter((s) => s.length >= 4);
  const text = JSON.stringify(event, (_key, value: unknown) =>
    typeof value === 'string' ? hide(value, values) : value,
  );
  return JSON.parse(text) as E;
}

/** A string without the query strings of URLs (log lines quote them) and without secret values. */
function hide(value: string, secrets: string[]): string {
  const noQuery = value.replace(/(\/[^\s?"]*)\?[^\s"]*/g, '$1?[query]');
  return secrets.reduce((v, secret) => v.split(secret).join('[redacted]'), noQuery);
}

/** Allows `perMinute` reports in any minute. */
export function rateLimiter(perMinute: number, now: () => number = Date.now): () => boolean {
  let windowStart = now();
  let count = 0;
  return () => {
    const t = now();
    if (t - windowStart >= 60_000) {
      windowStart = t;
      count = 0;
    }
    count += 1;
    return count <= perMinute;
  };
}
