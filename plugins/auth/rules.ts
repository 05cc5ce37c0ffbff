/**
 * Who may call what. `match` is `[METHOD ]/path`: segments compare literally,
 * `*` stands for one segment and a final `**` for any rest. HTTP routes and
 * gRPC methods (`/package.Service/Method`) use the same form; a rule with an
 * HTTP method never matches a gRPC call, and one on GET also covers HEAD (both
 * engines answer HEAD with the GET route). HTTP paths compare as both engines
 * route them: in any case, a trailing slash ignored.
 */
export interface AccessRule {
  match: string;
  /** Callable without a token. */
  public?: boolean;
  /** The caller needs at least one of these roles. */
  roles?: string[];
  /** The caller needs every one of these scopes. */
  scopes?: string[];
}

/** Verified token claims. */
export type Claims = Record<string, unknown>;

/** What is being called: an HTTP request (with its method) or a gRPC method path. */
export interface Target {
  method?: string;
  path: string;
}

/** The outcome of an access check. */
export type Decision =
  { allowed: true; claims?: Claims } | { allowed: false; status: 401 | 403; reason: string };

/** A rule made ready for matching. */
export interface CompiledRule {
  rule: AccessRule;
  method?: string;
  segments: string[];
  /** The segments in lower case, for HTTP requests. */
  lower: string[];
}

/** Checks rules and compiles them; throws an Error listing every bad rule. */
export function compileRules(rules: unknown): CompiledRule[] {
  if (!Array.isArray(rules))
    throw new Error('rules must be an array of { match, public?, roles?, scopes? }');
  const problems: string[] = [];
  const compiled = rules.map((rule: unknown, i): CompiledRule => {
    const r = rule as AccessRule;
    const bad = (why: string) => problems.push(`rules[${i}] ${why}`);
    if (typeof r !== 'object' || r === null || typeof r.match !== 'string') {
      bad('needs a "match" string');
      return { rule: r, segments: [], lower: [] };
    }
    const [first, second, ...extra] = r.match.trim().split(/\s+/);
    const path = second ?? first ?? '';
    if (extra.length > 0 || !path.startsWith('/')) bad(`"${r.match}" is not "[METHOD ]/path"`);
    for (const key of ['roles', 'scopes'] as const) {
      const list = r[key];
      if (list !== undefined && !(Array.isArray(list) && list.every((x) => typeof x === 'string')))
        bad(`"${key}" must be an array of strings`);
    }
    if (r.public !== undefined && typeof r.public !== 'boolean')
      bad('"public" must be true or false');
    return {
      rule: r,
      ...(second === undefined ? {} : { method: first!.toUpperCase() }),
      segments: path.split('/').slice(1),
      lower: path.toLowerCase().split('/').slice(1),
    };
  });
  if (problems.length > 0) throw new Error(`invalid access rules: ${problems.join('; ')}`);
  return compiled;
}

/** The first rule matching the target, if any. */
export function findRule(rules: CompiledRule[], target: Target): AccessRule | undefined {
  const http = target.method !== undefined;
  const segments = (http ? routedPath(target.path) : target.path).split('/').slice(1);
  for (const compiled of rules) {
    if (compiled.method !== undefined && !sameMethod(compiled.method, target.method)) continue;
    if (matches(http ? compiled.lower : compiled.segments, segments)) return compiled.rule;
  }
  return undefined;
}

/** Whether a rule's method covers a request's: both engines answer HEAD with the GET route. */
function sameMethod(rule: string, method: string | undefined): boolean {
  return rule === method || (method === 'HEAD' && rule === 'GET');
}

/** An HTTP path as the routers of both engines match it: lower case, without a trailing slash. */
function routedPath(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

function matches(pattern: string[], segments: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === '**' && i === pattern.length - 1) return true;
    const s = segments[i];
    if (s === undefined || (p !== '*' && p !== s)) return false;
  }
  return pattern.length === segments.length;
}

/** The list of names in a claim: an array of strings, or a space-separated string. */
export function claimList(claims: Claims, claim: string): string[] {
  const value = claims[claim];
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value)) return value.filter((x): x is string => typeof x === 'string');
  return [];
}

/** Whether verified claims satisfy a rule's roles and scopes; a reason when not. */
export function permits(
  rule: AccessRule | undefined,
  claims: Claims,
  claimNames: { roles: string; scopes: string },
): string | undefined {
  if (!rule) return undefined;
  if (rule.roles && rule.roles.length > 0) {
    const held = claimList(claims, claimNames.roles);
    if (!rule.roles.some((r) => held.includes(r)))
      return `needs one of the roles ${rule.roles.join(', ')}`;
  }
  if (rule.scopes && rule.scopes.length > 0) {
    const held = claimList(claims, claimNames.scopes);
    const missing = rule.scopes.filter((s) => !held.includes(s));
    if (missing.length > 0) return `needs the scopes ${missing.join(', ')}`;
  }
  return undefined;
}
