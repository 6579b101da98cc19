import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import ts from 'typescript';
import {
  ConfigurationError,
  createRegistry,
  type RegisteredReceiver,
  type RegistryCore,
  type Signal,
} from '../../src/index.js';
import { hasAtomicReceiver } from '../../src/signals/registry.js';
import { tempDir } from '../helpers/server.js';

describe('receiver registry', () => {
  it('registers a plain named function and returns it', () => {
    const registry = createRegistry();
    async function refundOrder() {}
    expect(registry.receiver('charge.refunded', refundOrder)).to.equal(refundOrder);
    expect(registry.list().map((r) => [r.name, r.pattern, r.atomic])).to.deep.equal([
      ['refundOrder', 'charge.refunded', false],
    ]);
  });

  it('refuses a nameless receiver with a clear error', () => {
    const registry = createRegistry();
    expect(() => registry.receiver('charge.refunded', async () => {})).to.throw(
      ConfigurationError,
      /has no name/,
    );
    expect(registry.list()).to.have.length(0);
  });

  it('accepts a nameless function given an explicit name', () => {
    const registry = createRegistry();
    registry.receiver('*', async () => {}, { name: 'audit-log' });
    expect(registry.get('audit-log')?.pattern).to.equal('*');
  });

  it('refuses two receivers with the same name', () => {
    const registry = createRegistry();
    registry.receiver('a.b', async function same() {});
    expect(() => registry.receiver('c.d', async function same() {})).to.throw(/already registered/);
  });

  it('refuses a malformed pattern and an unknown option', () => {
    const registry = createRegistry();
    expect(() => registry.receiver('charge.*.x' as string, async function f() {})).to.throw(
      /receiver\.type/,
    );
    expect(() => registry.receiver('', async function g() {})).to.throw(/receiver\.type/);
    expect(() =>
      registry.receiver('a', async function h() {}, { atomc: true } as Record<string, unknown>),
    ).to.throw(/receiver\.atomc/);
  });

  it('matches exact types, dot-segment prefixes and the wildcard, in registration order', () => {
    const registry = createRegistry();
    registry.receiver('charge.succeeded', async function exact() {});
    registry.receiver('charge.*', async function prefix() {});
    registry.receiver('charge.dispute.*', async function deeper() {});
    registry.receiver('*', async function all() {});
    registry.receiver('invoice.paid', async function other() {});
    const names = (type: string) => registry.match(type, 'stripe').map((r) => r.name);
    expect(names('charge.succeeded')).to.deep.equal(['exact', 'prefix', 'all']);
    expect(names('charge.dispute.created')).to.deep.equal(['prefix', 'deeper', 'all']);
    expect(names('chargeback.created')).to.deep.equal(['all']);
    expect(names('invoice.paid')).to.deep.equal(['all', 'other']);
  });

  it('accepts the normalized payment signals and payment:*, which * never matches', () => {
    const registry = createRegistry();
    registry.receiver('payment:succeeded', async function paid() {});
    registry.receiver('payment:*', async function anyPayment() {});
    registry.receiver('*', async function audit() {});
    registry.receiver('payment.*', async function payvostPayments() {});
    const names = (type: string) => registry.match(type, 'v').map((r) => r.name);
    expect(names('payment:succeeded')).to.deep.equal(['paid', 'anyPayment']);
    expect(names('payment:refunded')).to.deep.equal(['anyPayment']);
    // Payvost's own payment.succeeded is a provider event: '*' and 'payment.*' get it.
    expect(names('payment.succeeded')).to.deep.equal(['audit', 'payvostPayments']);
  });

  it('refuses any other pattern with a colon, naming the payment signals', () => {
    const registry = createRegistry();
    for (const pattern of ['payment:captured', 'refund:*', 'payment:', 'charge:succeeded']) {
      expect(() => registry.receiver(pattern, async function f() {}), pattern)
        .to.throw(ConfigurationError, /receiver\.type/)
        .with.property('message')
        .that.includes("'payment:succeeded', 'payment:failed', 'payment:refunded', 'payment:*'");
    }
    expect(registry.list()).to.have.length(0);
  });

  it('takes skipStale, a boolean, for provider events only', () => {
    const registry = createRegistry();
    registry.receiver('customer.subscription.*', async function sync() {}, { skipStale: true });
    expect(registry.get('sync')?.skipStale).to.equal(true);
    registry.receiver('charge.succeeded', async function book() {});
    expect(registry.get('book')?.skipStale).to.equal(false);
    expect(() =>
      registry.receiver('a', async function g() {}, { skipStale: 'yes' as unknown as boolean }),
    ).to.throw(ConfigurationError, /receiver\.skipStale/);
    // A payment signal reports what happened once per payment: it is never stale.
    for (const pattern of ['payment:succeeded', 'payment:*']) {
      expect(() => registry.receiver(pattern, async function h() {}, { skipStale: true })).to.throw(
        ConfigurationError,
        /receiver\.skipStale.*never stale/,
      );
    }
  });

  it('filters by variant', () => {
    const registry = createRegistry();
    registry.receiver('*', async function stripeOnly() {}, { variants: ['stripe'] });
    registry.receiver('*', async function everywhere() {});
    expect(registry.match('x', 'paystack').map((r) => r.name)).to.deep.equal(['everywhere']);
    expect(registry.match('x', 'stripe').map((r) => r.name)).to.deep.equal([
      'stripeOnly',
      'everywhere',
    ]);
  });

  it('unregisters and clears, emitting events through emittery', async () => {
    const registry = createRegistry();
    const seen: string[] = [];
    registry.events.on('registered', (r) => {
      seen.push(`+${r.name}`);
    });
    registry.events.on('unregistered', (r) => {
      seen.push(`-${r.name}`);
    });
    registry.receiver('a', async function one() {});
    registry.receiver('b', async function two() {});
    expect(registry.unregister('one')).to.equal(true);
    expect(registry.unregister('one')).to.equal(false);
    registry.clear();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).to.deep.equal(['+one', '+two', '-one', '-two']);
    expect(registry.list()).to.have.length(0);
  });

  it('keeps whether any receiver is atomic as receivers come and go', () => {
    const registry = createRegistry();
    expect(hasAtomicReceiver(registry)).to.equal(false);
    registry.receiver('charge.succeeded', async function audit() {});
    expect(hasAtomicReceiver(registry)).to.equal(false);
    const book = () =>
      registry.receiver('charge.succeeded', async function book() {}, { atomic: true });
    book();
    expect(hasAtomicReceiver(registry)).to.equal(true);
    book(); // its module evaluated again: the copy replaces it
    expect(hasAtomicReceiver(registry)).to.equal(true);
    registry.unregister('book');
    expect(hasAtomicReceiver(registry)).to.equal(false);
    class Ledger {
      @registry.receiver('charge.refunded', { atomic: true })
      static async reverse() {}
    }
    // A TC39 decorator registers on the registry's next use.
    expect(hasAtomicReceiver(registry)).to.equal(true);
    expect(registry.get('Ledger.reverse')?.atomic).to.equal(true);
    expect(Ledger.reverse).to.be.a('function');
    registry.clear();
    expect(hasAtomicReceiver(registry)).to.equal(false);
    // A registry without the flag (another copy of the library's, an app's own) is asked.
    const foreign: RegistryCore = {
      match: () => [],
      get: () => undefined,
      list: () => [{ atomic: true } as RegisteredReceiver],
      unregister: () => false,
      clear() {},
      events: registry.events,
    };
    expect(hasAtomicReceiver(foreign)).to.equal(true);
  });

  it('works as a TC39 standard decorator on a static method, named Class.method', async () => {
    const registry = createRegistry();
    const calls: unknown[] = [];
    class Orders {
      static paid = 'paid';
      @registry.receiver('checkout.session.completed')
      static async markPaid(signal: Signal<'checkout.session.completed'>) {
        // biome-ignore lint/complexity/noThisInStatic: proves the method is bound to its class
        calls.push([this.paid, signal.data]);
      }
      @registry.receiver('charge.refunded', { name: 'orders-refund', variants: ['stripe'] })
      static async refund() {}
    }
    expect(registry.list().map((r) => r.name)).to.deep.equal(['Orders.markPaid', 'orders-refund']);
    await registry.get('Orders.markPaid')!.fn({ data: { id: 'cs_1' } } as Signal);
    expect(calls).to.deep.equal([['paid', { id: 'cs_1' }]]);
    expect(Orders.markPaid).to.be.a('function');
  });

  it('refuses a TC39 decorator on an instance method', () => {
    const registry = createRegistry();
    expect(() => {
      class Bad {
        // @ts-expect-error: refused at compile time too; the runtime check is for JavaScript.
        @registry.receiver('x')
        async instanceMethod() {}
      }
      return Bad;
    }).to.throw(/static methods only/);
  });

  it('works with experimentalDecorators (legacy TypeScript emit) on a static method', async () => {
    const source = `
      const { registry, calls } = globalThis.__koaPaymentsLegacy;
      export class Billing {
        static tag = 'billing';
        @registry.receiver('invoice.paid')
        static async onInvoicePaid(signal) { calls.push([this.tag, signal.data]); }
        @registry.receiver('invoice.*', { name: 'billing-any' })
        static async any() {}
      }
    `;
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: {
        experimentalDecorators: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
      },
    });
    // The legacy emit calls __decorate(...) with (constructor, name, descriptor).
    expect(outputText).to.contain('__decorate');
    const registry = createRegistry();
    const calls: unknown[] = [];
    (globalThis as Record<string, unknown>).__koaPaymentsLegacy = { registry, calls };
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'legacy.mjs');
      writeFileSync(file, outputText);
      await import(pathToFileURL(file).href);
      expect(registry.list().map((r) => [r.name, r.pattern])).to.deep.equal([
        ['Billing.onInvoicePaid', 'invoice.paid'],
        ['billing-any', 'invoice.*'],
      ]);
      await registry.get('Billing.onInvoicePaid')!.fn({ data: 42 } as Signal);
      expect(calls).to.deep.equal([['billing', 42]]);
    } finally {
      delete (globalThis as Record<string, unknown>).__koaPaymentsLegacy;
      tmp.remove();
    }
  });

  it('the module-level receiver writes to the default registry', async () => {
    const { receiver } = await import('../../src/index.js');
    const { defaultRegistry } = await import('../../src/signals/registry.js');
    receiver('test.module-level', async function moduleLevelProbe() {});
    try {
      expect(defaultRegistry.get('moduleLevelProbe')?.pattern).to.equal('test.module-level');
    } finally {
      defaultRegistry.unregister('moduleLevelProbe');
    }
  });
});

describe('receiver registry: a module evaluated twice', () => {
  it('accepts the same receiver registered again (the latest copy wins), but not a name clash', async () => {
    const registry = createRegistry();
    const load = () => {
      // A second evaluation of a module creates a new function with the same source.
      registry.receiver('invoice.paid', async function bookInvoice() {
        return 'copy';
      });
    };
    load();
    const first = registry.get('bookInvoice')!.fn;
    load();
    expect(registry.list()).to.have.length(1);
    expect(registry.get('bookInvoice')!.fn).not.to.equal(first);
    expect(() =>
      registry.receiver('invoice.paid', async function bookInvoice() {
        return 'another receiver';
      }),
    ).to.throw(/already registered/);
    expect(() =>
      registry.receiver('invoice.voided', async function bookInvoice() {
        return 'copy';
      }),
    ).to.throw(/already registered/);
  });
});
