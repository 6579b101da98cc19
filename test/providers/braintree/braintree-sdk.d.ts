/** The parts of the official `braintree` package (no types of its own) the cross-checks use. */
declare module 'braintree' {
  interface GatewayConfig {
    environment: unknown;
    merchantId: string;
    publicKey: string;
    privateKey: string;
  }
  interface SampleNotification {
    bt_signature: string;
    bt_payload: string;
  }
  interface ParsedNotification {
    kind: string;
    timestamp: string | Date;
    subject: Record<string, unknown>;
    [attribute: string]: unknown;
  }
  class BraintreeGateway {
    constructor(config: GatewayConfig);
    webhookTesting: {
      sampleNotification(
        kind: string,
        id: string,
        sourceMerchantId?: string,
      ): Promise<SampleNotification>;
    };
    webhookNotification: {
      parse(signature: string, payload: string): Promise<ParsedNotification>;
    };
  }
  const braintree: {
    BraintreeGateway: typeof BraintreeGateway;
    Environment: { Sandbox: unknown; Production: unknown };
    WebhookNotification: { Kind: Record<string, string> };
  };
  export default braintree;
}
