// Hostile: T x K = 2^62 x 4 wrapped in int64 and slipped past the i32 slot
// limit (UBSan in the dispatch verifier and in hmoe-decompose); now the
// tensor type itself is refused (at most 2^62 elements) and T x K is a
// checked product.
func.func @f(%e: tensor<4611686018427387904x4xi32>, %o32: tensor<0xi32>, %o33: tensor<4611686018427387904x4xi32>, %o34: tensor<9xi32>) {
  %st, %so, %off = hmoe.dispatch %e : tensor<4611686018427387904x4xi32> num_experts = 9223372036854775807 outs(%o32, %o33, %o34 : tensor<0xi32>, tensor<4611686018427387904x4xi32>, tensor<9xi32>) -> tensor<0xi32>, tensor<4611686018427387904x4xi32>, tensor<9xi32>
  return
}
