import type { Config } from '../../../platform/config.ts';
import { developmentSandboxWebhookSecret } from '../../../platform/config.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { paymentErrors } from '../errors.ts';
import { createMpesaProvider } from './mpesa.ts';
import type { PaymentMethod, PaymentProvider, ProviderName } from './port.ts';
import { createSandboxProvider, type SandboxSettings } from './sandbox.ts';
import { createStripeProvider } from './stripe.ts';

/**
 * The providers this installation uses, built once from the configuration: Stripe takes cards and
 * M-Pesa mobile money when configured; the sandbox takes what no real provider does (and
 * everything in development). Cash and cheques are recorded by staff (`manual`), with no provider.
 */
export interface PaymentProviders {
  /** The provider for a method, or null when none takes it here. */
  forMethod(method: PaymentMethod): Exclude<ProviderName, 'manual'> | null;
  /** The provider by name; the sandbox writes what it will report in `tx`. */
  get(name: ProviderName, tx: Tx | null): PaymentProvider;
  /** Whether a provider with this name takes webhooks here. */
  has(name: string): name is ProviderName;
  sandbox: SandboxSettings | null;
}

const built = new WeakMap<Config, PaymentProviders>();

export function paymentProviders(config: Config): PaymentProviders {
  let providers = built.get(config);
  if (!providers) {
    providers = buildProviders(config);
    built.set(config, providers);
  }
  return providers;
}

function buildProviders(config: Config): PaymentProviders {
  // The default sandbox secret is public: production takes no sandbox payments with it.
  const sandboxOn = config.NODE_ENV !== 'production' || !config.SANDBOX_WEBHOOK_SECRETS.includes(developmentSandboxWebhookSecret);
  const sandbox: SandboxSettings | null = sandboxOn
    ? { webhookSecrets: config.SANDBOX_WEBHOOK_SECRETS, timeScale: config.SANDBOX_TIME_SCALE }
    : null;
  const stripe =
    config.STRIPE_SECRET_KEY && config.STRIPE_WEBHOOK_SECRETS
      ? createStripeProvider({
          secretKey: config.STRIPE_SECRET_KEY,
          webhookSecrets: config.STRIPE_WEBHOOK_SECRETS,
          apiUrl: config.STRIPE_API_URL,
        })
      : null;
  const mpesa =
    config.MPESA_CONSUMER_KEY &&
    config.MPESA_CONSUMER_SECRET &&
    config.MPESA_SHORTCODE &&
    config.MPESA_PASSKEY &&
    config.MPESA_CALLBACK_TOKEN
      ? createMpesaProvider({
          apiUrl: config.MPESA_API_URL,
          consumerKey: config.MPESA_CONSUMER_KEY,
          consumerSecret: config.MPESA_CONSUMER_SECRET,
          shortcode: config.MPESA_SHORTCODE,
          passkey: config.MPESA_PASSKEY,
          transactionType: config.MPESA_TRANSACTION_TYPE,
          callbackUrl: mpesaCallbackUrl(config),
          callbackToken: config.MPESA_CALLBACK_TOKEN,
          b2c:
            config.MPESA_B2C_SHORTCODE && config.MPESA_B2C_INITIATOR_NAME && config.MPESA_B2C_SECURITY_CREDENTIAL
              ? {
                  shortcode: config.MPESA_B2C_SHORTCODE,
                  initiatorName: config.MPESA_B2C_INITIATOR_NAME,
                  securityCredential: config.MPESA_B2C_SECURITY_CREDENTIAL,
                  resultUrl: mpesaCallbackUrl(config),
                  timeoutUrl: mpesaCallbackUrl(config),
                }
              : undefined,
        })
      : null;

  const names = new Set<string>(['manual', ...(sandbox ? ['sandbox'] : []), ...(stripe ? ['stripe'] : []), ...(mpesa ? ['mpesa'] : [])]);
  return {
    sandbox,
    forMethod(method) {
      if (method === 'card') return stripe ? 'stripe' : sandbox ? 'sandbox' : null;
      if (method === 'mobile_money') return mpesa ? 'mpesa' : sandbox ? 'sandbox' : null;
      if (method === 'bank_transfer') return sandbox ? 'sandbox' : null;
      return null;
    },
    get(name, tx) {
      if (name === 'sandbox' && sandbox) return createSandboxProvider(sandbox, tx);
      if (name === 'stripe' && stripe) return stripe;
      if (name === 'mpesa' && mpesa) return mpesa;
      throw paymentErrors.raise('unknown_provider', `No ${name} provider is configured here`);
    },
    has(name): name is ProviderName {
      return names.has(name) && name !== 'manual';
    },
  };
}

export function mpesaCallbackUrl(config: Pick<Config, 'PUBLIC_BASE_URL' | 'MPESA_CALLBACK_TOKEN'>): string {
  return `${config.PUBLIC_BASE_URL}/v1/webhooks/payments/mpesa?token=${encodeURIComponent(config.MPESA_CALLBACK_TOKEN ?? '')}`;
}
