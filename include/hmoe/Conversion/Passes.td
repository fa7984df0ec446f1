//===- Passes.td - hmoe conversions ------------------------*- tablegen -*-===//

#ifndef HMOE_CONVERSION_PASSES_TD
#define HMOE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertHMoEToLinalg : Pass<"convert-hmoe-to-linalg"> {
  let summary = "Convert hmoe layers and compute stages to linalg on tensors";
  let description = [{
    A dialect conversion (`populateHMoEToLinalgPatterns`,
    `configureHMoEToLinalgTarget` in
    `hmoe/Conversion/HMoEToLinalg/HMoEToLinalg.h`): `hmoe.moe`, `hmoe.score`,
    `hmoe.experts` and `hmoe.combine` are illegal; layers are decomposed into
    their stages on the way, and the stages computing docs/numerics.md become

    * `hmoe.score`: a `linalg.generic` contraction over D (dot products, or
      squared differences for distance scores, or with `fuse-distance` the
      GEMM form of `hmoe-fuse-distance`) and an element-wise epilogue
      (square root, negation, bias, activation).
    * `hmoe.experts`: a loop over experts; each gathers its tokens and runs
      its network as contractions on `[n_e, D]`, with no padding to the
      largest load.
    * `hmoe.combine`: a gather per output element over `slot_of`, summing
      in selection order (deterministic, no atomics).

    `hmoe.route`, `hmoe.dispatch` and `hmoe.stats` are legal and stay:
    they are destination-passing, bufferize through
    `BufferizableOpInterface`, and `hmoe.route` tiles over tokens through
    `TilingInterface`; code generation lowers their memref forms to loops
    (`hmoe-lower-routing-to-loops`). The output is tensor IR only: no
    buffers, no bufferization casts. An op that cannot be converted fails
    the pass with an error at the op.
  }];
  let options = [
    Option<"fuseDistance", "fuse-distance", "bool", /*default=*/"false",
           "Laplace and Gaussian scores in the centred GEMM form">,
    Option<"expertStageScratch", "expert-stage-scratch", "bool",
           /*default=*/"false",
           "Expert temporaries as rows of stage-wide tensors, not "
           "allocated per expert (GPU kernels cannot allocate)">,
    Option<"expertRowTile", "expert-row-tile", "int64_t", /*default=*/"0",
           "With expert-stage-scratch: loop over (expert, tile of this "
           "many of its rows) instead of over experts (0: per expert)">,
    Option<"expertMMARowTile", "expert-mma-row-tile", "int64_t",
           /*default=*/"0",
           "> 0: expert-row-tile for experts whose GEMMs run on tensor "
           "cores (bf16/f16 weights; f32 with expert-mma-f32)">,
    Option<"expertMMAF32", "expert-mma-f32", "bool", /*default=*/"false",
           "f32 experts' GEMMs run on tensor cores too (TF32)">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::shard::ShardDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def HMoEFuseDistance : Pass<"hmoe-fuse-distance"> {
  let summary = "Laplace and Gaussian scores as a GEMM plus norms";
  let description = [{
    Lowers every `laplace` and `gaussian` `hmoe.score` (decomposing whole
    `hmoe.moe` layers first) to the GEMM form of the squared distance,
    centred on the mean gate row `m`:

    `||x - w||^2 = ||x - m||^2 - 2 x.w' + ||w'||^2 + 2 m.w'`, `w' = w - m`,

    as one `linalg.generic` contraction `x . W'^T` (the matmul that
    `hmoe-vectorize-contractions` tiles and vectorises), a row reduction for
    `||x - m||^2`, and the per-row `m`, `W'`, `||w'||^2` and `m.w'`
    computed once per call, or folded to constants (in f64) when the weights
    are constants. One element-wise epilogue then forms the distance, takes
    the square root for Laplace, negates and adds the bias, so the `[T, N]`
    scores are written once.

    Centring matters: the terms of the uncentred form are `~||x||^2`, and
    they cancel down to `d^2` when a token is near a centre (Laplace training
    pulls centres to the tokens), so at `D = 512` a token 0.3 from a centre
    was off by 1.5e-4. Centred, they are the size of the cluster. Where the
    distance is still under 1/16 of the magnitude of its terms, where those
    overflow (`|x| ~ 1e19`) or underflow (below 2^-100), or where anything is
    NaN, the epilogue writes NaN instead, and a second pass recomputes those
    (token, row) pairs in the direct form summed in f64 (8 lanes at a time),
    so both forms agree with a float64 evaluation on every input (README,
    "Numerical edge cases"; test/Integration/matrix-precision.test).
    Other scores and stages are left for `convert-hmoe-to-linalg`; this
    pass is the same conversion restricted to distance scores
    (`populateHMoEDistanceToGemmPatterns`), and
    `convert-hmoe-to-linalg{fuse-distance}` does both at once.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::shard::ShardDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def HMoEConvertShardToMPI : Pass<"hmoe-convert-shard-to-mpi", "ModuleOp"> {
  let summary = "The shard collectives of expert parallelism to MPI calls on "
                "MPI_COMM_WORLD";
  let description = [{
    Lowers what `hmoe-decompose` writes for an `experts_on` layer, on
    tensors: `shard.process_linear_index` of a one-dimensional grid to the
    process's MPI rank, and `shard.all_reduce` (sum, maximum or minimum
    over that grid) to `mpi.allreduce` of the operand's buffer into a new
    one. Every call's return code is asserted to be `MPI_SUCCESS`: MPI ends
    the job on an error by default, but a program that set
    `MPI_ERRORS_RETURN` would otherwise read an unwritten buffer (MLIR 22's
    `MPIToLLVM` does not lower `mpi.retval_check`: the `!mpi.retval` goes
    through a cast to i32 that `convert-to-llvm` reconciles). The grid is
    the MPI world: the first time a process reads a grid's index it checks
    that the world has the grid's size (`cf.assert`, an `hmoe_check_failed`
    message after `hmoe-lower-runtime-checks`), since a process past the
    grid would read past the experts, and a world short of it would leave
    experts out of the sum. (An all-reduce of ones: MLIR 22's `MPIToLLVM`
    does not lower `mpi.comm_size`.)

    Why not upstream's `convert-shard-to-mpi` (MLIR 22): it splits a new
    communicator (`MPI_Comm_split`, a collective) on every all-reduce and
    never frees it, so a layer called a few thousand times runs out of
    communicators, and it reads a dynamic dimension of the operand at index
    `ShapedType::kDynamic` (the token count of a `tensor<?xDxf32>`). With
    one grid spanning the world, `MPI_COMM_WORLD` is the communicator.

    The `mpi` ops become calls into the MPI library by `convert-to-llvm`
    (MLIR's `MPIToLLVM`): the pass adds `"MPI:Implementation" = "MPICH"`
    (Debian's libmpich) to the module's `dlti.map` unless the map names an
    implementation already. Grids named by nothing (all, after it) are
    erased. Other shard ops, and grids of more than one
    dimension, are an error at the op.
  }];
  let options = [
    Option<"gpu", "gpu", "bool", /*default=*/"false",
           "Fail at each collective instead, saying that expert parallelism "
           "is lowered for the CPU only (the GPU pipelines' buffers are "
           "device memory)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::cf::ControlFlowDialect",
    "::mlir::DLTIDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::mpi::MPIDialect",
    "::mlir::scf::SCFDialect",
  ];
}

#endif // HMOE_CONVERSION_PASSES_TD
