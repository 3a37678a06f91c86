import { protectedRules } from './cases/protected.js';
import { runOnModel } from './rule-case.js';

runOnModel(protectedRules);
