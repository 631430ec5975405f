import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

export const maxPageSize = 200;
export const defaultPageSize = 50;

/** `?page=&pageSize=`; a page size above the cap is served at the cap, and the reply says so. */
export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce
    .number()
    .int()
    .min(1)
    .default(defaultPageSize)
    .transform((size) => Math.min(size, maxPageSize)),
});
export type PageQuery = z.infer<typeof PageQuery>;

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int(),
  });
}

export interface Page<T> {
  data: T[];
  page: number;
  pageSize: number;
  total: number;
}

export function offsetOf(query: PageQuery): { limit: number; offset: number } {
  return { limit: query.pageSize, offset: (query.page - 1) * query.pageSize };
}

/**
 * Shapes a page and sets RFC 8288 `Link` (first, prev, next, last) and `X-Total-Count`. Links keep
 * the request's other query parameters and are relative to the request's own path.
 */
export function sendPage<T>(request: FastifyRequest, reply: FastifyReply, query: PageQuery, data: T[], total: number): Page<T> {
  const lastPage = Math.max(1, Math.ceil(total / query.pageSize));
  const [path = '/', search = ''] = request.url.split('?');
  const link = (page: number, rel: string) => {
    const params = new URLSearchParams(search);
    params.set('page', String(page));
    params.set('pageSize', String(query.pageSize));
    return `<${path}?${params.toString()}>; rel="${rel}"`;
  };
  const links = [link(1, 'first')];
  if (query.page > 1) links.push(link(Math.min(query.page - 1, lastPage), 'prev'));
  if (query.page < lastPage) links.push(link(query.page + 1, 'next'));
  links.push(link(lastPage, 'last'));
  reply.header('link', links.join(', ')).header('x-total-count', String(total));
  return { data, page: query.page, pageSize: query.pageSize, total };
}
