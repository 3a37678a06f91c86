import { darwinRules } from './cases/darwin.js';
import { runOnModel } from './rule-case.js';

runOnModel(darwinRules);
