import type { FastifyInstance } from 'fastify';

/**
 * The demo's way in: the real HTTP API, driven in-process with `app.inject`, so every step passes
 * the same validation, permissions, audit and events as a user's request.
 */

export type InjectingApp = Pick<FastifyInstance, 'inject'>;

/** A step of the demo that the API refused: the step, the status and the problem+json reply. */
export class DemoStepError extends Error {
  override readonly name = 'DemoStepError';

  constructor(
    readonly step: string,
    readonly status: number,
    readonly reply: string,
  ) {
    super(`step "${step}" failed with ${status}: ${reply}`);
  }
}

/** Whoever sends a request: an access token, or nobody (signing up and in). */
export interface Caller {
  accessToken: string;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH';

export interface DemoClient {
  /** POST expecting 201 Created. */
  create<Reply = Created>(step: string, url: string, caller: Caller | null, payload: object): Promise<Reply>;
  /** POST expecting 200 (sign-in, switches, lifecycle transitions). */
  post<Reply = Created>(step: string, url: string, caller: Caller | null, payload?: object): Promise<Reply>;
  put<Reply = Created>(step: string, url: string, caller: Caller, payload: object): Promise<Reply>;
  get<Reply = Created>(step: string, url: string, caller: Caller): Promise<Reply>;
}

/** What most replies are read for: the id of what was made. */
export interface Created {
  id: string;
}

export function demoClient(app: InjectingApp): DemoClient {
  async function send<Reply>(
    step: string,
    method: Method,
    url: string,
    caller: Caller | null,
    payload: object | undefined,
    expected: number,
  ) {
    const reply = await app.inject({
      method,
      url,
      headers: { 'user-agent': 'tenure-demo-seed', ...(caller ? { authorization: `Bearer ${caller.accessToken}` } : {}) },
      ...(payload === undefined ? {} : { payload }),
    });
    if (reply.statusCode !== expected) throw new DemoStepError(step, reply.statusCode, reply.body.replace(/\s+/g, ' ').trim());
    return reply.json<Reply>();
  }
  return {
    create: (step, url, caller, payload) => send(step, 'POST', url, caller, payload, 201),
    post: (step, url, caller, payload) => send(step, 'POST', url, caller, payload, 200),
    put: (step, url, caller, payload) => send(step, 'PUT', url, caller, payload, 200),
    get: (step, url, caller) => send(step, 'GET', url, caller, undefined, 200),
  };
}
