// Fuzz finding (hmoe-lower-fuzzer, structure-aware mutator): a choice count
// K of 2^16 made convert-hmoe-to-linalg emit K copies of the combine
// (and dropped-count) loop body, and the pipeline ran past the fuzzer's
// 60 s timeout (over 100 s); now a loop over K.
func.func @combine(%o: tensor<?x16xf32>, %so: tensor<?x65536xi32>,
                   %w: tensor<?x65536xf32>) -> tensor<?x16xf32> {
  %y = hmoe.combine %o, %so, %w
      : tensor<?x16xf32>, tensor<?x65536xi32>, tensor<?x65536xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
