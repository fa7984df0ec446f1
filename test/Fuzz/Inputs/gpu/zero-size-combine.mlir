// GPU pipeline finding (the lower fuzzer's corpus replayed through
// hmoe-lower-to-nvvm, 2026-12-01): a combine whose outputs have 0 columns
// crashed hmoe-tile-for-gpu in upstream's tiling by a number of threads
// (computeTileSizes on an empty loop). An op that iterates over nothing
// now leaves its destinations as they are, untiled.
func.func @combine(%o: tensor<5x0xf32>, %so: tensor<5x1xi32>,
                   %w: tensor<5x1xf32>) -> tensor<5x0xf32> {
  %y = hmoe.combine %o, %so, %w
      : tensor<5x0xf32>, tensor<5x1xi32>, tensor<5x1xf32> -> tensor<5x0xf32>
  return %y : tensor<5x0xf32>
}
