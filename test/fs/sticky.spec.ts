import { stickyRules } from './cases/sticky.js';
import { runOnModel } from './rule-case.js';

runOnModel(stickyRules);
