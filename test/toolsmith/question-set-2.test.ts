/**
 * The question set through the real pipeline, second half of the cases (odd indexes of cases.json; the even
 * ones are question-set.test.ts): every case must be staged for review with its expected rows. See
 * question-set.ts for what each case checks.
 */
import { questionSetSuite, slice } from './question-set.js';

questionSetSuite('2/2', slice(1, 2));
