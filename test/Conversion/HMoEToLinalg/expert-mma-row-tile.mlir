// RUN: hmoe-opt --convert-hmoe-to-linalg='expert-stage-scratch expert-row-tile=16 expert-mma-row-tile=64' %s | FileCheck %s
// RUN: hmoe-opt --convert-hmoe-to-linalg='expert-stage-scratch expert-row-tile=16 expert-mma-row-tile=64 expert-mma-f32' %s | FileCheck %s --check-prefix=TF32
// RUN: hmoe-opt --convert-hmoe-to-linalg='expert-stage-scratch expert-row-tile=16' %s | FileCheck %s --check-prefix=THREADS

// expert-mma-row-tile: the experts whose GEMMs run on tensor cores (bf16 and
// f16 weights; f32 ones with expert-mma-f32) loop over tiles of 64 of an
// expert's rows, the others over tiles of expert-row-tile. The
// hmoe-lower-to-nvvm default (tensor-cores) must leave f32 layers' thread
// GEMMs on 16-row tiles.
// CHECK-DAG: #[[T16:.*]] = affine_map<()[s0] -> (s0 ceildiv 16)>
// CHECK-DAG: #[[T64:.*]] = affine_map<()[s0] -> (s0 ceildiv 64)>
// CHECK-LABEL: func.func @f32_experts
// CHECK: affine.apply #[[T16]]()
// CHECK-LABEL: func.func @bf16_experts
// CHECK: affine.apply #[[T64]]()
// CHECK-LABEL: func.func @f16_experts
// CHECK: affine.apply #[[T64]]()
// TF32: #[[T64:.*]] = affine_map<()[s0] -> (s0 ceildiv 64)>
// TF32-NOT: ceildiv 16
// TF32-COUNT-3: affine.apply #[[T64]]()
// THREADS: #[[T16:.*]] = affine_map<()[s0] -> (s0 ceildiv 16)>
// THREADS-NOT: ceildiv 64
// THREADS-COUNT-3: affine.apply #[[T16]]()
func.func @f32_experts(%x: tensor<?x16xf32>, %st: tensor<?xi32>, %off: tensor<5xi32>,
                       %w1: tensor<4x32x16xf32>, %w2: tensor<4x16x32xf32>) -> tensor<?x16xf32> {
  %o = hmoe.experts %x : tensor<?x16xf32>, %st : tensor<?xi32>, %off : tensor<5xi32>
      experts(#hmoe.expert<ffn, activation = gelu, hidden = 32>,
              w1 %w1 : tensor<4x32x16xf32>, w2 %w2 : tensor<4x16x32xf32>)
      -> tensor<?x16xf32>
  return %o : tensor<?x16xf32>
}

func.func @bf16_experts(%x: tensor<?x16xbf16>, %st: tensor<?xi32>, %off: tensor<5xi32>,
                        %w1: tensor<4x32x16xbf16>, %w2: tensor<4x16x32xbf16>) -> tensor<?x16xf32> {
  %o = hmoe.experts %x : tensor<?x16xbf16>, %st : tensor<?xi32>, %off : tensor<5xi32>
      experts(#hmoe.expert<ffn, activation = gelu, hidden = 32>,
              w1 %w1 : tensor<4x32x16xbf16>, w2 %w2 : tensor<4x16x32xbf16>)
      -> tensor<?x16xf32>
  return %o : tensor<?x16xf32>
}

func.func @f16_experts(%x: tensor<?x16xf16>, %st: tensor<?xi32>, %off: tensor<5xi32>,
                       %w1: tensor<4x32x16xf16>, %w2: tensor<4x16x32xf16>) -> tensor<?x16xf32> {
  %o = hmoe.experts %x : tensor<?x16xf16>, %st : tensor<?xi32>, %off : tensor<5xi32>
      experts(#hmoe.expert<ffn, activation = gelu, hidden = 32>,
              w1 %w1 : tensor<4x32x16xf16>, w2 %w2 : tensor<4x16x32xf16>)
      -> tensor<?x16xf32>
  return %o : tensor<?x16xf32>
}
