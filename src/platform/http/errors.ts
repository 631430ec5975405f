/**
 * Errors with stable codes. Each module declares its codes once, with their HTTP status and title,
 * in a catalog; the catalog's `raise` accepts only codes it declares, so a code cannot be thrown
 * without its mapping. The HTTP layer turns any `AppError` into problem details (RFC 9457).
 */

export interface FieldError {
  /** JSON pointer-like path into the request part, such as `body.guests.0.email`. */
  path: string;
  message: string;
  code: string;
}

export interface ErrorDefinition {
  status: number;
  title: string;
}

export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: string,
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
  }
}

export interface ErrorCatalog<Code extends string> {
  readonly codes: Readonly<Record<Code, ErrorDefinition & { code: string }>>;
  /** An error to throw: `throw bookingErrors.raise('dates_unavailable', 'Unit 12 is taken on 2026-12-01')`. */
  raise(code: Code, detail?: string, extra?: AppError['extra']): AppError;
}

const registry = new Map<string, ErrorDefinition & { code: string }>();

/** Every declared code, for the `/problems` pages that problem `type` URIs point at. */
export function declaredErrors(): (ErrorDefinition & { code: string })[] {
  return [...registry.values()].sort((a, b) => a.code.localeCompare(b.code));
}

export function defineErrors<Code extends string>(prefix: string, definitions: Record<Code, ErrorDefinition>): ErrorCatalog<Code> {
  const codes = Object.fromEntries(
    Object.entries<ErrorDefinition>(definitions).map(([code, definition]) => [code, { ...definition, code: `${prefix}.${code}` }]),
  ) as Record<Code, ErrorDefinition & { code: string }>;
  for (const definition of Object.values<ErrorDefinition & { code: string }>(codes)) {
    if (registry.has(definition.code)) throw new Error(`Error code ${definition.code} is declared twice`);
    registry.set(definition.code, definition);
  }
  return {
    codes,
    raise(code, detail, extra) {
      const definition = codes[code];
      return new AppError(definition.code, definition.status, definition.title, detail ?? definition.title, extra);
    },
  };
}

/** Codes raised by the platform's own mechanisms, whatever the module. */
export const platformErrors = defineErrors('request', {
  validation_failed: { status: 400, title: 'The request is not valid' },
  malformed_json: { status: 400, title: 'The body is not valid JSON' },
  malformed: { status: 400, title: 'The request is malformed' },
  not_found: { status: 404, title: 'Nothing is found at this address' },
  method_not_allowed: { status: 405, title: 'This method is not allowed here' },
  body_too_large: { status: 413, title: 'The body is too large' },
  unsupported_media_type: { status: 415, title: 'This content type is not supported' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Something went wrong on our side' },
  unavailable: { status: 503, title: 'The service is not ready' },
});

/** Problem types resolve against the API's own origin, where `GET /problems/{code}` describes each. */
export const problemTypeBase = '/problems/';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance: string;
  requestId: string;
  errors?: FieldError[];
}

export function toProblem(error: AppError, instance: string, requestId: string): ProblemDetails {
  return {
    type: `${problemTypeBase}${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    instance,
    requestId,
    ...(error.extra.errors ? { errors: error.extra.errors } : {}),
  };
}
