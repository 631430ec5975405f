import { ProviderUnavailable } from './port.ts';

/**
 * Daraja over HTTP: an OAuth client-credentials token, cached until shortly before it runs out and
 * fetched once however many callers need it at the same moment, and JSON POSTs carrying it. A call
 * refused for its token (expired early, revoked) fetches a new one and is sent once more.
 */
export interface DarajaClient {
  post(path: string, payload: Record<string, unknown>): Promise<DarajaReply>;
}

export interface DarajaReply {
  status: number;
  /** The JSON object answered, or undefined when the answer was not one (an HTML error page). */
  body: Record<string, unknown> | undefined;
}

export interface DarajaClientSettings {
  apiUrl: string;
  consumerKey: string;
  consumerSecret: string;
  now: () => Date;
  timeoutMs: number;
}

interface CachedToken {
  token: string;
  refreshAt: number;
}

/** Daraja's answer to an unknown or expired bearer token (sent with HTTP 401, or 404 by some gateways). */
const invalidAccessToken = '404.001.03';

export function createDarajaClient(settings: DarajaClientSettings): DarajaClient {
  const baseUrl = settings.apiUrl.replace(/\/+$/, '');
  const basic = Buffer.from(`${settings.consumerKey}:${settings.consumerSecret}`, 'utf8').toString('base64');
  let cached: CachedToken | undefined;
  let inFlight: Promise<CachedToken> | undefined;

  async function send(url: string, init: RequestInit): Promise<DarajaReply> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(settings.timeoutMs) });
      text = await response.text();
    } catch (error) {
      throw new ProviderUnavailable('mpesa', `Daraja could not be reached: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    return { status: response.status, body: jsonObject(text) };
  }

  async function fetchToken(): Promise<CachedToken> {
    const reply = await send(`${baseUrl}/oauth/v1/generate?grant_type=client_credentials`, {
      method: 'GET',
      headers: { authorization: `Basic ${basic}`, accept: 'application/json' },
    });
    const token = reply.body?.access_token;
    const expiresIn = Number(reply.body?.expires_in);
    if (reply.status !== 200 || typeof token !== 'string' || token === '' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw new ProviderUnavailable('mpesa', `Daraja refused an access token (HTTP ${reply.status}${describeError(reply)})`);
    }
    // Renew a minute early (a tenth of the lifetime for short ones) so a token never expires in flight.
    const marginSeconds = Math.min(60, expiresIn / 10);
    return { token, refreshAt: settings.now().getTime() + (expiresIn - marginSeconds) * 1000 };
  }

  async function accessToken(): Promise<string> {
    if (cached && settings.now().getTime() < cached.refreshAt) return cached.token;
    inFlight ??= fetchToken()
      .then((fresh) => (cached = fresh))
      .finally(() => (inFlight = undefined));
    return (await inFlight).token;
  }

  async function postWith(token: string, path: string, payload: Record<string, unknown>): Promise<DarajaReply> {
    return send(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(payload),
    });
  }

  return {
    async post(path, payload) {
      const token = await accessToken();
      const reply = await postWith(token, path, payload);
      if (reply.status !== 401 && reply.body?.errorCode !== invalidAccessToken) return reply;
      // Forget only the token refused: another caller may have fetched a new one meanwhile.
      if (cached?.token === token) cached = undefined;
      return postWith(await accessToken(), path, payload);
    },
  };
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `: 400.002.02 Bad Request - Invalid Amount`, from Daraja's `{requestId, errorCode, errorMessage}`. */
export function describeError(reply: DarajaReply): string {
  const code = reply.body?.errorCode;
  const message = reply.body?.errorMessage;
  if (typeof code !== 'string' && typeof message !== 'string') return '';
  return `: ${[code, message].filter((part) => typeof part === 'string').join(' ')}`;
}
