import { walkRules } from './cases/walk.js';
import { runOnModel } from './rule-case.js';

runOnModel(walkRules);
