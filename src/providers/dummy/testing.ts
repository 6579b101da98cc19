/** The dummy provider in the testing kit: nothing to sign; samples of any type. */
import { genericData } from '../../testing/generic.js';
import { id } from '../../testing/ids.js';
import type { ProviderTesting } from '../../testing/types.js';
import { DUMMY_DATA_PATH } from './verify.js';

/** The testing kit's view of the dummy provider. */
export const testing: ProviderTesting = {
  secretOption: undefined,
  sign: () => ({}),
  samples: {
    dataPath: DUMMY_DATA_PATH,
    events: {},
    any: (type) => ({ id: id('dummy_evt_'), type, data: genericData(type) }),
  },
};
