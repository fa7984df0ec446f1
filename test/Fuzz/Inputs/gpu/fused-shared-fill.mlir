// GPU pipeline finding (a review of the fused GPU schedule, 2026-12-02):
// one fill as the destination of two GEMMs, each fused into its own
// consumer: the same failure as fused-destination-from-another-stage.mlir.
#a = affine_map<(t, n, k) -> (t, k)>
#b = affine_map<(t, n, k) -> (n, k)>
#c = affine_map<(t, n, k) -> (t, n)>
#id = affine_map<(t, n) -> (t, n)>
// One zero fill (CSE merged two equal ones) as the destination of two GEMMs,
// each read by its own element-wise consumer.
func.func @shared_fill(%x: tensor<?x8xf32>, %w1: tensor<4x8xf32>, %w2: tensor<4x8xf32>)
    -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %t = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%t) : tensor<?x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4xf32>) -> tensor<?x4xf32>
  %g1 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w1 : tensor<?x8xf32>, tensor<4x8xf32>) outs(%f : tensor<?x4xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %g2 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w2 : tensor<?x8xf32>, tensor<4x8xf32>) outs(%f : tensor<?x4xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %o1e = tensor.empty(%t) : tensor<?x4xf32>
  %o1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%g1 : tensor<?x4xf32>) outs(%o1e : tensor<?x4xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %o2e = tensor.empty(%t) : tensor<?x4xf32>
  %o2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%g2 : tensor<?x4xf32>) outs(%o2e : tensor<?x4xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  return %o1, %o2 : tensor<?x4xf32>, tensor<?x4xf32>
}
