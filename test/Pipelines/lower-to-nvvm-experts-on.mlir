// hmoe-lower-to-nvvm refuses an experts_on layer at the op: expert
// parallelism is lowered for the CPU only (the GPU's buffers are device
// memory, which these MPI calls do not read).
// REQUIRES: cuda-toolkit
// RUN: not hmoe-opt --hmoe-lower-to-nvvm %s 2>&1 | FileCheck %s
// CHECK: error: 'shard.process_linear_index' op comes from an experts_on layer: expert parallelism is lowered for the CPU only
// CHECK: error: 'shard.all_reduce' op comes from an experts_on layer
shard.grid @ep(shape = 2)
func.func @layer(%x: tensor<?x16xbf16>, %g: tensor<8x16xbf16>,
    %w1: tensor<4x8x16xbf16>, %w2: tensor<4x16x8xbf16>) -> tensor<?x16xbf16> {
  %y = hmoe.moe %x : tensor<?x16xbf16>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xbf16>)
      experts(#hmoe.expert<ffn, activation = gelu, hidden = 8>,
              w1 %w1 : tensor<4x8x16xbf16>, w2 %w2 : tensor<4x16x8xbf16>)
      experts_on @ep
      -> tensor<?x16xbf16>
  return %y : tensor<?x16xbf16>
}
