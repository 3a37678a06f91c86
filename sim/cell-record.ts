/**
 * A cell as a record to compare across model versions: what the search found and how far it went,
 * without its wall-clock time. Two models that agree on every record explore the same space and
 * give every invariant the same verdict and the same shortest counterexample length.
 */
import type { Cell } from './verdicts.js';

export interface CellRecord {
  readonly states: number;
  readonly transitions: number;
  readonly coverage: string;
  /** invariant -> length (events) and message of the shortest counterexample. */
  readonly violated: Readonly<Record<string, { readonly events: number; readonly message: string }>>;
}

export function cellRecord(c: Cell): CellRecord {
  const violated = Object.fromEntries(
    [...c.counterexamples].sort((a, b) => (a.invariant < b.invariant ? -1 : 1)).map((x) => [x.invariant, { events: x.events.length, message: x.message }]),
  );
  return { states: c.states, transitions: c.transitions, coverage: c.coverage.kind === 'cut' ? `cut:${c.coverage.limit}` : c.coverage.kind, violated };
}

/** Records keyed `scenario|variant|fault`, sorted by key, as JSON a diff reads. */
export function cellRecords(cells: ReadonlyMap<string, Cell>): Record<string, CellRecord> {
  return Object.fromEntries([...cells.keys()].sort().map((k) => [k, cellRecord(cells.get(k) as Cell)]));
}

/** The baseline file: one cell per line, so a diff names the cells that changed. */
export function cellRecordsJson(generatedAt: string, cells: Readonly<Record<string, CellRecord>>): string {
  const lines = Object.entries(cells).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n "generatedAt": ${JSON.stringify(generatedAt)},\n "cells": {\n${lines.join(',\n')}\n }\n}\n`;
}
