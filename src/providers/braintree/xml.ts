/**
 * Braintree's notification XML as a plain object, read the way the official `braintree` package
 * reads it (xml2js, then `Util.convertNodeToObject`): element names in camelCase
 * (`currency-iso-code` → `currencyIsoCode`), `type="integer"` as a number, `type="boolean"` as a
 * boolean, `nil="true"` as null, `type="array"` as an array of its children, every other leaf as
 * its text (amounts and dates stay strings), and a repeated element as an array.
 *
 * Parsed with `sax` in strict mode: a streaming tokenizer (the one under the SDK's xml2js) with no
 * dependencies, that expands only XML's five predefined entities and character references and
 * never reads a DTD. The tree is built with an explicit stack, so nothing recurses to the
 * sender's depth; a DOCTYPE, an unknown entity or nesting deeper than `MAX_PAYLOAD_DEPTH` is
 * `invalid_payload`.
 */
import sax from 'sax';
import { SignatureVerificationError } from '../../errors.js';
import { MAX_PAYLOAD_DEPTH } from '../shared/signature.js';

/** A parsed value: what `convertNodeToObject` would give. */
export type XmlValue = string | number | boolean | null | XmlValue[] | { [key: string]: XmlValue };

/** One open element while parsing. */
interface Frame {
  name: string;
  type: string | undefined;
  nil: boolean;
  text: string;
  /** Child values, for an element with children (or a `type="array"` element). */
  children: { name: string; value: XmlValue }[];
}

/** `merchant-account-id` → `merchantAccountId`, `add_ons` → `addOns`: the SDK's `toCamelCase`. */
export function camelCase(name: string): string {
  return name.replace(/[-_][a-z0-9]/g, (match) => (match[1] as string).toUpperCase());
}

function invalid(message: string): SignatureVerificationError {
  return new SignatureVerificationError('invalid_payload', `The Braintree payload ${message}.`);
}

/** Sets an own property, even one named `__proto__`, without touching the prototype. */
function define(target: Record<string, XmlValue>, key: string, value: XmlValue): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** The value of a closed element, from its attributes, text and children. */
function closedValue(frame: Frame): XmlValue {
  if (frame.type === 'array') return frame.children.map((child) => child.value);
  if (frame.children.length > 0) {
    const object: Record<string, XmlValue> = {};
    // A repeated element becomes an array, as xml2js makes it.
    const repeated = new Set<string>();
    for (const { name, value } of frame.children) {
      const key = camelCase(name);
      if (!Object.hasOwn(object, key)) define(object, key, value);
      else if (repeated.has(key)) (object[key] as XmlValue[]).push(value);
      else {
        define(object, key, [object[key] as XmlValue, value]);
        repeated.add(key);
      }
    }
    return object;
  }
  if (frame.nil) return null;
  if (frame.type === 'integer' && /^[+-]?\d+$/.test(frame.text.trim())) {
    const number = Number.parseInt(frame.text, 10);
    if (Number.isSafeInteger(number)) return number;
  }
  if (frame.type === 'boolean') return frame.text === 'true';
  return frame.text;
}

/**
 * The `<notification>` document as a plain object (its root's value), or `invalid_payload`: not
 * well-formed XML, another root, a DOCTYPE, an entity other than XML's own, or deeper nesting
 * than {@link MAX_PAYLOAD_DEPTH}.
 *
 * @example
 * parseNotificationXml('<notification><kind>check</kind></notification>'); // { kind: 'check' }
 */
export function parseNotificationXml(xml: string): Record<string, XmlValue> {
  // strictEntities: only &amp; &lt; &gt; &quot; &apos; and numeric references (no HTML names).
  const parser = sax.parser(true, { strictEntities: true, position: false } as sax.SAXOptions);
  const stack: Frame[] = [];
  let root: XmlValue | undefined;
  let rootName: string | undefined;
  parser.onerror = (error) => {
    throw invalid(`is not well-formed XML (${error.message.split('\n')[0]})`);
  };
  parser.ondoctype = () => {
    throw invalid('has a DOCTYPE, which Braintree never sends');
  };
  parser.onopentag = (tag) => {
    if (stack.length >= MAX_PAYLOAD_DEPTH) {
      throw invalid(`nests deeper than ${MAX_PAYLOAD_DEPTH} levels`);
    }
    const attributes = tag.attributes as Record<string, string>;
    stack.push({
      name: tag.name,
      type: attributes.type,
      nil: attributes.nil === 'true',
      text: '',
      children: [],
    });
  };
  const append = (text: string) => {
    const top = stack.at(-1);
    if (top !== undefined) top.text += text;
  };
  parser.ontext = append;
  parser.oncdata = append;
  parser.onclosetag = () => {
    const frame = stack.pop() as Frame;
    const value = closedValue(frame);
    const parent = stack.at(-1);
    if (parent !== undefined) parent.children.push({ name: frame.name, value });
    else {
      root = value;
      rootName = frame.name;
    }
  };
  parser.write(xml).close();
  if (rootName !== 'notification') {
    throw invalid(`is not a <notification> document`);
  }
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    throw invalid('has an empty <notification>');
  }
  return root;
}
