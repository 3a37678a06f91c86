import { attrRules } from './cases/attr.js';
import { runOnModel } from './rule-case.js';

runOnModel(attrRules);
