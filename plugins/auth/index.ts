import type { Metadata } from '@grpc/grpc-js';
import type { RequestHandler } from 'express';
import { ConfigError, importPeer, type InitContext, type Plugin } from '../../src/index.js';
import type { GrpcServices } from '../grpc/index.js';
import type { AdminAuthorization, HookHandler } from '../http/index.js';
import type { KvStore, Watch } from '../kv/index.js';
import { AuthConfig } from './config.js';
import { grpcGuard } from './grpc.js';
import { type HttpCarrier, hookGuard, httpClaims, httpGuard } from './http.js';
import {
  type AccessRule,
  type Claims,
  claimList,
  type CompiledRule,
  compileRules,
  type Decision,
  findRule,
  permits,
  type Target,
} from './rules.js';
import { TokenRefused, type Verify, verifier } from './verify.js';

export { AuthConfig } from './config.js';
export type { AccessRule, Claims, Decision, Target } from './rules.js';
export type { HttpCarrier } from './http.js';

/** The health and reflection services stay callable without a token. */
const BUILT_IN: AccessRule[] = [
  { match: '/grpc.health.v1.Health/*', public: true },
  { match: '/grpc.reflection.v1.ServerReflection/*', public: true },
  { match: '/grpc.reflection.v1alpha.ServerReflection/*', public: true },
];

const BUILT_IN_COMPILED = compileRules(BUILT_IN);

/** What dependents and applications use of the auth plugin. */
export interface Authenticator {
  /** Verifies an `Authorization: Bearer <jwt>` value; rejects with a reason safe to show. */
  authenticate(authorization: string | undefined): Promise<Claims>;
  /** Applies the access rules to a target and a caller's `Authorization` value. */
  decide(target: Target, authorization: string | undefined): Promise<Decision>;
  /** Replaces the access rules while serving; throws, keeping the old ones, when a rule is bad. */
  setRules(rules: AccessRule[]): void;
  /** The access rules in force. */
  rules(): AccessRule[];
  /** Express middleware applying the rules; mount it where routes need protection. */
  readonly middleware: RequestHandler;
  /** The rules as an HTTP hook, on either engine: `http.hook(auth.guard)` protects the routes added after it. */
  readonly guard: HookHandler;
  /**
   * The claims verified for an HTTP request (Node's, the route's `req`, express's
   * `req` or `res`) or a gRPC call's metadata.
   */
  claimsOf(from: HttpCarrier | Metadata): Claims | undefined;
}

/**
 * JWT verification with jose and access rules by role and scope, the same for
 * HTTP (a hook on either engine, or express middleware) and gRPC (an
 * interceptor, added when `deps.grpc` is wired). With `deps.http`, admin
 * routes also accept a token with the admin role.
 */
export class AuthPlugin implements Plugin, Authenticator {
  static readonly configClass = AuthConfig;
  deps: { http?: AdminAuthorization; grpc?: GrpcServices; kv?: Pick<KvStore, 'sync'> } = {};
  private config = new AuthConfig();
  private verify?: Verify;
  private compiled: CompiledRule[] = [];
  private current: AccessRule[] = [];
  private readonly grpcClaims = new WeakMap<Metadata, Claims>();
  private rulesWatch?: Watch | undefined;
  readonly middleware: RequestHandler = httpGuard((target, header) => this.decide(target, header));
  readonly guard: HookHandler = hookGuard((target, header) => this.decide(target, header));

  async init(ctx: InitContext): Promise<void> {
    const config = (this.config = ctx.config(AuthConfig));
    if (
      config.secret === undefined &&
      config.jwksUrl === undefined &&
      config.keyFiles.length === 0
    ) {
      throw new ConfigError(ctx.name, [
        {
          plugin: ctx.name,
          setting: 'secret',
          source: 'default',
          message: 'set a secret, a jwksUrl or keyFiles: without a key no token can be verified',
        },
      ]);
    }
    try {
      this.setRules(config.rules);
    } catch (err) {
      throw new ConfigError(ctx.name, [
        {
          plugin: ctx.name,
          setting: 'rules',
          source: 'configuration',
          message: (err as Error).message,
        },
      ]);
    }
    if (config.rulesKey !== undefined) await this.followRules(ctx, config.rulesKey);
    const jose = await importPeer(ctx.name, 'jose', () => import('jose'));
    this.verify = verifier(jose, config);
    this.deps.http?.authorizeAdmin(async (header) => {
      const claims = await this.authenticate(header).catch(() => undefined);
      return (
        claims !== undefined && claimList(claims, config.rolesClaim).includes(config.adminRole)
      );
    });
    if (this.deps.grpc) {
      const grpc = await importPeer(ctx.name, '@grpc/grpc-js', () => import('@grpc/grpc-js'));
      this.deps.grpc.addInterceptor(
        grpcGuard(grpc, (target, header) => this.decide(target, header), this.grpcClaims),
      );
    }
  }

  async close(): Promise<void> {
    this.deps.http?.authorizeAdmin(undefined);
    await this.rulesWatch?.close();
    this.rulesWatch = undefined;
  }

  /** The rules follow a KV key: its value while it exists, the configured rules once deleted. */
  private async followRules(ctx: InitContext, key: string): Promise<void> {
    const kv = this.deps.kv;
    if (!kv) {
      throw new ConfigError(ctx.name, [
        {
          plugin: ctx.name,
          setting: 'rulesKey',
          source: 'configuration',
          message: 'needs the KV plugin in deps.kv',
        },
      ]);
    }
    const configured = this.config.rules;
    const apply = (value: unknown) => {
      try {
        this.setRules((value ?? configured) as AccessRule[]);
        ctx.log.info(
          value === undefined
            ? `key ${key} is gone: the configured rules apply`
            : `rules from key ${key} apply`,
        );
      } catch (err) {
        ctx.log.warn(
          `rules at key ${key} are refused, the rules in force stay: ${(err as Error).message}`,
        );
      }
    };
    this.rulesWatch = await kv.sync(key, {
      onResync: (snapshot) => apply(snapshot.find((e) => e.key === key)?.value),
      onChange: (event) => {
        if (event.key === key) apply(event.type === 'put' ? event.value : undefined);
      },
    });
  }

  async authenticate(authorization: string | undefined): Promise<Claims> {
    if (!this.verify) throw new Error('the auth plugin is not initialised');
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) throw new TokenRefused('send Authorization: Bearer <token>');
    return this.verify(match[1]!);
  }

  async decide(target: Target, authorization: string | undefined): Promise<Decision> {
    const rule = findRule(this.compiled, target);
    if (rule?.public || (!rule && this.config.unmatched === 'public')) return { allowed: true };
    let claims: Claims;
    try {
      claims = await this.authenticate(authorization);
    } catch (err) {
      if (err instanceof TokenRefused) return { allowed: false, status: 401, reason: err.reason };
      throw err;
    }
    const missing = permits(rule, claims, {
      roles: this.config.rolesClaim,
      scopes: this.config.scopesClaim,
    });
    return missing === undefined
      ? { allowed: true, claims }
      : { allowed: false, status: 403, reason: missing };
  }

  setRules(rules: AccessRule[]): void {
    this.compiled = [...BUILT_IN_COMPILED, ...compileRules(rules)];
    this.current = [...rules];
  }

  rules(): AccessRule[] {
    return this.current;
  }

  claimsOf(from: HttpCarrier | Metadata): Claims | undefined {
    return 'getMap' in from ? this.grpcClaims.get(from) : httpClaims(from);
  }
}
