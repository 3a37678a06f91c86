/** Digests shared by the fs kernel and the Nix model; depends on neither. */
export { feed, feedText, finishLanes, LANE_SLOTS, startLanes } from './lanes.js';
