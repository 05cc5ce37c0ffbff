import { IsInt, IsString, Min } from 'class-validator';
import type { Request, Response } from 'express';
import { type InitContext, type Logger, type Plugin, Setting } from 'flavorkit';
import type { HttpHandlers } from 'flavorkit/plugins/http';
import type { Database } from 'flavorkit/plugins/postgres';
import type { RedisConnection } from 'flavorkit/plugins/redis';

/** A todo, as the API returns it. */
export interface Todo {
  id: number;
  title: string;
  done: boolean;
}

/** Settings of the todos API. */
export class TodosConfig {
  @Setting({ description: 'prefix of the cache keys' })
  @IsString()
  cachePrefix = 'todo:';

  @Setting({ description: 'seconds a cached todo is kept' })
  @IsInt()
  @Min(1)
  cacheTtl = 60;
}

/** A reason the request body is refused, or the fields it sets. */
function parseTodo(body: unknown, partial: boolean): string | Partial<Omit<Todo, 'id'>> {
  if (typeof body !== 'object' || body === null) return 'send a JSON object';
  const { title, done } = body as Record<string, unknown>;
  const fields: Partial<Omit<Todo, 'id'>> = {};
  if (title !== undefined || !partial) {
    if (typeof title !== 'string' || title.trim() === '' || title.length > 200) {
      return 'title must be a text of 1 to 200 characters';
    }
    fields.title = title.trim();
  }
  if (done !== undefined) {
    if (typeof done !== 'boolean') return 'done must be true or false';
    fields.done = done;
  }
  return fields;
}

/** The todo id of a path, or undefined when it is not a positive integer. */
function idOf(req: Request): number | undefined {
  const id = Number(req.params.id);
  return Number.isInteger(id) && id > 0 && id < 2 ** 31 ? id : undefined;
}

const COLUMNS = 'id, title, done';

/**
 * REST CRUD of todos over Postgres: `GET/POST /todos`, `GET/PUT/DELETE
 * /todos/:id`. `GET /todos/:id` reads through a Redis cache when one is up
 * (cache-aside, `X-Cache: hit|miss`); without Redis it reads the database.
 */
export class TodosPlugin implements Plugin {
  static readonly configClass = TodosConfig;
  deps!: { http: HttpHandlers; db: Database; cache: () => RedisConnection | undefined };
  private cfg = new TodosConfig();
  private log?: Logger;

  init(ctx: InitContext): void {
    this.cfg = ctx.config(TodosConfig);
    this.log = ctx.log;
    const { http, db } = this.deps;

    http.get('/todos', async (_req, res) => {
      const { rows } = await db.query<Todo>(`SELECT ${COLUMNS} FROM todos ORDER BY id`);
      res.json(rows);
    });

    http.post('/todos', async (req, res) => {
      const fields = parseTodo(req.body, false);
      if (typeof fields === 'string') return void res.status(400).json({ error: fields });
      const { rows } = await db.query<Todo>(
        `INSERT INTO todos (title, done) VALUES ($1, $2) RETURNING ${COLUMNS}`,
        [fields.title, fields.done ?? false],
      );
      res.status(201).json(rows[0]);
    });

    http.get('/todos/:id', async (req, res) => {
      const id = idOf(req);
      if (id === undefined) return void res.status(400).json({ error: 'id must be a number' });
      const cached = await this.cacheGet(id);
      if (cached) return void res.set('X-Cache', 'hit').type('json').send(cached);
      const { rows } = await db.query<Todo>(`SELECT ${COLUMNS} FROM todos WHERE id = $1`, [id]);
      if (!rows[0]) return void notFound(res, id);
      await this.cacheSet(id, rows[0]);
      res.set('X-Cache', 'miss').json(rows[0]);
    });

    http.put('/todos/:id', async (req, res) => {
      const id = idOf(req);
      if (id === undefined) return void res.status(400).json({ error: 'id must be a number' });
      const fields = parseTodo(req.body, true);
      if (typeof fields === 'string') return void res.status(400).json({ error: fields });
      const { rows } = await db.query<Todo>(
        `UPDATE todos SET title = coalesce($2, title), done = coalesce($3, done) WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, fields.title ?? null, fields.done ?? null],
      );
      await this.cacheDrop(id);
      if (!rows[0]) return void notFound(res, id);
      res.json(rows[0]);
    });

    http.delete('/todos/:id', async (req, res) => {
      const id = idOf(req);
      if (id === undefined) return void res.status(400).json({ error: 'id must be a number' });
      const { rowCount } = await db.query('DELETE FROM todos WHERE id = $1', [id]);
      await this.cacheDrop(id);
      if (rowCount === 0) return void notFound(res, id);
      res.status(204).end();
    });
  }

  // The cache is an optimisation: when Redis is down or fails, the database answers.
  private async cacheGet(id: number): Promise<string | null> {
    const cache = this.deps.cache();
    if (!cache?.ready) return null;
    return cache.client.get(this.key(id)).catch((err: unknown) => this.cacheFailed(err, null));
  }

  private async cacheSet(id: number, todo: Todo): Promise<void> {
    const cache = this.deps.cache();
    if (!cache?.ready) return;
    await cache.client
      .set(this.key(id), JSON.stringify(todo), { EX: this.cfg.cacheTtl })
      .catch((err: unknown) => this.cacheFailed(err, undefined));
  }

  private async cacheDrop(id: number): Promise<void> {
    const cache = this.deps.cache();
    if (!cache?.ready) return;
    await cache.client.del(this.key(id)).catch((err: unknown) => this.cacheFailed(err, undefined));
  }

  private cacheFailed<T>(err: unknown, fallback: T): T {
    this.log?.warn(`cache skipped: ${err instanceof Error ? err.message : String(err)}`);
    return fallback;
  }

  private key(id: number): string {
    return `${this.cfg.cachePrefix}${id}`;
  }
}

function notFound(res: Response, id: number): void {
  res.status(404).json({ error: `no todo ${id}` });
}
