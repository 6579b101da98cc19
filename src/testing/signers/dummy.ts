import type { SignerInput } from './types.js';

/** The dummy provider checks no signature: no header. */
export function sign(_input: SignerInput): Record<string, string> {
  return {};
}
