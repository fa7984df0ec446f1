// GPU pipeline finding (a review of the fused GPU schedule, 2026-12-02):
// a fused producer whose destination is another stage's result (a fill
// that a second stage reads too) wrote into a slice of that value inside
// the block loop; One-Shot Bufferize copied it inside the kernel and
// hmoe-map-forall-to-gpu refused the copy. Such a destination is now a
// shared output of the block loop, initialised with the value.
#a = affine_map<(t, n, k) -> (t, k)>
#b = affine_map<(t, n, k) -> (n, k)>
#c = affine_map<(t, n, k) -> (t, n)>
#id = affine_map<(t, n) -> (t, n)>
// A (element-wise, ignores its init) writes into a fill that B also reads;
// C, a GEMM, is A's only reader.
func.func @privalloc(%x: tensor<?x32xf32>, %w: tensor<4x32xf32>) -> (tensor<?x4xf32>, tensor<?x32xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %t = tensor.dim %x, %c0 : tensor<?x32xf32>
  %e = tensor.empty(%t) : tensor<?x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x32xf32>) -> tensor<?x32xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x32xf32>) outs(%f : tensor<?x32xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<?x32xf32>
  %be = tensor.empty(%t) : tensor<?x32xf32>
  %b = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %f : tensor<?x32xf32>, tensor<?x32xf32>) outs(%be : tensor<?x32xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<?x32xf32>
  %ce = tensor.empty(%t) : tensor<?x4xf32>
  %cf = linalg.fill ins(%zero : f32) outs(%ce : tensor<?x4xf32>) -> tensor<?x4xf32>
  %c = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x32xf32>, tensor<4x32xf32>) outs(%cf : tensor<?x4xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  return %c, %b : tensor<?x4xf32>, tensor<?x32xf32>
}
