/**
 * Small vivit networks for fast tests: an 8 x 8 grid of 20 samples, cut into whole-grid
 * 5-sample tubelets (one token per time group) over 3 cell filters into 8-wide tokens.
 *
 * @module
 */

/** 64 sensors on an 8 x 8 grid, 20 samples per window. */
export const SMALL_GRID = { nChans: 64, nTimes: 20, gridRows: 8, gridCols: 8 };

/** Whole-grid 5-sample tubelets, 3 cell filters, 8-wide tokens, no spatial blocks; add the stem and filters. */
export const SMALL_TUBELETS = {
  tubelet: [5, 8, 8] as [number, number, number],
  embedDim: 8,
  cellFilters: 3,
  spatialDepth: 0,
};
